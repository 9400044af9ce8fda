"""Published examples from three publishers (HL7, NHS England, gematik) against rxsim's FHIR
validation alone (tests/data/fhir-corpus/README.md): each valid one passes; each published
invalid one is refused by `rxsim fhir validate --json` and the hospital's edge, naming each
faulty element with FHIR's issue type (and an invariant's key), unless it breaks only its
publisher's profile; and each valid one made invalid in one element is refused likewise."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rxsim.cli.main import app
from rxsim.fhir import InvalidPrescription, parse_prescription
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
INVALID_DIR = CORPUS / "invalid"

# The publishers' invalid examples, unchanged: (file under invalid/, what the publisher's own
# validator reports, what rxsim reports: (expression, issue type, or "invariant <key>")).
PUBLISHED_INVALID: list[tuple[str, str, set[tuple[str, str]]]] = [
    (
        "hl7/validator--hakan-se.json",
        "medication[x] missing; authoredOn has a time but no timezone; ref-1 on requester",
        {
            ("MedicationRequest.medication", "required"),
            ("MedicationRequest.authoredOn", "value"),
            ("MedicationRequest.requester", "invariant ref-1"),
        },
    ),
    (
        "hl7/validator--patient-id-bad-1.json",
        "invalid resource id: invalid characters ('bad-id_1')",
        {("Patient.id", "value")},
    ),
    (
        "hl7/validator--patient-id-bad-3.json",
        "invalid resource id: too long (115 characters)",
        {("Patient.id", "value")},
    ),
    (
        "hl7/validator--ai3.json",
        "unrecognized property 'unknownElement'",
        {("Patient.unknownElement", "structure")},
    ),
    (
        "hl7/validator--ai4.json",
        "not a valid date format: 'not a date'",
        {("Patient.birthDate", "value")},
    ),
    (
        "hl7/validator--json-comments.json",
        "unrecognized property 'fhir_comments' (allowed in DSTU2 only)",
        {("Patient.fhir_comments", "structure")},
    ),
    (
        "hl7/validator--versioned-extension.json",
        "Extension.url required (and a |version in another extension's url, which the "
        "validator resolves against its packages: no R4 structure rule)",
        {("Patient.extension[2].url", "required")},
    ),
    (
        "hl7/validator--bundle-sig-2.json",
        "meta must be an object, not null (and a signature that does not verify)",
        {("Bundle.meta", "structure")},
    ),
    (
        "hl7/validator--bundle-bad-empty.json",  # an R5 test case; the same in R4
        "fullUrl: value cannot be empty; ele-1",
        {("Bundle.entry[0].fullUrl", "value")},
    ),
    (
        "nhs-england/src--test--resources--examples--missingHeader.json",
        "No MessageHeader found (Bundle.entry)",
        {("Bundle", "invariant bdl-12")},
    ),
    (
        "nhs-england/src--test--resources--examples--invalidOperationOutcome.json",
        "OperationOutcome.issue: minimum required = 1, but only found 0",
        {("OperationOutcome.issue", "required")},
    ),
    (
        "gematik/erp-fhir--src--test--resources--fhir--invalid--erp--AuditEventBundle.json",
        "refused by gematik's validator (its test asserts invalid, no message published)",
        {
            (f"Bundle.entry[{i}].resource.ofType(AuditEvent).source.observer.{name}", "structure")
            for i in range(3)
            for name in ("status", "serialNumber")  # a Device's elements in a Reference
        },
    ),
]
# Published invalid examples that break only their publisher's profile: valid FHIR R4.
PROFILE_ONLY = [
    # KBV_PR_ERP_Bundle 1.0.1: the Coverage's dmp-kennzeichen code 42 is not in KBV's DMP codes
    "gematik/valmodule-erp--src--test--resources--KBV_PR_ERP_Bundle--1.0.1--invalid--gematik--"
    "FHIR-FAIL_Freitext_Coverage.dmp.coding.code.json",
]


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _set(*steps: str | int, value: Any) -> Spoil:
    def spoil(resource: dict[str, Any]) -> None:
        node: Any = resource
        for step in steps[:-1]:
            node = node[step]
        node[steps[-1]] = value

    return spoil


def _each(*spoils: Spoil) -> Spoil:
    def spoil(resource: dict[str, Any]) -> None:
        for one in spoils:
            one(resource)

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
        _each(
            _set("authoredOn", value="15/01/2015"),
            _set("dosageInstruction", 0, "timing", "repeat", "periodUnit", value="week"),
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
        _each(
            _set("entry", 2, "resource", "gender", value="F"),
            _set("entry", 2, "resource", "identifier", 0, "use", value="main"),
        ),
        {
            ("Bundle.entry[2].resource.ofType(Patient).gender", "code-invalid"),
            ("Bundle.entry[2].resource.ofType(Patient).identifier[0].use", "code-invalid"),
        },
    ),
    (
        GEMATIK_TASK,
        "task-intent-and-authored-on",
        _each(
            _set("entry", 0, "resource", "intent", value="commission"),
            _set("entry", 0, "resource", "authoredOn", value="2025-13-01"),
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


def _label(code: str, diagnostics: str) -> str:
    return f"invariant {diagnostics.split(':')[0]}" if code == "invariant" else code


@pytest.mark.parametrize(
    ("name", "expected"),
    [(name, expected) for name, _, expected in PUBLISHED_INVALID],
    ids=[name.split("--")[-1].removesuffix(".json") for name, _, _ in PUBLISHED_INVALID],
)
def test_a_published_invalid_example_is_refused_naming_each_faulty_element(
    name: str, expected: set[tuple[str, str]]
) -> None:
    path = INVALID_DIR / name
    result = CliRunner().invoke(app, ["fhir", "validate", "--json", str(path)])
    assert result.exit_code == 1, result.output
    outcome = json.loads(result.stdout)
    found = {
        (issue["expression"][0], _label(issue["code"], issue["diagnostics"]))
        for issue in outcome["issue"]
        if issue["severity"] == "error"
    }
    assert found == expected
    codes = {c["code"] for i in outcome["issue"] for c in i["details"]["coding"]}
    assert codes <= {"FHIR_INVALID"}

    resource = load(path)
    with pytest.raises(InvalidPrescription) as refused:  # the hospital's edge
        parse_prescription(resource)
    issues = refused.value.issues
    if resource["resourceType"] == "Bundle":
        assert {(i.expression, _label(i.fhir_code, i.message)) for i in issues} == expected
    else:  # the edge takes a Bundle, and says so before anything else
        assert [(i.expression, i.code.value) for i in issues] == [
            ("resourceType", "WRONG_RESOURCE_TYPE")
        ]


@pytest.mark.parametrize("name", PROFILE_ONLY, ids=lambda n: n.split("--")[-1][:40])
def test_a_published_example_invalid_only_for_its_profile_is_valid_fhir(name: str) -> None:
    result = CliRunner().invoke(app, ["fhir", "validate", str(INVALID_DIR / name)])
    assert result.exit_code == 0, result.output


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
    resource = load(example)  # read afresh: the spoiling changes no other test's copy
    spoil(resource)
    issues = errors(resource)
    assert {(issue.expression, issue.fhir_code) for issue in issues} == expected
    assert {issue.code.value for issue in issues} == {"FHIR_INVALID"}


def test_the_corpus_holds_three_publishers() -> None:
    publishers = {path.parent.name for path in VALID} | {p.parent.name for p, *_ in INVALID}
    assert publishers == {"hl7-r4-examples", "nhs-england", "gematik"}
    published = {name.split("/")[0] for name, *_ in PUBLISHED_INVALID}
    assert published == {"hl7", "nhs-england", "gematik"}
    listed = {name for name, *_ in PUBLISHED_INVALID} | set(PROFILE_ONLY)
    assert listed == {str(p.relative_to(INVALID_DIR)) for p in INVALID_DIR.glob("*/*.json")}
