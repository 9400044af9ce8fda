"""The contract commands: `rxsim contracts check|generate|bump|verify`."""

from typing import Annotated

import typer

from rxsim.cli.options import BootstrapOpt, console, err


def contracts_app() -> typer.Typer:
    contracts = typer.Typer(
        help="Message contracts: JSON Schema, AsyncAPI, compatibility.", no_args_is_help=True
    )

    @contracts.command("check")
    def check() -> None:
        """Fail unless the checked-in contracts match the models, are compatible with the
        baseline under each topic's mode, and the AsyncAPI document and its examples hold."""
        from rxsim.tools.contracts.check import check as run_check

        problems = run_check()
        for line in problems:
            console.print(f"[red]✗[/] {line}")
        if problems:
            console.print(f"[red]{len(problems)} contract problem(s)[/]")
            raise typer.Exit(1)
        console.print(
            "[green]✓[/] contracts hold: JSON Schema = models, compatible with the "
            "baseline, AsyncAPI document valid, every example validates"
        )

    @contracts.command("generate")
    def generate() -> None:
        """Write schemas/jsonschema/ and schemas/asyncapi.json from the models."""
        from rxsim.tools.contracts import asyncapi
        from rxsim.tools.contracts import schema_set as files

        changed = files.write_set(files.JSONSCHEMA_DIR, files.generated())
        text = files.dumps(asyncapi.build(asyncapi.kept_examples()))
        if not files.ASYNCAPI_PATH.exists() or files.ASYNCAPI_PATH.read_text("utf-8") != text:
            files.ASYNCAPI_PATH.write_text(text, "utf-8")
            changed.append("asyncapi.json")
        console.print(f"updated: {', '.join(changed)}" if changed else "already up to date")

    @contracts.command("bump")
    def bump() -> None:
        """Promote the current schema set to schemas/baseline/ (the released contract)."""
        from rxsim.tools.contracts import schema_set as files

        changed = files.write_set(files.BASELINE_DIR, files.generated())
        console.print(
            f"baseline updated: {', '.join(changed)}" if changed else "baseline unchanged"
        )

    @contracts.command("verify")
    def verify(
        bootstrap: BootstrapOpt = None,
        idle: Annotated[
            float, typer.Option(help="stop after this many seconds without a message")
        ] = 10.0,
        from_now: Annotated[
            bool, typer.Option("--from-now", help="skip what is already there")
        ] = False,
        show: Annotated[int, typer.Option(help="failures to show")] = 10,
    ) -> None:
        """Validate live traffic on every topic against its contract; exit 1 on any failure."""
        from rxsim.tools.live import connect, verify_traffic

        report = verify_traffic(connect(bootstrap, err), idle, from_now, console)
        console.print(report.table())
        for line in report.failures[:show]:
            console.print(f"[red]✗[/] {line}")
        invalid = sum(report.invalid.values())
        if not report.total:
            console.print(f"[red]no message read in {idle:g} s[/]: is anything running?")
            raise typer.Exit(1)
        if invalid:
            console.print(f"[red]{invalid} of {report.total} messages break their contract[/]")
            raise typer.Exit(1)
        console.print(f"[green]✓[/] all {report.total} messages match their contracts")

    return contracts
