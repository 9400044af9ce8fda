"""What every command shares: where it prints and how it is told the broker."""

import os
import sys
from typing import Annotated

import typer
from rich.console import Console

# Without a terminal (CI logs, a pipe) rich would cut tables at 80 columns: give them room.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
console = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line, however narrow

BootstrapOpt = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        "-b",
        envvar="KAFKA_BOOTSTRAP_SERVERS",
        help="the broker (default: $KAFKA_BOOTSTRAP_SERVERS, else the running `rxsim up`)",
    ),
]

ScenarioOpt = Annotated[str, typer.Option("--scenario", "-s", help="scenario name or .toml path")]
