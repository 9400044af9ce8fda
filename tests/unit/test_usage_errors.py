"""Every usage error, click's own (an unknown option, a missing argument, a value of the wrong
type or out of range) as well as rxsim's, is one line on stderr naming the command and
pointing to its --help, with exit 2, for every command and subcommand; nothing starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rxsim.cli.main import app
from rxsim.messaging.bootstrap import bootstrap_problem
from rxsim.messaging.settings import Settings


@pytest.fixture(autouse=True)
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a mistake get through, the test fails instead of starting a stack or a client."""

    def started(*_: object, **__: object) -> None:
        raise AssertionError("something started for arguments that should be refused")

    monkeypatch.setattr("rxsim.cli.main.Stack", started)
    monkeypatch.setattr("rxsim.tools.live.connect", started)
    monkeypatch.setattr("rxsim.tools.topic_reader.open_consumer", started)
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "RXSIM_KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(name, raising=False)


def refused(args: list[str], env: dict[str, str] | None = None) -> str:
    """The one line on stderr of a refused command line (exit 2, nothing on stdout)."""
    result = CliRunner().invoke(app, args, env=env, terminal_width=60, prog_name="rxsim")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.stdout == "", result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "command", "said"),
    [
        (["chaos", "--rounds", "-1"], "rxsim chaos", "'--rounds'"),
        (["chaos", "--rounds", "many"], "rxsim chaos", "'--rounds'"),
        (["up", "--no-such-option"], "rxsim up", "No such option: --no-such-option"),
        (["demo", "--count"], "rxsim demo", "'--count' requires an argument"),
        (["replay"], "rxsim replay", "Missing argument"),
        (["tail", "rx.issued", "--window", "-1"], "rxsim tail", "'--window'"),
        (["load", "--rate", "fast"], "rxsim load", "'--rate'"),
        (["bench", "--start-rate", "0"], "rxsim bench", "'--start-rate'"),
        (["fhir", "wrap"], "rxsim fhir wrap", "Missing argument"),
        (["fhir", "nosuch"], "rxsim fhir", "No such command 'nosuch'"),
        (["contracts", "verify", "--idle", "soon"], "rxsim contracts verify", "'--idle'"),
        (["report", "compare", "a.json"], "rxsim report compare", "Missing argument"),
        (["token"], "rxsim token", "Missing argument"),
        (["--no-such-option"], "rxsim", "No such option"),
        (["nosuch"], "rxsim", "No such command 'nosuch'"),
        # rxsim's own refusals take the same form
        (["demo", "--count", "-5"], "rxsim demo", "--count must be 1 or more (got -5)"),
        (["up", "--scenario", "nosuch"], "rxsim up", "no scenario 'nosuch'"),
        (["chaos", "--campaign", "flood"], "rxsim chaos", "no campaign flood"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_command_and_its_help(
    args: list[str], command: str, said: str
) -> None:
    line = refused(args)
    assert line.startswith(f"error: {command}: "), line
    assert said in line
    assert line.endswith(f"(see {command} --help)"), line
    assert "╭" not in line and "Usage:" not in line


def test_a_usage_error_of_the_installed_command_is_one_line_too(tmp_path: Path) -> None:
    """The real entry point, in its own process, without a terminal (where click and rich
    would box the message and cut it at 80 columns)."""
    rxsim = Path(sys.executable).with_name("rxsim")
    done = subprocess.run(
        [str(rxsim), "chaos", "--rounds", "-1"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={**os.environ, "COLUMNS": "40"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: rxsim chaos: Invalid value for '--rounds': Input should be greater than or "
        "equal to 1 (see rxsim chaos --help)"
    ]


def test_a_group_without_its_subcommand_still_shows_its_help() -> None:
    result = CliRunner().invoke(app, ["fhir"])
    assert "wrap" in result.output and "keygen" in result.output


ODD_BROKERS = ["::::", "host:", ":9092", "host:99999", "a b:1", "host", "a:1,,b:2", "[::1:9092"]


@pytest.mark.parametrize("servers", ODD_BROKERS)
@pytest.mark.parametrize(
    "args",
    [
        ["tail", "rx.issued"],
        ["trace", "01001gitom4y-c"],
        ["deadletters"],
        ["audit", "--citizen", "001085001234"],
        ["contracts", "verify"],
        ["record", "run.jsonl"],
    ],
)
def test_an_odd_bootstrap_is_refused_in_one_line_before_any_client(
    args: list[str], servers: str
) -> None:
    line = refused([*args, "--bootstrap", servers])
    assert f"--bootstrap: {bootstrap_problem(servers)}" in line
    from_environment = refused(args, env={"KAFKA_BOOTSTRAP_SERVERS": servers})
    assert f"KAFKA_BOOTSTRAP_SERVERS: {bootstrap_problem(servers)}" in from_environment


@pytest.mark.parametrize("servers", ODD_BROKERS)
@pytest.mark.parametrize("args", [["up"], ["demo"], ["load"], ["chaos"], ["bench"]])
def test_the_stack_commands_refuse_an_odd_bootstrap_from_the_environment(
    args: list[str], servers: str
) -> None:
    line = refused(args, env={"KAFKA_BOOTSTRAP_SERVERS": servers})
    assert f"KAFKA_BOOTSTRAP_SERVERS: {bootstrap_problem(servers)}" in line


@pytest.mark.parametrize(
    ("servers", "why"),
    [
        ("::::", "'::::' has no port"),
        ("host:", "'host:' has no port"),
        ("host", "'host' has no port"),
        (":9092", "':9092' has no host"),
        ("host:99999", "the port '99999' is not a number from 1 to 65535"),
        ("host:0", "the port '0' is not a number from 1 to 65535"),
        ("a b:1", "'a b' is not a host name or an IP address"),
        ("-host:1", "'-host' is not a host name or an IP address"),
        ("300.1.1.1:9092", "300.1.1.1 is not an IPv4 address"),
        ("::1:9092", "an IPv6 address is written in brackets"),
        ("[::g]:9092", "[::g] is not an IPv6 address"),
        ("a:1,,b:2", "an empty address between commas"),
        ("a:1,b", "'b' has no port"),
        ("", "no address"),
    ],
)
def test_bootstrap_problem_names_what_is_wrong(servers: str, why: str) -> None:
    problem = bootstrap_problem(servers)
    assert problem is not None and why in problem
    assert "HOST:PORT" in problem


@pytest.mark.parametrize(
    "servers",
    [
        "localhost:9092",
        "127.0.0.1:39092",
        "[::1]:9092",
        "broker1:9093,broker2:9093",
        "broker1:9093, broker2.example.org:9093",
        "kafka_1:29092",
        "b-1.msk.eu-west-1.amazonaws.com:9094",
    ],
)
def test_bootstrap_problem_takes_what_kafka_clients_take(servers: str) -> None:
    assert bootstrap_problem(servers) is None


def test_a_service_refuses_an_odd_bootstrap_from_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "host:99999")
    with pytest.raises(ValueError, match="the port '99999' is not a number from 1 to 65535"):
        Settings()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "host:9092")
    assert Settings().kafka_bootstrap_servers == "host:9092"
