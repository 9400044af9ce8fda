"""HL7's own R4 examples against the national rules: reading them never crashes; wrapped
plainly they lack a diagnosis and a registration number, and made Vietnamese the ones that
carry a usable dosage pass every rule. And `rxsim fhir wrap` does that from the command line."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rxsim import fhir
from rxsim.cli.main import app
from rxsim.domain import systems
from rxsim.fhir import bundles
from tests.support import hl7_examples as hl7
from tests.support import rule_faults as faults

from .test_rules import PLACE, check

ATC = "http://www.whocc.no/atc"


def test_every_example_is_classified() -> None:
    names = {hl7.name(example) for example in hl7.EXAMPLES}
    assert len(names) == 40
    assert names == hl7.EDGE_REFUSED | set(hl7.AS_VIETNAMESE)
    assert not hl7.EDGE_REFUSED & set(hl7.AS_VIETNAMESE)


@pytest.mark.parametrize("example", hl7.EXAMPLES, ids=hl7.name)
def test_an_example_wrapped_plainly_is_refused_naming_the_missing_elements(example: Path) -> None:
    bundle = hl7.wrapped(hl7.request(example), PLACE.hospital, faults.adult())
    if hl7.name(example) in hl7.EDGE_REFUSED:
        with pytest.raises(fhir.InvalidPrescription) as refused:
            fhir.parse_prescription(bundle)
        expressions = [issue.expression for issue in refused.value.issues]
        assert all(e.endswith((".status", ".dispenseRequest.quantity")) for e in expressions)
        return
    issues = check(bundle)
    by_code = {issue.code: issue.expression for issue in issues}
    assert (
        by_code["DIAGNOSIS_MISSING"]
        == "Bundle.entry[0].resource.ofType(MedicationRequest).reasonCode"
    )
    assert by_code["DRUG_NOT_IN_CATALOG"].startswith(
        "Bundle.entry[0].resource.ofType(MedicationRequest)."
    )


@pytest.mark.parametrize(
    "example", [e for e in hl7.EXAMPLES if hl7.name(e) in hl7.AS_VIETNAMESE], ids=hl7.name
)
def test_an_example_made_vietnamese_passes_or_names_what_it_still_lacks(example: Path) -> None:
    bundle = hl7.wrapped(hl7.vietnamese(example), PLACE.hospital, faults.adult())

    issues = check(bundle)

    expected = hl7.AS_VIETNAMESE[hl7.name(example)]
    assert [issue.code for issue in issues] == ([expected] if expected else [])


def test_the_registration_number_goes_into_the_contained_medication_beside_its_coding() -> None:
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0311")

    request = hl7.vietnamese(example)

    [medication] = request["contained"]
    named = [coding["system"] for coding in medication["code"]["coding"]]
    assert named == ["http://snomed.info/sct", systems.SYSTEM_DRUG_REGISTRATION]
    assert request["reasonCode"][0]["coding"][0]["code"] == "I10"


def test_a_reference_to_an_outside_medication_becomes_a_coded_concept() -> None:
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx002")

    request = hl7.vietnamese(example)

    assert "medicationReference" not in request
    [coding] = request["medicationCodeableConcept"]["coding"]
    assert coding["code"] == "VN-20187-16"


def test_fhir_wrap_makes_the_readme_example_a_prescription_that_passes_every_rule() -> None:
    # Given the README's command: HL7's chlorthalidone, labelled with the register's
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0311")
    args = ["fhir", "wrap", str(example), "--diagnosis", "I10"]
    args += ["--registration-number", "VD-36250-22", "--cccd", "001085012345"]
    # When it runs
    result = CliRunner().invoke(app, args)
    # Then it prints a Bundle whose patient matches the CCCD and which passes every rule
    assert result.exit_code == 0, result.output
    rx = fhir.parse_prescription(json.loads(result.stdout))
    assert (rx.citizen_id, rx.gender, rx.birth_date.year if rx.birth_date else None) == (
        "001085012345",
        "male",
        1985,
    )
    assert rx.code.startswith("01001") and rx.code.endswith("-c")
    assert check(json.loads(result.stdout)) == []


def test_fhir_wrap_types_the_code_by_the_drug() -> None:
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0327")
    args = ["fhir", "wrap", str(example), "--diagnosis", "C34.9"]

    result = CliRunner().invoke(app, [*args, "--registration-number", "QLĐB-712-19"])

    assert result.exit_code == 0, result.output
    assert fhir.parse_prescription(json.loads(result.stdout)).code.endswith("-n")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"resourceType": "Patient", "id": "p"}, "is a Patient"),
        ([{"resourceType": "Task"}], "item 0 of"),
        ({"resourceType": "Bundle", "entry": []}, "a Bundle without a MedicationRequest"),
        ([], "an empty list"),
        ("a string", "not a FHIR resource (str)"),
    ],
)
def test_fhir_wrap_refuses_what_is_not_a_medication_request_in_one_line(
    tmp_path: Path, given: object, said: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(given))

    result = CliRunner().invoke(app, ["fhir", "wrap", str(path)])

    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 3  # one message, wrapped at most


@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "no file"), ("not json", "is not JSON"), (b"\xff\xfe", "cannot read")],
)
def test_fhir_wrap_and_sign_say_plainly_what_they_cannot_read(
    tmp_path: Path, content: str | bytes | None, said: str
) -> None:
    path = tmp_path / "in.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)

    for command in ("wrap", "sign"):
        result = CliRunner().invoke(app, ["fhir", command, str(path)])
        assert result.exit_code == 2, (command, result.output)
        assert said in result.output and "Traceback" not in result.output


def test_fhir_wrap_reads_a_request_whose_contained_practitioner_role_has_a_list_of_codes() -> None:
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0327")
    request = json.loads(example.read_text())
    role = {"resourceType": "PractitionerRole", "id": "role", "code": [{"text": "GP"}]}
    request["contained"] = [*(request.get("contained") or []), role]

    assert bundles.type_letter_of([request]) == "c"  # no registered drug named: common


def test_fhir_wrap_refuses_a_registration_number_of_another_drug_naming_both() -> None:
    # Given HL7's chlorthalidone and the registration number of amlodipine
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0311")
    args = ["fhir", "wrap", str(example), "--registration-number", "VN-20187-16"]

    result = CliRunner().invoke(app, args, terminal_width=400)

    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert "Chlorthalidone 50mg tablet (product)" in line and "Amlodipin 5mg" in line


def test_fhir_wrap_refuses_a_registration_number_not_in_the_register() -> None:
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0311")
    args = ["fhir", "wrap", str(example), "--registration-number", "VD-99999-99"]

    result = CliRunner().invoke(app, args, terminal_width=400)

    assert result.exit_code == 2, result.output
    assert "VD-99999-99 is not in the drug register" in result.output


@pytest.mark.parametrize(
    ("medication", "registration", "agrees"),
    [
        ({"text": "Amlodipine besylate 5 mg oral tablet"}, "VN-20187-16", True),
        ({"text": "Amlodipin 5mg"}, "VN-20187-16", True),  # the Vietnamese spelling
        ({"text": "AMLODIPINE"}, "VN-20187-16", True),
        ({"text": "Chlorthalidone 50mg tablet"}, "VN-20187-16", False),
        ({"text": "Acetylsalicylic acid 81 mg"}, "VD-32876-19", True),  # a generic of two words
        ({"text": "Salicylic acid ointment"}, "VD-32876-19", False),
        # an ATC code decides, whatever the words say
        (
            {"coding": [{"system": "http://www.whocc.no/atc", "code": "C08CA01"}]},
            "VN-20187-16",
            True,
        ),
        (
            {
                "coding": [{"system": "http://www.whocc.no/atc", "code": "C03BA04"}],
                "text": "amlodipine",
            },
            "VN-20187-16",
            False,
        ),
        ({"text": "prescribed medication"}, "VN-20187-16", False),
        ({"text": "Boganic"}, "VD-26534-17", True),  # no generic name: the drug's own name
    ],
)
def test_a_registration_number_labels_a_request_naming_its_active_ingredient(
    medication: dict[str, object], registration: str, agrees: bool
) -> None:
    from rxsim.domain.reference.catalog import DRUG_BY_CODE

    request = {"resourceType": "MedicationRequest", "medicationCodeableConcept": medication}

    assert (bundles.label_mismatch(request, DRUG_BY_CODE[registration]) is None) is agrees


def test_the_drug_is_found_in_a_contained_medication_and_its_ingredients() -> None:
    from rxsim.domain.reference.catalog import DRUG_BY_CODE

    for name, registration in (("medrx0311", "VD-36250-22"), ("medrx0327", "QLĐB-712-19")):
        example = next(e for e in hl7.EXAMPLES if hl7.name(e) == name)
        assert bundles.label_mismatch(hl7.request(example), DRUG_BY_CODE[registration]) is None
    example = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0315")
    lorazepam = {**hl7.request(example)}
    lorazepam["contained"][0]["code"] = {"text": "a vial"}  # the ingredient names it
    assert "lorazepam" in " ".join(bundles.drug_names(lorazepam)).lower()
