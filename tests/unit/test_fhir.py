"""FHIR at the edge: parse_prescription turns a valid Bundle into the lean Prescription and names
the element of every problem; operation_outcome and the resources rxsim emits are valid FHIR."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fhir.resources.R4B.medicationdispense import MedicationDispense
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task

from rxsim import fhir
from rxsim.domain.prescription import Issue
from rxsim.domain.reference.country import DRUGS
from schemas.events import State
from tests.support import factories as make

Bundle = dict[str, Any]


def issues_of(payload: Any) -> list[Issue]:
    with pytest.raises(fhir.InvalidPrescription) as refused:
        fhir.parse_prescription(payload)
    assert refused.value.issues
    return refused.value.issues


def test_a_valid_bundle_parses_into_the_lean_prescription() -> None:
    # Given a bundle as the hospital builds it
    code = make.code_for(make.ONBOARDED_HOSPITAL, "h")
    payload = make.bundle(code=code, drugs=DRUGS[:3])
    # When it is parsed
    rx = fhir.parse_prescription(payload)
    # Then the lean prescription carries what downstream services need
    assert rx.code == code
    assert rx.type_letter == "h"
    assert rx.facility_code == make.ONBOARDED_HOSPITAL.code
    assert rx.facility_name == make.ONBOARDED_HOSPITAL.name
    assert rx.citizen_id == make.CITIZEN.cccd
    assert rx.patient_name == make.CITIZEN.name
    assert rx.prescriber_name.startswith("BS. ")
    assert rx.simulated is True
    assert [item.drug_code for item in rx.items] == [d.registration_number for d in DRUGS[:3]]
    assert [item.name for item in rx.items] == [d.name for d in DRUGS[:3]]
    assert all(item.quantity > 0 and item.unit == "viên" for item in rx.items)
    assert all(item.instructions.startswith("Uống") for item in rx.items)
    requests = [e["resource"] for e in payload["entry"][:3]]
    assert list(rx.medication_requests) == requests
    assert rx.authored_on == requests[0]["authoredOn"]


def test_the_quantity_is_the_daily_units_times_the_days() -> None:
    payload = make.bundle(drugs=DRUGS[:1])
    request = make.resource(payload, "MedicationRequest")
    days = request["dispenseRequest"]["expectedSupplyDuration"]["value"]

    [item] = fhir.parse_prescription(payload).items

    assert item.quantity == DRUGS[0].daily_units * days


def test_a_bundle_without_the_synthetic_tag_is_not_simulated() -> None:
    payload = make.bundle()
    del payload["meta"]["tag"]

    assert fhir.parse_prescription(payload).simulated is False


@pytest.mark.parametrize("payload", [None, "Bundle", [], 42], ids=repr)
def test_a_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    [issue] = issues_of(payload)
    assert (issue.expression, issue.code) == ("(root)", "NOT_AN_OBJECT")


def test_a_resource_that_is_not_a_bundle_is_refused_naming_what_it_got() -> None:
    [issue] = issues_of({"resourceType": "Patient"})
    assert (issue.expression, issue.code) == ("resourceType", "WRONG_RESOURCE_TYPE")
    assert "'Patient'" in issue.message


@pytest.mark.parametrize(
    "missing", ["Patient", "Practitioner", "Organization", "MedicationRequest"]
)
def test_a_bundle_missing_a_resource_is_refused_naming_it(missing: str) -> None:
    [issue] = issues_of(make.without(make.bundle(), missing))
    assert (issue.expression, issue.code, issue.fhir_code) == (
        "Bundle.entry",
        "MISSING_RESOURCE",
        "required",
    )
    assert missing in issue.message


def test_a_bundle_missing_two_resources_lists_both() -> None:
    payload = make.without(make.without(make.bundle(), "Patient"), "Organization")

    messages = [issue.message for issue in issues_of(payload)]

    assert any("Patient" in m for m in messages)
    assert any("Organization" in m for m in messages)


def _drop_code(payload: Bundle) -> None:
    del payload["identifier"]
    for entry in payload["entry"]:
        entry["resource"].pop("groupIdentifier", None)


def _drop_cccd(payload: Bundle) -> None:
    make.resource(payload, "Patient")["identifier"] = [{"system": "urn:other", "value": "1"}]


def _drop_facility_code(payload: Bundle) -> None:
    del make.resource(payload, "Organization")["identifier"]


def _zero_quantity(payload: Bundle) -> None:
    """The second drug (entry 1) has a quantity of 0."""
    payload["entry"][1]["resource"]["dispenseRequest"]["quantity"]["value"] = 0


@pytest.mark.parametrize(
    ("spoil", "expression", "code"),
    [
        (
            _drop_code,
            "Bundle.entry.resource.ofType(MedicationRequest).groupIdentifier",
            "MISSING_PRESCRIPTION_CODE",
        ),
        (
            _drop_cccd,
            "Bundle.entry[{patient}].resource.ofType(Patient).identifier",
            "MISSING_CITIZEN_ID",
        ),
        (
            _drop_facility_code,
            "Bundle.entry[{organization}].resource.ofType(Organization).identifier",
            "MISSING_FACILITY_CODE",
        ),
        (
            _zero_quantity,
            "Bundle.entry[1].resource.ofType(MedicationRequest).dispenseRequest.quantity",
            "MISSING_QUANTITY",
        ),
    ],
    ids=["prescription-code", "cccd", "facility-code", "quantity-zero"],
)
def test_a_bundle_missing_a_required_value_is_refused_naming_the_element(
    spoil: Callable[[Bundle], None], expression: str, code: str
) -> None:
    # Given a valid bundle with one required value spoilt
    payload = copy.deepcopy(make.bundle())
    spoil(payload)
    # When it is parsed, Then exactly that element is named
    [issue] = issues_of(payload)
    patient = make.entry_index(payload, "Patient")
    organization = make.entry_index(payload, "Organization")
    where = expression.format(patient=patient, organization=organization)
    assert (issue.expression, issue.code) == (where, code)
    assert issue.fhir_code == "required"


def test_a_medication_request_that_is_not_active_is_refused_naming_its_status() -> None:
    payload = make.bundle()
    payload["entry"][1]["resource"]["status"] = "on-hold"

    [issue] = issues_of(payload)

    assert issue.expression == "Bundle.entry[1].resource.ofType(MedicationRequest).status"
    assert issue.code == "NOT_ACTIVE"
    assert "'on-hold'" in issue.message


def test_an_invalid_fhir_datatype_is_refused_naming_the_resource_and_element() -> None:
    # Given a Patient born on the 13th month
    payload = make.bundle()
    make.resource(payload, "Patient")["birthDate"] = "1990-13-01"
    index = make.entry_index(payload, "Patient")
    # When parsed
    [issue] = issues_of(payload)
    # Then the issue names the element as a FHIRPath-like expression
    assert issue.expression == f"Bundle.entry[{index}].resource.ofType(Patient).birthDate"
    assert issue.code == "FHIR_INVALID"
    assert issue.fhir_code == "value"  # a primitive format: IssueType value


@pytest.mark.parametrize("kind", ["Foo", 5, None, ["Patient"], ""])
def test_an_entry_of_no_known_resource_type_is_refused_naming_it(kind: Any) -> None:
    payload = make.bundle()
    at = make.entry_index(payload, "Patient")
    payload["entry"][at]["resource"]["resourceType"] = kind

    [issue] = issues_of(payload)

    assert issue.expression == f"Bundle.entry[{at}].resource.resourceType"
    assert issue.code == "FHIR_INVALID"
    assert repr(kind) in issue.message


def test_a_contained_resource_of_no_known_type_is_refused_naming_it() -> None:
    payload = make.bundle()
    at = make.entry_index(payload, "MedicationRequest")
    payload["entry"][at]["resource"]["contained"] = [{"resourceType": "Nope", "id": "x"}]

    [issue] = issues_of(payload)

    assert issue.expression == f"Bundle.entry[{at}].resource.contained[0].resourceType"


def test_an_unknown_fhir_element_is_refused() -> None:
    payload = make.bundle()
    make.resource(payload, "Organization")["colour"] = "blue"

    issues = issues_of(payload)

    index = make.entry_index(payload, "Organization")
    assert any(
        issue.expression.startswith(f"Bundle.entry[{index}].resource.ofType(Organization)")
        for issue in issues
    )
    assert all(issue.code == "FHIR_INVALID" for issue in issues)


def test_invalid_prescription_says_where_and_why_in_its_message() -> None:
    with pytest.raises(fhir.InvalidPrescription, match=r"Bundle\.entry: the Bundle has no Patient"):
        fhir.parse_prescription(make.without(make.bundle(), "Patient"))


def test_the_operation_outcome_is_valid_fhir_naming_element_and_reason() -> None:
    # Given the issues of a bundle with two problems
    payload = make.bundle()
    _drop_cccd(payload)
    _zero_quantity(payload)
    issues = issues_of(payload)
    assert len(issues) == 2
    # When they become an OperationOutcome
    outcome = fhir.operation_outcome(issues)
    # Then it validates as FHIR R4B and carries, per issue, the element and the reason code
    parsed = OperationOutcome.model_validate(outcome)
    assert parsed.issue is not None
    assert [i.expression for i in parsed.issue] == [[issue.expression] for issue in issues]
    assert [i.severity for i in parsed.issue] == ["error", "error"]
    assert [i.code for i in parsed.issue] == ["required", "required"]
    codes = [i.details.coding[0].code for i in parsed.issue]  # type: ignore[union-attr,index]
    assert codes == ["MISSING_CITIZEN_ID", "MISSING_QUANTITY"]
    assert [i.diagnostics for i in parsed.issue] == [issue.message for issue in issues]


@pytest.mark.parametrize("state", list(State))
def test_the_status_task_is_valid_fhir_for_every_state(state: State) -> None:
    task = Task.model_validate(fhir.status_task("01001abcdefg-c", state, make.T0, "lý do"))
    assert task.businessStatus.coding[0].code == state.value  # type: ignore[union-attr,index]
    assert task.status == fhir.TASK_STATUS[state]


def test_the_fulfilment_task_and_the_dispense_are_valid_fhir() -> None:
    task = Task.model_validate(fhir.fulfilment_task("01001abcdefg-c", make.PHARMACY_A, make.T0))
    dispense = MedicationDispense.model_validate(
        fhir.medication_dispense(
            "01001abcdefg-c", make.PHARMACY_A, "VD-25123-18", "Amoxicillin", 21.0, "viên", make.T0
        )
    )
    assert task.owner.identifier.value == make.PHARMACY_A  # type: ignore[union-attr]
    assert dispense.quantity.value == 21  # type: ignore[union-attr]
