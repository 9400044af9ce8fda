"""Bad input at the hospital's edge gets a FHIR OperationOutcome that names the problem."""

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from rxsim.domain.reference.country import DRUGS
from rxsim.fhir import synthetic
from rxsim.messaging.codec import MAX_MESSAGE_BYTES
from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.integration.conftest import NewCode
from tests.support import hl7_examples as hl7
from tests.support.rule_faults import adult
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration
COUNTRY = load(str(STACK_SCENARIO)).country


@pytest.fixture(scope="module")
def client(stack: Stack) -> StackClient:
    return StackClient(stack)


def as_01001(client: StackClient, **headers: str) -> dict[str, str]:
    """Headers of hospital 01001's system, the facility of every Bundle here."""
    return {**headers, **client.facility("01001")}


def valid_bundle(code: str) -> dict[str, Any]:
    hospital = COUNTRY.hospital_by_code["01001"]
    return synthetic.prescription(
        random.Random(7),
        code=code,
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
        headers=as_01001(client, **{"content-type": "application/fhir+json"}),
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
    client: StackClient, new_code: NewCode, change: Any, code: str, where: str
) -> None:
    bundle = valid_bundle(new_code("01001"))
    response = client["hospital"].post(
        "/prescriptions", json=change(bundle), headers=as_01001(client)
    )
    assert response.status_code == 422
    issues = outcome(response)
    assert issues[0]["details"]["coding"][0]["code"] == code
    assert issues[0]["expression"] == [where]


def test_an_entry_of_an_unknown_resource_type_is_a_422_naming_it(
    client: StackClient, new_code: NewCode
) -> None:
    bundle = valid_bundle(new_code("01001"))
    at = len(bundle["entry"])
    bundle["entry"].append({"resource": {"resourceType": "Prescription", "id": "x"}})
    response = client["hospital"].post("/prescriptions", json=bundle, headers=as_01001(client))
    assert response.status_code == 422
    [issue] = outcome(response)
    assert issue["details"]["coding"][0]["code"] == "FHIR_INVALID"
    assert issue["expression"] == [f"Bundle.entry[{at}].resource.resourceType"]


def with_dosage_text(bundle: dict[str, Any], text: str) -> dict[str, Any]:
    request = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    )
    request["dosageInstruction"][0]["text"] = text
    return bundle


def test_a_body_that_fits_but_not_in_its_envelope_is_a_413(
    client: StackClient, new_code: NewCode
) -> None:
    # Given a valid Bundle just under the limit, so its envelope is just over it
    bundle = valid_bundle(new_code("01001"))
    room = MAX_MESSAGE_BYTES - 110 - len(orjson.dumps(with_dosage_text(bundle, "")))
    body = orjson.dumps(with_dosage_text(bundle, "x" * room))
    assert MAX_MESSAGE_BYTES - 200 < len(body) <= MAX_MESSAGE_BYTES
    # When it is sent, it is refused at once, saying so
    response = client["hospital"].post(
        "/prescriptions",
        content=body,
        headers=as_01001(client, **{"content-type": "application/fhir+json"}),
    )
    assert response.status_code == 413, response.text
    [issue] = outcome(response)
    assert issue["details"]["coding"][0]["code"] == "TOO_LARGE"


def test_a_large_valid_prescription_flows_to_the_pharmacy(
    client: StackClient, new_code: NewCode
) -> None:
    # Given a valid prescription with about 600 KB of dosage text
    code = new_code("01001")
    bundle = with_dosage_text(valid_bundle(code), "Uống sau ăn. " * 46_000)
    # When it is sent and the citizen chooses a pharmacy
    submission = client.post_prescription(bundle)["submission_id"]
    client.wait_for_state(submission, "AVAILABLE")
    cccd = COUNTRY.citizens[0].cccd
    client.wait_for_citizen(cccd, code)
    pharmacy = client["citizen_app"].get("/pharmacies").json()[0]["id"]
    response = client["citizen_app"].post(
        f"/citizens/{cccd}/prescriptions/{code}/choice",
        json={"pharmacy_id": pharmacy, "fulfilment": "pickup"},
        headers=client.citizen(cccd),
    )
    assert response.status_code == 202, response.text
    # Then the coordinator stores it and orders it: the pharmacy answers
    eventually(
        lambda: [t for t, _ in client.events(submission)],
        lambda seen: "pharmacy.events" in seen,
        f"the pharmacy to answer the order for {code}",
    )


