"""A user's mistake on the command line gets one line saying what is wrong and exit 2, before
anything starts: never a traceback, never a value silently ignored."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rxsim.cli.main import app
from tests.support import hl7_examples as hl7

MEDRX0311 = str(next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0311"))


@pytest.fixture(autouse=True)
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should validation let a mistake through, the test fails instead of starting a stack."""

    def started(*_: object, **__: object) -> None:
        raise AssertionError("a stack was started for arguments that should be refused")

    monkeypatch.setattr("rxsim.cli.main.Stack", started)
    monkeypatch.setattr("rxsim.tools.live.connect", started)


def refused(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=300)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["up", "--partitions", "0"], "--partitions must be 1 or more (got 0)"),
        (["up", "--partitions", "-2"], "--partitions must be 1 or more (got -2)"),
        (["up", "--speedup", "0"], "--speedup must be more than 0 (got 0)"),
        (["up", "--speedup", "-3"], "--speedup must be more than 0 (got -3)"),
        (["up", "--broker-port", "70000"], "--broker-port must be a port, 1 to 65535"),
        (["demo", "--speedup", "0"], "--speedup must be more than 0 (got 0)"),
        (["load", "--speedup", "-1"], "--speedup must be more than 0 (got -1)"),
    ],
)
def test_stack_commands_refuse_impossible_numbers_before_starting(
    args: list[str], said: str
) -> None:
    assert said in refused(*args)


def test_record_refuses_a_trace_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "day.jsonl"
    for args in (["record", str(out), "--day"], ["record", str(out), "-b", "localhost:9092"]):
        assert f"no folder {out.parent}" in refused(*args)


def test_audit_refuses_a_json_file_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "trail.json"
    line = refused("audit", "--citizen", "001085001234", "--json", str(out), "-b", "x:1")
    assert f"no folder {out.parent}" in line


def test_fhir_commands_refuse_an_unknown_scenario(tmp_path: Path) -> None:
    assert "no scenario 'nosuch'" in refused("fhir", "wrap", MEDRX0311, "--scenario", "nosuch")
    bundle = tmp_path / "bundle.json"
    wrapped = CliRunner().invoke(app, ["fhir", "wrap", MEDRX0311])
    bundle.write_text(wrapped.stdout)
    assert "no scenario 'nosuch'" in refused("fhir", "sign", str(bundle), "-s", "nosuch")


def test_fhir_sign_refuses_what_is_not_a_prescription_bundle() -> None:
    line = refused("fhir", "sign", MEDRX0311)
    assert "a MedicationRequest, not a prescription Bundle" in line
    assert "rxsim fhir wrap" in line


def test_fhir_keygen_refuses_a_key_file_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "key.pem"
    assert "cannot write" in refused("fhir", "keygen", str(out), "--facility", "01001")


@pytest.mark.parametrize("cccd", ["12", "00108501234X", "0010850123456"])
def test_fhir_wrap_refuses_a_cccd_it_cannot_read_a_birth_year_and_sex_from(cccd: str) -> None:
    assert "--cccd must be 12 digits" in refused("fhir", "wrap", MEDRX0311, "--cccd", cccd)


def test_fhir_wrap_still_takes_a_valid_cccd() -> None:
    result = CliRunner().invoke(app, ["fhir", "wrap", MEDRX0311, "--cccd", "001085012345"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resourceType"] == "Bundle"
