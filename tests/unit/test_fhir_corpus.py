"""Published examples from three publishers (HL7, NHS England, gematik) against rxsim's FHIR
validation alone (tests/data/fhir-corpus/README.md): each valid one passes, and each made
invalid in one element is refused naming that element with FHIR's issue type."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rxsim.fhir.validate import errors

DATA = Path(__file__).parents[1] / "data"
CORPUS = DATA / "fhir-corpus"
HL7 = DATA / "hl7-r4-examples"

VALID = [
    HL7 / "MedicationRequest-medrx0301.json",
    HL7 / "MedicationRequest-medrx0311.json",
    HL7 / "MedicationRequest-medrx0327.json",
    *sorted(CORPUS.glob("nhs-england/*.json")),
    *sorted(CORPUS.glob("gematik/*.json")),
]
NHS_SEND = next(CORPUS.glob("nhs-england/*medical-prescriber--1-Process-Request-Send-200_OK.json"))
NHS_INTENT = CORPUS / "nhs-england" / "errors--4-Process-Request-Send-400_invalid_intent.json"
GEMATIK_TASK = (
    CORPUS / "gematik" / "API-Examples--2025-01-15--erp_versicherte--02_response_taskGetSingle.json"
)
GEMATIK_DISPENSE = next(
    CORPUS.glob("gematik/*--MedicationDispense-Example-MedicationDispense.json")
)
Spoil = Callable[[dict[str, Any]], None]


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _set(*steps: str | int, value: Any) -> Spoil:
    def spoil(resource: dict[str, Any]) -> None:
        node: Any = resource
        for step in steps[:-1]:
            node = node[step]
        node[steps[-1]] = value

    return spoil


# (example, what is broken, the change, the expected issues: (expression, issue type))
INVALID: list[tuple[Path, str, Spoil, set[tuple[str, str]]]] = [
    (
        HL7 / "MedicationRequest-medrx0311.json",
        "intent",
        _set("intent", value="plan-x"),
        {("MedicationRequest.intent", "code-invalid")},
    ),
    (
        HL7 / "MedicationRequest-medrx0327.json",
        "authoredOn-and-periodUnit",
        lambda r: (
            _set("authoredOn", value="15/01/2015")(r),
            _set("dosageInstruction", 0, "timing", "repeat", "periodUnit", value="week")(r),
        ),
        {
            ("MedicationRequest.authoredOn", "value"),
            ("MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit", "code-invalid"),
        },
    ),
    (
        NHS_SEND,
        "bundle-type",
        _set("type", value="parcel"),
        {("Bundle.type", "code-invalid")},
    ),
    (
        NHS_INTENT,
        "patient-gender-and-identifier-use",
        lambda b: (
            _set("entry", 2, "resource", "gender", value="F")(b),
            _set("entry", 2, "resource", "identifier", 0, "use", value="main")(b),
        ),
        {
            ("Bundle.entry[2].resource.ofType(Patient).gender", "code-invalid"),
            ("Bundle.entry[2].resource.ofType(Patient).identifier[0].use", "code-invalid"),
        },
    ),
    (
        GEMATIK_TASK,
        "task-intent-and-authored-on",
        lambda b: (
            _set("entry", 0, "resource", "intent", value="commission")(b),
            _set("entry", 0, "resource", "authoredOn", value="2025-13-01")(b),
        ),
        {
            ("Bundle.entry[0].resource.ofType(Task).intent", "code-invalid"),
            ("Bundle.entry[0].resource.ofType(Task).authoredOn", "value"),
            # inv-1 (lastModified >= authoredOn) cannot hold for a date that is none
            ("Bundle.entry[0].resource.ofType(Task)", "invariant"),
        },
    ),
    (
        GEMATIK_DISPENSE,
        "status-missing",
        lambda r: r.pop("status"),
        {("MedicationDispense.status", "required")},
    ),
]


@pytest.mark.parametrize("example", VALID, ids=lambda p: f"{p.parent.name}/{p.stem[-40:]}")
def test_a_published_valid_example_has_no_fhir_issue(example: Path) -> None:
    assert errors(load(example)) == []


@pytest.mark.parametrize(
    ("example", "spoil", "expected"),
    [(path, spoil, expected) for path, _, spoil, expected in INVALID],
    ids=[f"{path.parent.name}/{what}" for path, what, _, _ in INVALID],
)
def test_a_published_example_made_invalid_is_refused_naming_each_element(
    example: Path, spoil: Spoil, expected: set[tuple[str, str]]
) -> None:
    resource = copy.deepcopy(load(example))
    spoil(resource)
    issues = errors(resource)
    assert {(issue.expression, issue.fhir_code) for issue in issues} == expected
    assert {issue.code.value for issue in issues} == {"FHIR_INVALID"}


def test_the_corpus_holds_three_publishers() -> None:
    publishers = {path.parent.name for path in VALID} | {p.parent.name for p, *_ in INVALID}
    assert publishers == {"hl7-r4-examples", "nhs-england", "gematik"}
