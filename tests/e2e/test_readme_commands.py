"""The README's commands run as written: every shell command of its code blocks that needs no
running stack is run, in order, in a copy of the repository with .venv's bin on PATH (as the
README says to activate it), and must exit 0 without a traceback. Those that need a running
stack (or a cluster of one's own) are listed here with the tests that cover what they do, so
that a command added to the README that is neither run nor listed fails this test."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from rxsim.cli.main import app
from tests.support.run_results import a_run_result, stage_by_id

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.S | re.M)

# Run as written, in this order (later ones use what earlier ones wrote), in a copy of the
# repository. The report commands read two run results, which `_two_run_results` puts in
# rxsim-reports/ beforehand, as two `rxsim load` runs would have.
RUN = [
    "rxsim fhir validate tests/data/hl7-r4-examples/MedicationRequest-medrx0311.json",
    "rxsim fhir wrap tests/data/hl7-r4-examples/MedicationRequest-medrx0311.json "
    "--diagnosis I10 --registration-number VD-36250-22 --cccd 001085012345 "
    "--name Nguyễn Văn An > bundle.json",
    "rxsim fhir keygen hospital-01001.pem --facility 01001",
    "cp rxsim/scenarios/pilot.toml my-scenario.toml",
    "rxsim fhir sign bundle.json --key hospital-01001.pem",
    "rxsim fhir sign bundle.json --key hospital-01001.pem --envelope",
    ".venv/bin/rxsim record day.jsonl.gz --day --scenario peak-day --prescriptions 10000",
    ".venv/bin/rxsim report compare rxsim-reports/load-A.json rxsim-reports/load-B.json "
    "--html ab.html",
    ".venv/bin/rxsim report html rxsim-reports/load-A.json",
]

UP = "tests/e2e/test_cli.py (rxsim up, its tokens, /stats with and without one)"
API = "tests/integration/test_hospital_api.py, test_access.py, test_pipeline.py"
LIVE = "tests/unit/test_live_commands.py; the reader: tests/integration/test_reading_to_the_end.py"
LOAD = "tests/e2e/test_load.py"
# Need a running stack, or a Kafka cluster of one's own: covered by these tests instead.
NEEDS_A_STACK = {
    "make demo": "tests/e2e/test_cli.py (rxsim demo)",
    "make test": "this test suite, run by it",
    ".venv/bin/rxsim up": UP,
    "HOSPITAL=Authorization: Bearer $(rxsim token facility 01001)": UP,
    "PHARMACY=Authorization: Bearer $(rxsim token pharmacy NT001002)": UP,
    "OPERATOR=Authorization: Bearer $(rxsim token operator)": UP,
    "CITIZEN=Authorization: Bearer eyJhbGciOiJIUzI1NiIs…": API,
    "curl -s -X POST http://127.0.0.1:8081/prescriptions -H $HOSPITAL "
    "-H content-type: application/fhir+json --data @bundle.json": API,
    "curl -s -X POST http://127.0.0.1:8084/auth/otp "
    '-H content-type: application/json -d {"cccd": "001085012345"}': API,
    "curl -s -X POST http://127.0.0.1:8084/auth/token -H content-type: application/json "
    '-d {"cccd": "001085012345", "code": "482913"}': API,
    "curl -s http://127.0.0.1:8084/citizens/001085012345/prescriptions -H $CITIZEN": API,
    "curl -s -G http://127.0.0.1:8084/pharmacies --data-urlencode province=Hà Nội": API,
    "curl -s -X POST http://127.0.0.1:8084/citizens/001085012345/prescriptions/01001gitom4y-c"
    "/choice -H $CITIZEN -H content-type: application/json "
    '-d {"pharmacy_id": "NT001002", "fulfilment": "delivery", '
    '"address": "12 Lý Thường Kiệt, Hà Nội"}': API,
    "curl -s http://127.0.0.1:8081/prescriptions/01001gitom4y-c -H $HOSPITAL": API,
    "curl -s http://127.0.0.1:8082/prescriptions/01001gitom4y-c -H $OPERATOR": API,
    "curl -s http://127.0.0.1:8082/stats": UP,
    "curl -s http://127.0.0.1:8082/stats -H Authorization: Bearer $(rxsim token operator)": UP,
    "rxsim audit --citizen 001085001234": "tests/integration/test_audit.py",
    "rxsim audit --prescription 01001gitom4y-c --json trail.json": (
        "tests/integration/test_audit.py"
    ),
    "rxsim trace 01001gitom4y-c": LIVE,
    "rxsim trace 6df6c07b-…": LIVE,
    "rxsim tail rx.status --id 01001gitom4y-c": LIVE,
    "rxsim deadletters": "tests/integration/test_deadletters.py, tests/e2e/test_cli.py",
    "rxsim contracts verify": LIVE,
    "KAFKA_BOOTSTRAP_SERVERS=broker1:9092 rxsim up": (
        "a cluster of one's own: the suite's stack runs on one with RXSIM_TEST_BROKER=kafka"
    ),
    "KAFKA_BOOTSTRAP_SERVERS=broker1:9093 RXSIM_KAFKA_SECURITY_PROTOCOL=SASL_SSL "
    "RXSIM_KAFKA_SASL_MECHANISM=SCRAM-SHA-512 RXSIM_KAFKA_SASL_USERNAME=rxsim "
    "RXSIM_KAFKA_SASL_PASSWORD=... RXSIM_KAFKA_SSL_CAFILE=ca.pem rxsim up": (
        "tests/integration/test_kafka_tls.py, tests/unit/test_kafka_security.py"
    ),
    ".venv/bin/rxsim chaos": "tests/e2e/test_chaos.py",
    ".venv/bin/rxsim chaos --campaign kill --rounds 3 --json chaos.json": (
        "tests/e2e/test_chaos.py"
    ),
    ".venv/bin/rxsim load --scenario peak-day --duration 5m": LOAD,
    ".venv/bin/rxsim load --rate 50 --duration 5m": LOAD,
    ".venv/bin/rxsim load --rate 200 --duration 2m --profile steps:4": LOAD,
    ".venv/bin/rxsim load --rate 100 --duration 60 --profile linear:10 --entry http "
    "--threshold p99(visible) < 500ms --threshold lost == 0": LOAD,
    ".venv/bin/rxsim replay day.jsonl.gz --speed 288": LOAD,
    ".venv/bin/rxsim record run.jsonl": LIVE,
    ".venv/bin/rxsim replay run.jsonl --speed 2 --entry http": LOAD,
    ".venv/bin/rxsim bench": LOAD,
    ".venv/bin/rxsim bench --start-rate 50 --max-rate 800 --step 30s --measure 60s": LOAD,
}

# Named in the README's text (not in a code block) and run here too.
NAMED_IN_THE_TEXT = ["rxsim scenarios", "rxsim services", "rxsim contracts check"]


def readme_commands(text: str) -> Iterator[str]:
    """Each shell command of the README's sh blocks as written: comment lines (what a
    command prints) skipped, continued lines joined with their backslashes kept."""
    for block in SHELL_BLOCK.finditer(text):
        pending = ""
        for line in block.group(1).splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending += line + "\n"
            if not line.rstrip().endswith("\\"):
                yield pending.rstrip("\n")
                pending = ""


def words(command: str) -> str:
    """A command as the shell reads its words, comments dropped: how the lists name it."""
    return " ".join(shlex.split(command.replace("\\\n", " "), comments=True))


def as_written() -> dict[str, str]:
    return {words(c): c for c in readme_commands(README.read_text(encoding="utf-8"))}


def test_every_readme_command_is_run_here_or_covered_by_a_named_test() -> None:
    found = set(as_written())
    neither = found - set(RUN) - set(NEEDS_A_STACK)
    assert not neither, f"README commands neither run here nor listed: {sorted(neither)}"
    gone = (set(RUN) | set(NEEDS_A_STACK)) - found
    assert not gone, f"listed here but no longer in the README: {sorted(gone)}"
    text = README.read_text(encoding="utf-8")
    assert all(f"`{command}`" in text for command in NAMED_IN_THE_TEXT)


def _two_run_results(reports: Path) -> None:
    reports.mkdir()
    slower = a_run_result()
    stage_by_id(slower, "issued_to_visible")["latency_ms"]["p50"] = 54.0
    (reports / "load-A.json").write_text(json.dumps(a_run_result()), encoding="utf-8")
    (reports / "load-B.json").write_text(json.dumps(slower), encoding="utf-8")


@pytest.fixture
def a_copy(tmp_path: Path) -> Path:
    """The repository as a fresh clone has it (its .venv the one running these tests)."""
    copy = tmp_path / "rxsim"
    ignored = shutil.ignore_patterns(  # what git ignores, as a clone does not have it
        ".venv", ".git", ".cache", "__pycache__", "*_cache", "*.egg-info", "rxsim-reports",
        "rxsim-*-data", "test-artifacts",
    )  # fmt: skip
    shutil.copytree(ROOT, copy, ignore=ignored)
    (copy / ".venv").symlink_to(VENV_BIN.parent)
    return copy


def test_the_readme_commands_that_need_no_stack_run_as_written(a_copy: Path) -> None:
    _two_run_results(a_copy / "rxsim-reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "RXSIM_"))}
    env |= {"PATH": f"{VENV_BIN}{os.pathsep}{env['PATH']}", "COLUMNS": "120"}
    written = as_written()
    for command in [written[key] for key in RUN] + NAMED_IN_THE_TEXT:
        done = subprocess.run(
            ["bash", "-c", command], cwd=a_copy, env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        said = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\n{said}"
        assert "Traceback" not in said, f"{command}\n{said}"
    assert json.loads((a_copy / "bundle.json").read_text())["resourceType"] == "Bundle"
    assert (a_copy / "ab.html").is_file() and (a_copy / "rxsim-reports/load-A.html").is_file()


def _commands(group: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


@pytest.mark.parametrize("path", list(_commands(get_command(app))), ids=" ".join)
def test_every_commands_help_shows(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="rxsim")
    assert result.exit_code == 0, result.output
    assert f"Usage: rxsim {' '.join(path)}".rstrip() in result.output
