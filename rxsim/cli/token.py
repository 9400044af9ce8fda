"""`rxsim token`: a bearer token for the `rxsim up` running on this machine, for curl and for
any other client of its HTTP APIs. A citizen signs in through the citizen app instead
(POST /auth/otp, then POST /auth/token): the app is VNeID's, not the operator's."""

from typing import Annotated

import typer

from rxsim.cli.options import err
from rxsim.messaging import tokens
from rxsim.messaging.tokens import Role
from rxsim.tools.stack import running_token

WHO = {
    "operator": Role.OPERATOR,
    "facility": Role.FACILITY,
    "pharmacy": Role.PHARMACY,
}


def token(
    role: Annotated[str, typer.Argument(help="operator, facility or pharmacy")],
    subject: Annotated[
        str | None,
        typer.Argument(help="the facility code (e.g. 01001) or the pharmacy id (e.g. NT001002)"),
    ] = None,
) -> None:
    """Print a token of the running stack: `curl -H "Authorization: Bearer $(rxsim token
    operator)" …`. It lasts 12 hours, and no longer than the stack."""
    if role not in WHO:
        err.print(f"[red]no role {role!r}:[/] choose one of {', '.join(WHO)}")
        raise typer.Exit(2)
    chosen = WHO[role]
    if chosen == Role.OPERATOR:
        subject = tokens.OPERATOR
    elif not subject:
        err.print(f"[red]a {role} token names whose it is:[/] rxsim token {role} <code>")
        raise typer.Exit(2)
    issued = running_token(chosen, subject)
    if issued is None:
        err.print("[red]no `rxsim up` is running on this machine:[/] start one first")
        raise typer.Exit(1)
    print(issued)
