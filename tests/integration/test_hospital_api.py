"""Bad input at the hospital's edge gets a FHIR OperationOutcome that names the problem."""

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from rxsim.country import DRUGS
from rxsim.scenario import load
from rxsim.stack import Stack
from services.hospital import bundles
from tests.integration.client import StackClient

pytestmark = pytest.mark.integration
EXAMPLES = sorted((Path(__file__).parent.parent / "data" / "hl7-r4-examples").glob("*.json"))
COUNTRY = load("pilot").country


@pytest.fixture(scope="module")
def client(stack: Stack) -> StackClient:
    return StackClient(stack)


def valid_bundle() -> dict[str, Any]:
    import random

    rng = random.Random(7)
    hospital = COUNTRY.hospital_by_code["01001"]
    return bundles.prescription(
        rng,
        code=bundles.new_code(rng, "01001"),
        hospital=hospital,
        citizen=COUNTRY.citizens[0],
        drugs=[DRUGS[0]],
        simulated=False,
    )


def outcome(response: Any) -> list[dict[str, Any]]:
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    OperationOutcome.model_validate(body)
    return list(body["issue"])


def without(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    entries = [e for e in bundle["entry"] if e["resource"]["resourceType"] != resource_type]
    return {**bundle, "entry": entries}


def test_malformed_json_is_a_400_operation_outcome(client: StackClient) -> None:
    response = client["hospital"].post(
        "/prescriptions",
        content=b'{"resourceType": "Bun',
        headers={"content-type": "application/fhir+json"},
    )
    assert response.status_code == 400
    [issue] = outcome(response)
    assert issue["details"]["coding"][0]["code"] == "MALFORMED_JSON"


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        (lambda b: {**b, "resourceType": "Patient"}, "WRONG_RESOURCE_TYPE", "resourceType"),
        (lambda b: without(b, "Patient"), "MISSING_RESOURCE", "Bundle.entry"),
        (lambda b: without(b, "MedicationRequest"), "MISSING_RESOURCE", "Bundle.entry"),
    ],
)
def test_structurally_wrong_prescription_is_a_422_naming_it(
    client: StackClient, change: Any, code: str, where: str
) -> None:
    response = client["hospital"].post("/prescriptions", json=change(valid_bundle()))
    assert response.status_code == 422
    issues = outcome(response)
    assert issues[0]["details"]["coding"][0]["code"] == code
    assert issues[0]["expression"] == [where]


def test_invalid_fhir_datatype_names_the_element(client: StackClient) -> None:
    bundle = valid_bundle()
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["birthDate"] = "1990-13-01"
    response = client["hospital"].post("/prescriptions", json=bundle)
    assert response.status_code == 422
    [issue] = outcome(response)
    assert issue["expression"][0].endswith("resource(Patient).birthDate")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_hl7_example_is_accepted_or_refused_with_the_missing_elements(
    client: StackClient, example: Path
) -> None:
    request = json.loads(example.read_text())
    hospital = COUNTRY.hospital_by_code["01001"]
    import random

    bundle = bundles.wrap(
        [request],
        code=bundles.new_code(random.Random(), "01001"),
        hospital=hospital,
        citizen=COUNTRY.citizens[0],
        prescriber=("BS. Lan", "000123/01001-CCHN"),
    )
    response = client["hospital"].post("/prescriptions", json=bundle)
    if request.get("status") == "active" and (request.get("dispenseRequest") or {}).get("quantity"):
        assert response.status_code == 202, response.text
        client.wait_for_state(response.json()["submission_id"], "AVAILABLE")
    else:
        assert response.status_code == 422, response.text
        named = {e for issue in outcome(response) for e in issue["expression"]}
        assert any(e.endswith((".status", ".dispenseRequest.quantity")) for e in named), named
