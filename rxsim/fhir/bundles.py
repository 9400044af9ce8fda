"""Build prescription Bundles the way a Vietnamese hospital's system would send them: every
element where docs/prescription-bundle.md puts it, so that `prescription()` passes every
national rule unless the caller asks for content that breaks one."""

import math
import random
import string
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from rxsim import fhir
from rxsim.domain.reference import catalog
from rxsim.domain.reference.country import Citizen, Drug, Hospital
from rxsim.domain.rules.switches import Rules, age_in_months
from rxsim.fhir import content

CODE_ALPHABET = string.digits + string.ascii_lowercase
REGULATION = Rules()  # the limits a prescriber follows, whatever a scenario switches off
# A diagnosis that fits a drug, by the drug's ATC prefix (the first match wins); a generator
# that wants other pairings passes `diagnoses` itself.
DIAGNOSIS_FOR_ATC = (
    ("A10", "E11.9"),
    ("C10", "E78.5"),
    ("C0", "I10"),
    ("B01", "I25.9"),
    ("J01", "J06.9"),
    ("R03", "J45.9"),
    ("R05", "J20.9"),
    ("R06", "L30.9"),
    ("M0", "M54.5"),
    ("A02", "K29.7"),
    ("A03", "K29.7"),
    ("A07", "A09"),
    ("N02A", "C34.9"),
    ("N02B", "J06.9"),
    ("N03", "G40.9"),
    ("N05", "F41.1"),
    ("N06", "F32.9"),
)


def new_code(rng: random.Random, facility_code: str, type_letter: str = "c") -> str:
    """TT 26/2025: 5-character facility code + 7 random [0-9a-z] + '-' + type."""
    return f"{facility_code}{''.join(rng.choices(CODE_ALPHABET, k=7))}-{type_letter}"


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": resource}


def patient(citizen: Citizen, guardian: str | None = None) -> dict[str, Any]:
    family, *given = citizen.name.split(" ", 1)
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [fhir.PROFILE_PATIENT]},
        "identifier": [{"system": fhir.SYSTEM_CCCD, "value": citizen.cccd}],
        "name": [{"text": citizen.name, "family": family, "given": given}],
        "gender": citizen.sex,
        "birthDate": citizen.birth_date.isoformat(),
        "address": [{"text": citizen.address}],
    }
    if guardian:
        relationship = {"system": content.SYSTEM_ROLE_CODE, "code": content.ROLE_GUARDIAN}
        resource["contact"] = [
            {"relationship": [{"coding": [relationship]}], "name": {"text": guardian}}
        ]
    return resource


