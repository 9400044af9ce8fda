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


def test_a_missing_required_element_is_named_even_beside_another_problem() -> None:
    # fhir.resources checks required primitives and choices only on a model whose every
    # element is valid, so a bad authoredOn used to hide the missing status and medication[x]
    bundle = spoilt(authoredOn="2020-11-11T10:58:14")
    request = bundle["entry"][0]["resource"]
    del request["status"]
    for key in [k for k in request if k.startswith("medication")]:
        del request[key]
    del bundle["type"]
    assert {(i.expression, i.fhir_code) for i in errors(bundle)} == {
        (f"{MR}.authoredOn", "value"),
        (f"{MR}.status", "required"),
        (f"{MR}.medication", "required"),
        ("Bundle.type", "required"),
        ("Bundle", "invariant"),  # bdl-3, bdl-4 compare each entry with the absent type
    }


def test_two_types_of_one_choice_element_are_refused_naming_it() -> None:
    bundle = spoilt(medicationReference={"reference": "#m"})
    assert {(i.expression, i.fhir_code) for i in errors(bundle)} == {
        (f"{MR}.medication", "structure"),
        (f"{MR}.medicationReference", "invariant"),  # ref-1: no contained #m
    }


@pytest.mark.parametrize(
    ("changes", "expression", "code"),
    [
        ({"id": "a" * 65}, f"{MR}.id", "value"),  # FHIR R4 id: 1 to 64 characters
        ({"instantiatesUri": [""]}, f"{MR}.instantiatesUri[0]", "value"),
        ({"meta": None}, f"{MR}.meta", "structure"),
        ({"authoredOn": None}, f"{MR}.authoredOn", "structure"),
        ({"fhir_comments": ["DSTU2's"]}, f"{MR}.fhir_comments", "structure"),
        ({"fhir_comments": ["DSTU2's", True]}, f"{MR}.fhir_comments", "structure"),
    ],
    ids=["id-65", "empty-uri", "null-meta", "null-primitive", "comments", "comments-bool"],
)
def test_what_fhir_json_forbids_and_the_models_let_through_is_refused(
    changes: dict[str, Any], expression: str, code: str
) -> None:
    assert [(i.expression, i.fhir_code) for i in errors(spoilt(**changes))] == [(expression, code)]
