"""FHIR-level validation at the edge, apart from the national rules: required value-set
bindings, primitive formats and structure, in the Bundle's resources and in the resources
they contain, every problem at once, each named by FHIRPath with FHIR's issue type."""

import copy
from typing import Any

import pytest

from rxsim import fhir
from rxsim.fhir.validate import errors
from tests.support import factories as make

MR = "Bundle.entry[0].resource.ofType(MedicationRequest)"


def spoilt(**changes: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(make.bundle())
    request = bundle["entry"][0]["resource"]
    for path, value in changes.items():
        node = request
        *parents, last = path.split("__")
        for step in parents:
            node = node[int(step)] if step.isdigit() else node[step]
        node[last] = value
    return bundle


@pytest.mark.parametrize(
    ("changes", "expression", "code"),
    [
        ({"intent": "bogus"}, f"{MR}.intent", "code-invalid"),
        ({"priority": "now"}, f"{MR}.priority", "code-invalid"),
        (
            {"dosageInstruction__0__timing__repeat__periodUnit": "day"},
            f"{MR}.dosageInstruction[0].timing.repeat.periodUnit",
            "code-invalid",
        ),
        ({"instantiatesUri": ["not a uri"]}, f"{MR}.instantiatesUri[0]", "value"),
        ({"authoredOn": "2025-02-30"}, f"{MR}.authoredOn", "value"),
        ({"id": "no spaces!"}, f"{MR}.id", "value"),
        (
            {"dispenseRequest__numberOfRepeatsAllowed": -1},
            f"{MR}.dispenseRequest.numberOfRepeatsAllowed",
            "value",
        ),
        ({"subject": "Patient/1"}, f"{MR}.subject", "structure"),
    ],
    ids=["intent", "priority", "periodUnit", "uri", "dateTime", "id", "unsignedInt", "shape"],
)
def test_a_wrong_code_or_format_is_refused_naming_the_element(
    changes: dict[str, Any], expression: str, code: str
) -> None:
    issues = errors(spoilt(**changes))
    assert [(i.expression, i.fhir_code, i.code.value) for i in issues] == [
        (expression, code, "FHIR_INVALID")
    ]


def test_every_problem_is_reported_at_once_with_the_bundles_own() -> None:
    bundle = spoilt(intent="bogus", authoredOn="yesterday")
    bundle["type"] = "parcel"
    make.resource(bundle, "Patient")["gender"] = "M"
    expressions = {issue.expression for issue in errors(bundle)}
    patient = make.entry_index(bundle, "Patient")
    assert expressions == {
        f"{MR}.intent",
        f"{MR}.authoredOn",
        "Bundle.type",
        f"Bundle.entry[{patient}].resource.ofType(Patient).gender",
    }
    with pytest.raises(fhir.InvalidPrescription) as refused:
        fhir.parse_prescription(bundle)
    assert {issue.expression for issue in refused.value.issues} == expressions


def test_problems_inside_a_contained_resource_are_named_with_their_path() -> None:
    bundle = spoilt(
        contained=[
            {"resourceType": "Medication", "id": "m", "status": "gone"},
            {"resourceType": "Binary", "id": "b", "contentType": "text/plain", "data": "!!"},
        ]
    )
    found = {(i.expression, i.fhir_code) for i in errors(bundle)}
    assert found == {
        (f"{MR}.contained[0].ofType(Medication).status", "code-invalid"),
        (f"{MR}.contained[1].ofType(Binary).data", "value"),
        (MR, "invariant"),  # dom-3: nothing in the request refers to either
    }


def test_a_valid_prescription_has_no_fhir_issue() -> None:
    assert errors(make.bundle()) == []