def body_weight(kg: float, patient_url: str) -> dict[str, Any]:
    """The child's weight, an Observation (LOINC 29463-7) about the Patient."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": content.SYSTEM_LOINC,
                    "code": content.LOINC_BODY_WEIGHT,
                    "display": "Body weight",
                }
            ]
        },
        "subject": {"reference": patient_url},
        "valueQuantity": {
            "value": kg,
            "unit": "kg",
            "system": "http://unitsofmeasure.org",
            "code": "kg",
        },
    }


def diagnosis_concept(icd10: str) -> dict[str, Any]:
    """A MedicationRequest.reasonCode holding an ICD-10 diagnosis."""
    known = catalog.DIAGNOSIS_BY_CODE.get(icd10)
    coding = {"system": catalog.SYSTEM_ICD10, "code": icd10}
    if known:
        coding["display"] = known.name
    return {"coding": [coding]}


def with_diagnosis(request: dict[str, Any], icd10: str) -> dict[str, Any]:
    """The request with an ICD-10 reasonCode added beside any it has."""
    return {**request, "reasonCode": [*(request.get("reasonCode") or []), diagnosis_concept(icd10)]}


def with_registration_number(request: dict[str, Any], number: str) -> dict[str, Any]:
    """The request with the drug's registration number (số đăng ký) beside its other codings:
    in medicationCodeableConcept, or in the contained Medication it references. A reference to
    a Medication outside the request cannot carry it, so it becomes a coded concept."""
    coding = {"system": fhir.SYSTEM_DRUG_REGISTRATION, "code": number}
    known = catalog.DRUG_BY_CODE.get(number)
    if known:
        coding["display"] = known.name
    if "medicationCodeableConcept" in request:
        concept = request["medicationCodeableConcept"]
        codings = [*(concept.get("coding") or []), coding]
        return {**request, "medicationCodeableConcept": {**concept, "coding": codings}}
    reference = (request.get("medicationReference") or {}).get("reference", "")
    contained = []
    for resource in request.get("contained") or []:
        if resource.get("resourceType") == "Medication" and reference == f"#{resource.get('id')}":
            code = resource.get("code") or {}
            resource = {
                **resource,
                "code": {**code, "coding": [*(code.get("coding") or []), coding]},
            }
            reference = None  # placed
        contained.append(resource)
    if reference is None:
        return {**request, "contained": contained}
    changed = {k: v for k, v in request.items() if k != "medicationReference"}
    text = (request.get("medicationReference") or {}).get("display") or coding.get("display")
    return {**changed, "medicationCodeableConcept": {"coding": [coding], "text": text or number}}


def organization(hospital: Hospital) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "identifier": [{"system": fhir.SYSTEM_FACILITY, "value": hospital.code}],
        "name": hospital.name,
        "address": [{"state": hospital.province}],
    }


def practitioner(name: str, licence: str) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "identifier": [{"system": fhir.SYSTEM_CCHN, "value": licence}],
        "name": [{"text": name}],
    }


def medication_request(
    code: str,
    drug: Drug,
    days: int,
    authored_on: str,
    patient_url: str,
    practitioner_url: str,
    *,
    diagnoses: Sequence[str] = (),
    course: str = "acute",
    dose: float = 1.0,
) -> dict[str, Any]:
    """One drug line: `dose` units `drug.daily_units` times a day for `days` days, and the
    quantity that uses up (rounded up to a whole unit)."""
    times = drug.daily_units
    quantity = math.ceil(dose * times * days)
    return {
        "resourceType": "MedicationRequest",
        "meta": {"profile": [fhir.PROFILE_MEDICATION_REQUEST]},
        "status": "active",
        "intent": "order",
        "groupIdentifier": {"system": fhir.SYSTEM_PRESCRIPTION_CODE, "value": code},
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": fhir.SYSTEM_DRUG_REGISTRATION,
                    "code": drug.registration_number,
                    "display": drug.name,
                }
            ],
            "text": drug.name,
        },
        "subject": {"reference": patient_url},
        "requester": {"reference": practitioner_url},
        "authoredOn": authored_on,
        "reasonCode": [diagnosis_concept(icd10) for icd10 in diagnoses],
        "courseOfTherapyType": {
            "coding": [{"system": content.SYSTEM_COURSE, "code": course}],
        },
        "dosageInstruction": [
            {
                "text": f"Uống {dose:g} {drug.unit}/lần, {times} lần/ngày, trong {days} ngày",
                "timing": {"repeat": {"frequency": times, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose, "unit": drug.unit}}],
            }
        ],
        "dispenseRequest": {
            "quantity": {"value": quantity, "unit": drug.unit},
            "expectedSupplyDuration": {
                "value": days,
                "unit": "days",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            },
        },
    }


def wrap(
    requests: list[dict[str, Any]],
    *,
    code: str,
    hospital: Hospital,
    citizen: Citizen,
    prescriber: tuple[str, str],
    simulated: bool = False,
    weight_kg: float | None = None,
    guardian: str | None = None,
) -> dict[str, Any]:
    """A Bundle around MedicationRequests: the prescription code, Patient, Practitioner and
    Organization added, and every request's subject/requester pointed at them; with the
    patient's weight (an Observation) and guardian (Patient.contact) when given."""
    patient_entry = _entry(patient(citizen, guardian))
    practitioner_entry = _entry(practitioner(*prescriber))
    entries = []
    for request in requests:
        request = {
            **request,
            "groupIdentifier": {"system": fhir.SYSTEM_PRESCRIPTION_CODE, "value": code},
            "subject": {"reference": patient_entry["fullUrl"]},
            "requester": {"reference": practitioner_entry["fullUrl"]},
        }
        request.pop("id", None)
        entries.append(_entry(request))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"profile": [fhir.PROFILE_BUNDLE]},
        "identifier": {"system": fhir.SYSTEM_PRESCRIPTION_CODE, "value": code},
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": [*entries, patient_entry, practitioner_entry, _entry(organization(hospital))],
    }
    if weight_kg is not None:
        bundle["entry"].append(_entry(body_weight(weight_kg, patient_entry["fullUrl"])))
    if simulated:
        bundle["meta"]["tag"] = [fhir.SIMULATED_TAG]
    return bundle


def _diagnosis_for(rng: random.Random, drugs: list[Drug], letter: str) -> str:
    """A diagnosis a doctor would write for these drugs (narcotics: cancer or a fracture)."""
    if letter == "n":
        return rng.choice(("C34.9", "C50.9", "S82.2"))
    atc = next((d.atc for d in drugs if d.atc), "")
    found = next((icd for prefix, icd in DIAGNOSIS_FOR_ATC if atc.startswith(prefix)), None)
    if found in catalog.DIAGNOSIS_BY_CODE:
        return found
    return "F41.1" if letter == "h" else rng.choice(("J06.9", "M54.5", "K29.7"))


