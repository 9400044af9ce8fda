"""What every command shares: where it prints and how it is told the broker."""

import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from rxsim.cli.usage import usage
from rxsim.messaging.bootstrap import bootstrap_problem

# Without a terminal (CI logs, a pipe) rich would cut tables at 80 columns: give them room.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
console = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line, however narrow


def _brokers(ctx: typer.Context, param: typer.CallbackParam, servers: str | None) -> str | None:
    """The broker's address, or a one-line refusal naming where the odd value came from."""
    problem = None if servers is None else bootstrap_problem(servers)
    if problem:
        source = ctx.get_parameter_source(param.name or "")
        from_environment = source is not None and source.name == "ENVIRONMENT"
        usage(f"{'KAFKA_BOOTSTRAP_SERVERS' if from_environment else '--bootstrap'}: {problem}")
    return servers


BootstrapOpt = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        "-b",
        envvar="KAFKA_BOOTSTRAP_SERVERS",
        help="the broker (default: $KAFKA_BOOTSTRAP_SERVERS, else the running `rxsim up`)",
        callback=_brokers,
    ),
]

ScenarioOpt = Annotated[str, typer.Option("--scenario", "-s", help="scenario name or .toml path")]
