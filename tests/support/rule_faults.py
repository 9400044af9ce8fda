"""One deliberate fault per national rule: a prescription from synthetic.prescription() with one
element broken as docs/prescription-bundle.md describes it. Shared by the unit tests of the
rules and the integration test that sees each refusal through the hospital API."""

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from rxsim.domain.reference.country import DRUGS, Citizen, Drug, Hospital, cccd_for
from rxsim.fhir import bundles, synthetic

Bundle = dict[str, Any]
ORDINARY = next(d for d in DRUGS if d.type_letter == "c")
NARCOTIC = next(d for d in DRUGS if d.type_letter == "n")


def adult(province: str = "Hà Nội", seed: int = 1) -> Citizen:
    born = date(1985, 6, 1)
    cccd = cccd_for(random.Random(seed), province, born, "male")
    return Citizen(cccd, "Nguyễn Văn An", born, "male", province, f"1 Lê Lợi, {province}")


def child(province: str = "Hà Nội", months: int = 36, seed: int = 2) -> Citizen:
    born = date.today() - timedelta(days=int(months * 30.5))
    cccd = cccd_for(random.Random(seed), province, born, "female")
    return Citizen(cccd, "Trần Thị Bé", born, "female", province, f"2 Lê Lợi, {province}")


@dataclass(frozen=True)
class Place:
    """Where the faults happen: facilities as the scenario knows them."""

    hospital: Hospital  # onboarded, with inpatient beds
    not_onboarded: Hospital  # known, not onboarded in this phase
    no_beds: Hospital  # onboarded, without inpatient beds
    citizen: Citizen = field(default_factory=adult)


def prescription(
    place: Place,
    *,
    seed: int = 1,
    hospital: Hospital | None = None,
    citizen: Citizen | None = None,
    drugs: tuple[Drug, ...] = (ORDINARY,),
    letter: str | None = None,
    **content: Any,
) -> Bundle:
    """A prescription that passes every rule unless the arguments ask otherwise."""
    rng = random.Random(seed)
    hospital = hospital or place.hospital
    letter = letter or drugs[0].type_letter
    code = bundles.new_code(rng, hospital.code, letter)
    content.setdefault("diagnoses", ["J06.9"] if letter == "c" else None)
    return synthetic.prescription(
        rng,
        code=code,
        hospital=hospital,
        citizen=citizen or place.citizen,
        drugs=list(drugs),
        simulated=False,
        **content,
    )


