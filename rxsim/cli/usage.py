"""Every usage error of every command, click's own (an unknown option, a missing argument, a
value of the wrong type or out of range) and rxsim's, is one line on stderr and exit 2."""

from typing import Any, NoReturn

import typer

# typer 0.29 carries its own copy of click: the errors its commands raise are of these classes.
from typer._click import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer._click.globals import get_current_context
from typer.core import TyperGroup


def usage(message: str) -> NoReturn:
    """Refuse the command line: said by `OneLineUsage` like click's own usage errors."""
    raise UsageError(message, get_current_context(silent=True))


def one_line(error: UsageError) -> str:
    """`error: rxsim chaos: Invalid value for '--rounds': … (see rxsim chaos --help)`."""
    ctx = _context_of(error)
    where = ctx.command_path if ctx is not None else "rxsim"
    message = " ".join(error.format_message().split())  # click's suggestions come on new lines
    return f"error: {where}: {message.rstrip('.')} (see {where} --help)"


def _context_of(error: UsageError) -> Context | None:
    """The command being parsed when `error` was raised. click's parser raises some errors (an
    option given without its value) without it: then the innermost frame that had one."""
    if error.ctx is not None:
        return error.ctx
    found = None
    frame = error.__traceback__
    while frame is not None:
        ctx = frame.tb_frame.f_locals.get("ctx")
        found = ctx if isinstance(ctx, Context) else found
        frame = frame.tb_next
    return found


class OneLineUsage(TyperGroup):
    """The root command: parsing a subcommand's arguments and running it happen inside the
    root's `invoke`, so catching here covers every command and subcommand at once (click's own
    handler would print its usage, a hint and a boxed message over several lines)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None,
        **extra: Any,
    ) -> Context:  # fmt: skip
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as error:
            _refuse(error)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            _refuse(error)


def _refuse(error: UsageError) -> NoReturn:
    if isinstance(error, NoArgsIsHelpError):
        raise error  # `rxsim fhir` alone: its help, as asked (no_args_is_help)
    typer.echo(one_line(error), err=True)
    raise typer.Exit(2) from None