def _course_for(letter: str, diagnoses: Sequence[str]) -> str:
    """Long-term for chronic conditions and cancer, acute otherwise."""
    known = [catalog.DIAGNOSIS_BY_CODE.get(code) for code in diagnoses]
    return "continuous" if any(d and (d.chronic or d.cancer) for d in known) else "acute"


def _days_for(rng: random.Random, letter: str, diagnoses: Sequence[str], course: str) -> int:
    """Plausible days within the TT 26/2025 limit that applies."""
    known = [catalog.DIAGNOSIS_BY_CODE.get(code) for code in diagnoses]
    limit = REGULATION.max_days(
        letter,
        chronic=any(d and d.chronic for d in known),
        cancer=any(code.startswith("C") for code in diagnoses),
        long_term=course == "continuous",
    )
    if course == "continuous":
        return rng.choice([d for d in (14, 28, 30, 60, 90) if d <= limit] or [limit])
    return rng.randint(min(3, limit), min(10, limit))


def _child_weight(months: int) -> float:
    """A median weight for the age (WHO growth standards, roughly), in kg."""
    return round(3.3 + min(months, 12) * 0.5 + max(months - 12, 0) * 0.18, 1)


def prescription(
    rng: random.Random,
    *,
    code: str,
    hospital: Hospital,
    citizen: Citizen,
    drugs: list[Drug],
    diagnoses: Sequence[str] | None = None,
    days: int | None = None,
    course: str | None = None,
    weight_kg: float | None = None,
    guardian: str | None = None,
    simulated: bool = True,
) -> dict[str, Any]:
    """A whole synthetic prescription that passes every national rule, given drugs of one type
    (the code's letter) and, for narcotics, a hospital with inpatient beds. Unless asked for:
    a diagnosis fitting the drugs, a course and days within the supply limit, and for a child
    under 72 months a weight and a guardian (the citizen's own when the country knows them)."""
    authored = datetime.now(UTC)
    letter = catalog.prescription_type(drugs)
    diagnoses = list(diagnoses or [_diagnosis_for(rng, drugs, letter)])
    course = course or _course_for(letter, diagnoses)
    days = days or _days_for(rng, letter, diagnoses, course)
    months = age_in_months(citizen.birth_date, authored.date())
    child = REGULATION.is_child(citizen.birth_date, authored.date())
    if child or weight_kg is not None:
        weight_kg = weight_kg or getattr(citizen, "weight_kg", None) or _child_weight(months)
    if child or guardian:
        guardian = guardian or getattr(citizen, "guardian", "") or _guardian(rng, citizen)
    requests = [
        medication_request(
            code,
            drug,
            days,
            authored.isoformat(),
            "",
            "",
            diagnoses=diagnoses,
            course=course,
            dose=0.5 if child and drug.unit == "viên" else 1.0,
        )
        for drug in drugs
    ]
    doctor = (
        f"BS. {citizen.name.split()[0]} {rng.choice(('Minh', 'Lan', 'Hùng', 'Thảo'))}",
        f"{rng.randint(1, 99999):06d}/{hospital.code}-CCHN",
    )
    return wrap(
        requests,
        code=code,
        hospital=hospital,
        citizen=citizen,
        prescriber=doctor,
        simulated=simulated,
        weight_kg=weight_kg,
        guardian=guardian,
    )


def _guardian(rng: random.Random, citizen: Citizen) -> str:
    """A parent sharing the child's family name."""
    middle, given = rng.choice(("Văn", "Thị", "Minh")), rng.choice(("An", "Hoa", "Nam", "Lan"))
    return f"{citizen.name.split()[0]} {middle} {given}"


def citizen_of_cccd(cccd: str, name: str, province: str) -> Citizen:
    """A patient born on 1 January of the year, and of the sex, that the CCCD encodes; a CCCD
    that encodes nothing gives 1980 and male, and the rules will say what is wrong with it."""
    birth, sex = date(1980, 1, 1), "male"
    if len(cccd) == 12 and cccd.isdigit():
        digit = int(cccd[3])
        birth = date(1900 + 100 * (digit // 2) + int(cccd[4:6]), 1, 1)
        sex = "female" if digit % 2 else "male"
    return Citizen(cccd, name, birth, sex, province, f"1 Lê Lợi, {province}")


def type_letter_of(requests: list[dict[str, Any]]) -> str:
    """The prescription type of the registered drugs among the requests (`c` when none)."""
    found = []
    for request in requests:
        concepts = [request.get("medicationCodeableConcept") or {}] + [
            r.get("code") or {} for r in request.get("contained") or []
        ]
        found += [
            catalog.DRUG_BY_CODE[c["code"]]
            for concept in concepts
            for c in concept.get("coding") or []
            if c.get("system") == fhir.SYSTEM_DRUG_REGISTRATION
            and c.get("code") in catalog.DRUG_BY_CODE
        ]
    return catalog.prescription_type(found)
