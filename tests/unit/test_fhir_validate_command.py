"""`rxsim fhir validate FILE`: exit 0 valid, 1 invalid with each problem and its FHIRPath,
2 with a one-line error for a file it cannot read; --json prints the OperationOutcome."""

import copy
import json
from pathlib import Path

from typer.testing import CliRunner

from rxsim.cli.main import app
from tests.support import factories as make

NHS = Path(__file__).parents[1] / "data" / "fhir-corpus" / "nhs-england"
runner = CliRunner()


def test_a_valid_published_bundle_exits_0() -> None:
    example = next(NHS.glob("*Process-Request-Send-200_OK.json"))
    result = runner.invoke(app, ["fhir", "validate", str(example)])
    assert result.exit_code == 0, result.output
    assert "valid FHIR R4 Bundle" in result.output


def test_an_invalid_bundle_exits_1_listing_every_problem(tmp_path: Path) -> None:
    bundle = copy.deepcopy(make.bundle())
    bundle["type"] = "parcel"
    bundle["entry"][0]["resource"]["intent"] = "bogus"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = runner.invoke(app, ["fhir", "validate", str(path)])
    assert result.exit_code == 1
    assert "code-invalid Bundle.type:" in result.output
    assert "Bundle.entry[0].resource.ofType(MedicationRequest).intent:" in result.output

    as_json = runner.invoke(app, ["fhir", "validate", "--json", str(path)])
    assert as_json.exit_code == 1
    outcome = json.loads(as_json.stdout)
    assert outcome["resourceType"] == "OperationOutcome"
    assert {i["expression"][0] for i in outcome["issue"] if i["severity"] == "error"} == {
        "Bundle.type",
        "Bundle.entry[0].resource.ofType(MedicationRequest).intent",
    }
    warnings = [i for i in outcome["issue"] if i["severity"] == "warning"]
    assert warnings and all(i["diagnostics"].startswith("dom-6:") for i in warnings)


def test_the_edges_prescription_checks_run_with_edge(tmp_path: Path) -> None:
    bundle = copy.deepcopy(make.bundle())
    del make.resource(bundle, "Organization")["identifier"]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    assert runner.invoke(app, ["fhir", "validate", str(path)]).exit_code == 0
    result = runner.invoke(app, ["fhir", "validate", "--edge", str(path)])
    assert result.exit_code == 1
    assert "ofType(Organization).identifier" in result.output


def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["fhir", "validate", str(tmp_path / "nothing.json")])
    (tmp_path / "bad.json").write_text("{not json")
    broken = runner.invoke(app, ["fhir", "validate", str(tmp_path / "bad.json")])
    for result in (missing, broken):
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output
