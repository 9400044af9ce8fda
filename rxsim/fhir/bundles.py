"""Build prescription Bundles the way a Vietnamese hospital's system would send them: every
element where docs/prescription-bundle.md puts it. `synthetic` fills them with content that
passes every national rule."""

import math
import random
import re
import string
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rxsim.domain import systems
from rxsim.domain.reference import catalog
from rxsim.domain.reference.country import Citizen, Drug, Hospital
from rxsim.fhir import content

CODE_ALPHABET = string.digits + string.ascii_lowercase


def new_code(rng: random.Random, facility_code: str, type_letter: str = "c") -> str:
    """TT 26/2025: 5-character facility code + 7 random [0-9a-z] + '-' + type."""
    return f"{facility_code}{''.join(rng.choices(CODE_ALPHABET, k=7))}-{type_letter}"


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": resource}


def patient(citizen: Citizen, guardian: str | None = None) -> dict[str, Any]:
    family, *given = citizen.name.split(" ", 1)
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [systems.PROFILE_PATIENT]},
        "identifier": [{"system": systems.SYSTEM_CCCD, "value": citizen.cccd}],
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


def decimal(value: float) -> float | int:
    """A FHIR decimal as JSON: a whole number without a fraction (1, not 1.0), as JCS writes
    it, so that signing a Bundle takes the canonical form's fast path."""
    return int(value) if float(value).is_integer() else value


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
            "value": decimal(kg),
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
    coding = {"system": systems.SYSTEM_DRUG_REGISTRATION, "code": number}
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


SYSTEM_ATC = "http://www.whocc.no/atc"


def _concepts(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every CodeableConcept naming the request's drug: its medicationCodeableConcept, the
    code and the ingredients of a contained Medication, a medicationReference's display."""
    concepts = [request.get("medicationCodeableConcept")]
    reference = request.get("medicationReference")
    if isinstance(reference, dict):
        concepts.append({"text": reference.get("display")})
    for resource in request.get("contained") or []:
        if isinstance(resource, dict) and resource.get("resourceType") == "Medication":
            concepts.append(resource.get("code"))
            concepts += [
                ingredient.get("itemCodeableConcept")
                for ingredient in resource.get("ingredient") or []
                if isinstance(ingredient, dict)
            ]
    return [concept for concept in concepts if isinstance(concept, dict)]


def drug_names(request: dict[str, Any]) -> list[str]:
    """What the request calls its drug, in words: texts and codings' displays (RxNorm,
    SNOMED CT, anything), the registration number's own excepted."""
    names = []
    for concept in _concepts(request):
        names.append(concept.get("text"))
        names += [
            coding.get("display")
            for coding in concept.get("coding") or []
            if isinstance(coding, dict) and coding.get("system") != systems.SYSTEM_DRUG_REGISTRATION
        ]
    return [str(name) for name in names if name]


def _words(text: str) -> list[str]:
    """Lower-case words without accents, a final 'e' dropped: the Vietnamese spelling of an
    INN drops it (amlodipine, amlodipin), so both spellings compare equal."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return [word.removesuffix("e") for word in re.findall(r"[a-z0-9]+", plain)]


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def label_mismatch(request: dict[str, Any], drug: Drug) -> str | None:
    """Why `drug`'s registration number cannot label the request's drug, or None when it can.
    An ATC code on the request decides when the register has one for the drug; otherwise the
    words the request names its drug with must hold the drug's active ingredient (the
    register's generic name; the drug's own name when it has none, as for traditional
    medicines). Strength and form are not compared."""
    atc = [
        str(coding.get("code"))
        for concept in _concepts(request)
        for coding in concept.get("coding") or []
        if isinstance(coding, dict) and coding.get("system") == SYSTEM_ATC and coding.get("code")
    ]
    names = drug_names(request)
    said = "; ".join(names) or "no drug name"
    if atc and drug.atc:
        if any(code.startswith(drug.atc) or drug.atc.startswith(code) for code in atc):
            return None
        return f"the request's ATC code {', '.join(atc)} ({said}) is not {drug.atc}"
    ingredient = drug.generic or drug.name
    if any(_contains(_words(name), _words(ingredient)) for name in names):
        return None
    return f"the request names {said}, which is not {ingredient}"


def organization(hospital: Hospital) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "identifier": [{"system": systems.SYSTEM_FACILITY, "value": hospital.code}],
        "name": hospital.name,
        "address": [{"state": hospital.province}],
    }


def practitioner(name: str, licence: str) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "identifier": [{"system": systems.SYSTEM_CCHN, "value": licence}],
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
        "meta": {"profile": [systems.PROFILE_MEDICATION_REQUEST]},
        "status": "active",
        "intent": "order",
        "groupIdentifier": {"system": systems.SYSTEM_PRESCRIPTION_CODE, "value": code},
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": systems.SYSTEM_DRUG_REGISTRATION,
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
                "doseAndRate": [{"doseQuantity": {"value": decimal(dose), "unit": drug.unit}}],
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
            "groupIdentifier": {"system": systems.SYSTEM_PRESCRIPTION_CODE, "value": code},
            "subject": {"reference": patient_entry["fullUrl"]},
            "requester": {"reference": practitioner_entry["fullUrl"]},
        }
        request.pop("id", None)
        entries.append(_entry(request))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"profile": [systems.PROFILE_BUNDLE]},
        "identifier": {"system": systems.SYSTEM_PRESCRIPTION_CODE, "value": code},
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": [*entries, patient_entry, practitioner_entry, _entry(organization(hospital))],
    }
    if weight_kg is not None:
        bundle["entry"].append(_entry(body_weight(weight_kg, patient_entry["fullUrl"])))
    if simulated:
        bundle["meta"]["tag"] = [systems.SIMULATED_TAG]
    return bundle


def type_letter_of(requests: list[dict[str, Any]]) -> str:
    """The prescription type of the registered drugs among the requests (`c` when none)."""
    found = []
    for request in requests:
        # The drug is coded in the request, or in a Medication it contains (other contained
        # resources, such as a PractitionerRole, have codes of their own, even lists of them).
        concepts = [request.get("medicationCodeableConcept") or {}] + [
            r.get("code") or {}
            for r in request.get("contained") or []
            if isinstance(r, dict) and r.get("resourceType") == "Medication"
        ]
        found += [
            catalog.DRUG_BY_CODE[c["code"]]
            for concept in concepts
            if isinstance(concept, dict)
            for c in concept.get("coding") or []
            if isinstance(c, dict)
            if c.get("system") == systems.SYSTEM_DRUG_REGISTRATION
            and c.get("code") in catalog.DRUG_BY_CODE
        ]
    return catalog.prescription_type(found)
