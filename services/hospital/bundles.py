"""Build prescription Bundles the way a Vietnamese hospital's system would send them."""

import random
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from rxsim import fhir
from rxsim.country import Citizen, Drug, Hospital

CODE_ALPHABET = string.digits + string.ascii_lowercase


def new_code(rng: random.Random, facility_code: str, type_letter: str = "c") -> str:
    """TT 26/2025: 5-character facility code + 7 random [0-9a-z] + '-' + type."""
    return f"{facility_code}{''.join(rng.choices(CODE_ALPHABET, k=7))}-{type_letter}"


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": resource}


def patient(citizen: Citizen) -> dict[str, Any]:
    family, *given = citizen.name.split(" ", 1)
    return {
        "resourceType": "Patient",
        "meta": {"profile": [fhir.PROFILE_PATIENT]},
        "identifier": [{"system": fhir.SYSTEM_CCCD, "value": citizen.cccd}],
        "name": [{"text": citizen.name, "family": family, "given": given}],
        "gender": citizen.sex,
        "birthDate": citizen.birth_date.isoformat(),
        "address": [{"text": citizen.address}],
    }


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
    code: str, drug: Drug, days: int, authored_on: str, patient_url: str, practitioner_url: str
) -> dict[str, Any]:
    quantity = drug.daily_units * days
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
        "dosageInstruction": [
            {
                "text": f"Uống {drug.daily_units} {drug.unit}/ngày, trong {days} ngày",
                "timing": {
                    "repeat": {"frequency": drug.daily_units, "period": 1, "periodUnit": "d"}
                },
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
) -> dict[str, Any]:
    """A Bundle around MedicationRequests: the prescription code, Patient, Practitioner and
    Organization added, and every request's subject/requester pointed at them."""
    patient_entry = _entry(patient(citizen))
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
    if simulated:
        bundle["meta"]["tag"] = [fhir.SIMULATED_TAG]
    return bundle


def prescription(
    rng: random.Random,
    *,
    code: str,
    hospital: Hospital,
    citizen: Citizen,
    drugs: list[Drug],
    simulated: bool = True,
) -> dict[str, Any]:
    """A whole synthetic prescription of 1-3 drugs, each for 5-30 days."""
    authored_on = datetime.now(UTC).isoformat()
    requests = [
        medication_request(code, drug, rng.randint(5, 30), authored_on, "", "") for drug in drugs
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
    )