def test_a_second_cancellation_is_refused_and_the_hospital_sees_why(
    client: StackClient, new_code: NewCode
) -> None:
    # Given a prescription its prescriber has cancelled
    code = new_code("01001")
    submission = client.post_prescription(valid_bundle(code))["submission_id"]
    client.wait_for_state(submission, "AVAILABLE")
    cancel = f"/prescriptions/{code}/cancel"
    assert client["hospital"].post(cancel, headers=as_01001(client)).status_code == 202
    client.wait_for_state(submission, "CANCELLED")
    # When it is cancelled again
    assert client["hospital"].post(cancel, headers=as_01001(client)).status_code == 202
    # Then the submission shows the refused cancellation with its reason, and stays cancelled
    shown = eventually(
        lambda: client.submission(submission),
        lambda found: bool(found["refused"]),
        f"the refused cancellation of {code}",
    )
    assert shown["state"] == "CANCELLED"
    [refused] = shown["refused"]
    assert (refused["request"], refused["reason_code"]) == ("cancel", "ALREADY_CANCELLED")
    assert "already cancelled" in refused["reason"]


def test_invalid_fhir_datatype_names_the_element(client: StackClient, new_code: NewCode) -> None:
    bundle = valid_bundle(new_code("01001"))
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["birthDate"] = "1990-13-01"
    response = client["hospital"].post("/prescriptions", json=bundle, headers=as_01001(client))
    assert response.status_code == 422
    [issue] = outcome(response)
    assert issue["expression"][0].endswith("resource.ofType(Patient).birthDate")


def _post_example(client: StackClient, request: dict[str, Any]) -> Any:
    bundle = hl7.wrapped(request, COUNTRY.hospital_by_code["01001"], adult())
    return client["hospital"].post("/prescriptions", json=bundle, headers=as_01001(client))


def _refused_at_the_edge_naming(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {e for issue in outcome(response) for e in issue["expression"]}


@pytest.mark.parametrize("example", hl7.EXAMPLES, ids=hl7.name)
def test_hl7_example_wrapped_plainly_is_refused_naming_the_missing_elements(
    client: StackClient, example: Path
) -> None:
    response = _post_example(client, hl7.request(example))
    if hl7.name(example) in hl7.EDGE_REFUSED:
        named = _refused_at_the_edge_naming(response)
        assert all(e.endswith((".status", ".dispenseRequest.quantity")) for e in named), named
        return
    # Accepted for delivery to the coordinator, which refuses it naming what a Vietnamese
    # prescription needs: an ICD-10 diagnosis and the drug's registration number.
    assert response.status_code == 202, response.text
    rejected = client.wait_for_state(response.json()["submission_id"], "REJECTED")
    assert rejected["reason_code"] == "DIAGNOSIS_MISSING"
    assert "Bundle.entry[0].resource.ofType(MedicationRequest).reasonCode: " in rejected["reason"]
    assert "số đăng ký" in rejected["reason"]


@pytest.mark.parametrize("example", hl7.EXAMPLES, ids=hl7.name)
def test_hl7_example_made_vietnamese_is_accepted_or_refused_naming_what_it_lacks(
    client: StackClient, example: Path
) -> None:
    response = _post_example(client, hl7.vietnamese(example))
    if hl7.name(example) in hl7.EDGE_REFUSED:
        named = _refused_at_the_edge_naming(response)
        assert all(e.endswith((".status", ".dispenseRequest.quantity")) for e in named), named
        return
    assert response.status_code == 202, response.text
    lacking = hl7.AS_VIETNAMESE[hl7.name(example)]
    submission_id = response.json()["submission_id"]
    if lacking is None:
        client.wait_for_state(submission_id, "AVAILABLE")
    else:
        rejected = client.wait_for_state(submission_id, "REJECTED")
        assert rejected["reason_code"] == lacking
        assert "Bundle.entry[0].resource.ofType(MedicationRequest)." in rejected["reason"]
