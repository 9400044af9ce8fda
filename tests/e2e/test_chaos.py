"""`rxsim chaos` as a user runs it, on a small bound: it starts its own stack, runs the
campaigns asked for, prints one table, writes the same figures as JSON, and its exit code is
the verdict."""

import json
import os
import subprocess
import sys
from pathlib import Path

from rxsim.tools.chaos_figures import EXPECTED_ZERO

RXSIM = [sys.executable, "-m", "rxsim"]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return subprocess.run([*RXSIM, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_chaos_survives_frozen_services_hostile_messages_mutated_fhir_and_a_replay(
    tmp_path: Path,
) -> None:
    figures_file = tmp_path / "chaos.json"
    result = run(
        "chaos", "--campaign", "stop", "--campaign", "hostile", "--campaign", "fhir",
        "--campaign", "replay",
        "--rounds", "1", "--count", "6", "--fhir-inputs", "20", "--json", str(figures_file),
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert figures_file.exists(), output  # a run that could not go on says why
    written = json.loads(figures_file.read_text())
    figures = written["figures"]

    # The verdict: nothing lost, repeated, dropped or answered 5xx, and the exit code says so.
    assert written["failed"] == {}, output
    assert all(figures[key] == 0 for key in EXPECTED_ZERO), output
    assert written["passed"] is True and result.returncode == 0, output
    # What was run: each service frozen once during its own generator run, hostile messages on
    # every consumed topic (then a run to show the pipeline still works), the FHIR inputs all
    # answered, every consumed topic replayed; no kill was asked for.
    assert written["stops"] == figures["stops_survived"] == 4
    assert written["kills"] == figures["kills_survived"] == 0
    assert figures["runs"] == 5
    assert figures["fhir_inputs"] == sum(written["fhir_answers"].values()) == 20
    assert figures["issued"] >= 4 * 6
    assert figures["replayed"] > figures["issued"]
    assert figures["hostile_sent"] > 0
    assert figures["dead_letters"] >= figures["hostile_sent"]
    # The table shows the same figures.
    for label, key in [
        ("prescriptions issued", "issued"),
        ("messages replayed", "replayed"),
        ("prescriptions lost", "lost"),
    ]:
        line = next(line for line in result.stdout.splitlines() if label in line)
        assert f" {figures[key]} " in line, line


def test_an_unknown_campaign_is_refused_with_the_list() -> None:
    result = run("chaos", "--campaign", "flood", timeout=60)
    assert result.returncode == 2
    assert "no campaign flood" in result.stderr
    assert "kill" in result.stderr