def resources(bundle: Bundle, resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def request(bundle: Bundle) -> dict[str, Any]:
    return resources(bundle, "MedicationRequest")[0]


def changed(
    build: Callable[[Place], Bundle], change: Callable[[Bundle], object]
) -> Callable[[Place], Bundle]:
    def make(place: Place) -> Bundle:
        bundle = copy.deepcopy(build(place))
        change(bundle)
        return bundle

    return make


def _set_code(bundle: Bundle, code: str) -> None:
    bundle["identifier"]["value"] = code
    for resource in resources(bundle, "MedicationRequest"):
        resource["groupIdentifier"]["value"] = code


def _cccd(bundle: Bundle, change: Callable[[str], str]) -> None:
    ident = resources(bundle, "Patient")[0]["identifier"][0]
    ident["value"] = change(ident["value"])


def _other_sex(value: str) -> str:
    return value[:3] + str(int(value[3]) ^ 1) + value[4:]


def _other_year(value: str) -> str:
    return value[:4] + f"{(int(value[4:6]) + 1) % 100:02d}" + value[6:]


def _drop_weight(bundle: Bundle) -> None:
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Observation"]


def _reason(bundle: Bundle, code: str) -> None:
    request(bundle)["reasonCode"][0]["coding"][0]["code"] = code


def _registration(bundle: Bundle, number: str) -> None:
    request(bundle)["medicationCodeableConcept"]["coding"][0]["code"] = number


def _plain(place: Place) -> Bundle:
    return prescription(place)


def _code_of(
    build: Callable[[Place], Bundle], code: Callable[[Bundle], str]
) -> Callable[[Place], Bundle]:
    return changed(build, lambda b: _set_code(b, code(b)))


@dataclass(frozen=True)
class Fault:
    reason_code: str
    switch: str  # the field of rxsim.domain.rules.switches.Rules that turns the rule off
    expression: str  # how the expression naming the element ends
    build: Callable[[Place], Bundle]
    rules: dict[str, Any] = field(default_factory=dict)  # switches the rule needs (else default)


FAULTS: tuple[Fault, ...] = (
    Fault(
        "PRESCRIPTION_CODE_FORMAT",
        "prescription_code_format",
        "groupIdentifier.value",
        _code_of(_plain, lambda b: b["identifier"]["value"].upper()),
    ),
    Fault(
        "PRESCRIPTION_CODE_FACILITY",
        "prescription_code_format",
        "groupIdentifier.value",
        _code_of(_plain, lambda b: "00000" + b["identifier"]["value"][5:]),
    ),
    Fault(
        "TYPE_LETTER_MISMATCH",
        "type_letter",
        "groupIdentifier.value",
        lambda place: prescription(place, letter="h"),
    ),
    Fault(
        "UNKNOWN_FACILITY",
        "facility_onboarded",
        "ofType(Organization).identifier",
        lambda place: prescription(
            place, hospital=Hospital("99999", "Phòng khám lạ", "Hà Nội", False)
        ),
    ),
    Fault(
        "FACILITY_NOT_ONBOARDED",
        "facility_onboarded",
        "ofType(Organization).identifier",
        lambda place: prescription(place, hospital=place.not_onboarded),
    ),
    Fault(
        "MISSING_PRESCRIBER_LICENCE",
        "prescriber_licence",
        "resource.ofType(Practitioner).identifier",
        changed(_plain, lambda b: resources(b, "Practitioner")[0].pop("identifier")),
    ),
    Fault(
        "CCCD_FORMAT",
        "cccd",
        "resource.ofType(Patient).identifier",
        changed(_plain, lambda b: _cccd(b, lambda v: v[:11])),
    ),
    Fault(
        "CCCD_PROVINCE",
        "cccd",
        "resource.ofType(Patient).identifier",
        changed(_plain, lambda b: _cccd(b, lambda v: "999" + v[3:])),
    ),
    Fault(
        "CCCD_CENTURY_SEX",
        "cccd",
        "resource.ofType(Patient).identifier",
        changed(_plain, lambda b: _cccd(b, _other_sex)),
    ),
    Fault(
        "CCCD_BIRTH_YEAR",
        "cccd",
        "resource.ofType(Patient).identifier",
        changed(_plain, lambda b: _cccd(b, _other_year)),
    ),
    Fault(
        "BIRTH_DATE_MISSING",
        "patient_details",
        "resource.ofType(Patient).birthDate",
        changed(_plain, lambda b: resources(b, "Patient")[0].pop("birthDate")),
    ),
    Fault(
        "GENDER_MISSING",
        "patient_details",
        "resource.ofType(Patient).gender",
        changed(_plain, lambda b: resources(b, "Patient")[0].pop("gender")),
    ),
    Fault(
        "CHILD_WEIGHT_MISSING",
        "child_details",
        "valueQuantity",
        changed(lambda place: prescription(place, citizen=child()), _drop_weight),
    ),
    Fault(
        "CHILD_GUARDIAN_MISSING",
        "child_details",
        "resource.ofType(Patient).contact",
        changed(
            lambda place: prescription(place, citizen=child()),
            lambda b: resources(b, "Patient")[0].pop("contact"),
        ),
    ),
    Fault(
        "DIAGNOSIS_MISSING",
        "diagnosis",
        "resource.ofType(MedicationRequest).reasonCode",
        changed(_plain, lambda b: request(b).pop("reasonCode")),
    ),
    Fault(
        "DIAGNOSIS_FORMAT",
        "diagnosis",
        "resource.ofType(MedicationRequest).reasonCode",
        changed(_plain, lambda b: _reason(b, "viêm họng")),
    ),
    Fault(
        "DIAGNOSIS_UNKNOWN",
        "known_diagnoses_only",
        "resource.ofType(MedicationRequest).reasonCode",
        changed(_plain, lambda b: _reason(b, "Z99.9")),
        rules={"known_diagnoses_only": True},
    ),
    Fault(
        "DRUG_NOT_IN_CATALOG",
        "drug_in_catalog",
        "medicationCodeableConcept.coding",
        changed(_plain, lambda b: _registration(b, "VD-00000-00")),
    ),
    Fault(
        "DOSE_MISSING",
        "dosage",
        "dosageInstruction[0].doseAndRate[0].doseQuantity",
        changed(_plain, lambda b: request(b)["dosageInstruction"][0].pop("doseAndRate")),
    ),
    Fault(
        "FREQUENCY_MISSING",
        "dosage",
        "dosageInstruction[0].timing.repeat",
        changed(_plain, lambda b: request(b)["dosageInstruction"][0].pop("timing")),
    ),
    Fault(
        "DAYS_MISSING",
        "dosage",
        "dispenseRequest.expectedSupplyDuration",
        changed(_plain, lambda b: request(b)["dispenseRequest"].pop("expectedSupplyDuration")),
    ),
    Fault(
        "QUANTITY_INCONSISTENT",
        "quantity_consistent",
        "dispenseRequest.quantity",
        changed(
            _plain,
            lambda b: request(b)["dispenseRequest"]["quantity"].update(
                value=request(b)["dispenseRequest"]["quantity"]["value"] + 5
            ),
        ),
    ),
    Fault(
        "SUPPLY_LIMIT_EXCEEDED",
        "supply_limits",
        "dispenseRequest.expectedSupplyDuration",
        lambda place: prescription(place, days=31),
    ),
    Fault(
        "NARCOTIC_FACILITY_NO_BEDS",
        "narcotic_facility_beds",
        "ofType(Organization).identifier",
        lambda place: prescription(
            place, hospital=place.no_beds, drugs=(NARCOTIC,), diagnoses=["S82.2"], days=5
        ),
    ),
)
