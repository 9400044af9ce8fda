"""What every command shares: where it prints and how it is told the broker."""

from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False)
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
