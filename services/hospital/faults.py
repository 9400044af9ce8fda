"""Deliberate faults: each takes a valid prescription Bundle and breaks exactly one element of
it, where docs/prescription-bundle.md puts that element, so that the coordinator rejects it for
one known reason (rxsim.scenario.faults.FAULT_REASONS). The caller's Bundle is not changed.

Three kinds need no breaking here, they are drawn differently instead: a facility not onboarded
and narcotics from a facility without beds (the generator picks the facility) and a duplicate
(the generator re-sends a Bundle that went out clean)."""

import copy
import math
import random
from collections.abc import Callable, Collection, Iterator
from typing import Any

from rxsim import fhir
from rxsim.fhir import content

Bundle = dict[str, Any]


def _resources(bundle: Bundle, kind: str) -> Iterator[dict[str, Any]]:
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == kind:
            yield entry["resource"]


def _set_code(bundle: Bundle, code: str) -> None:
    bundle["identifier"]["value"] = code
    for request in _resources(bundle, "MedicationRequest"):
        request["groupIdentifier"]["value"] = code


def malformed_code(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    """Upper case, as a system that shouts might send it: ends in C, N, H or Y at least."""
    _set_code(bundle, bundle["identifier"]["value"].upper())


def type_letter_mismatch(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    """Another type letter; never n, which would also make it a narcotic prescription."""
    code = bundle["identifier"]["value"]
    _set_code(bundle, code[:-1] + ("y" if code[-1] != "y" else "c"))


def missing_prescriber_licence(
    bundle: Bundle, rng: random.Random, known_drugs: Collection[str]
) -> None:
    for practitioner in _resources(bundle, "Practitioner"):
        practitioner.pop("identifier", None)


def bad_cccd(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    """The 4th digit says the other sex: a well-formed CCCD that disagrees with the patient."""
    for patient in _resources(bundle, "Patient"):
        for ident in patient["identifier"]:
            if ident["system"] == fhir.SYSTEM_CCCD:
                value = ident["value"]
                ident["value"] = f"{value[:3]}{int(value[3]) ^ 1}{value[4:]}"


def _is_weight(resource: dict[str, Any]) -> bool:
    codings = (resource.get("code") or {}).get("coding") or []
    return any(c.get("code") == content.LOINC_BODY_WEIGHT for c in codings)


def child_without_weight(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    bundle["entry"] = [e for e in bundle["entry"] if not _is_weight(e["resource"])]


def child_without_guardian(
    bundle: Bundle, rng: random.Random, known_drugs: Collection[str]
) -> None:
    for patient in _resources(bundle, "Patient"):
        patient.pop("contact", None)


def missing_diagnosis(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    for request in _resources(bundle, "MedicationRequest"):
        request.pop("reasonCode", None)


def drug_not_in_catalog(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    """A registration number in the right shape that the national register does not hold."""
    unknown = f"VD-{rng.randrange(90_000, 100_000)}-25"
    while unknown in known_drugs:
        unknown = f"VD-{rng.randrange(90_000, 100_000)}-25"
    request = next(_resources(bundle, "MedicationRequest"))
    for coding in request["medicationCodeableConcept"]["coding"]:
        if coding["system"] == fhir.SYSTEM_DRUG_REGISTRATION:
            coding["code"] = unknown


def quantity_inconsistent(bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> None:
    """Twice what the dosage uses up, as if the days were typed into the quantity too."""
    request = next(_resources(bundle, "MedicationRequest"))
    request["dispenseRequest"]["quantity"]["value"] *= 2


def over_supply(bundle: Bundle, extra_days: int) -> Bundle:
    """A copy whose first drug line runs `extra_days` longer, its quantity still adding up."""
    bundle = copy.deepcopy(bundle)
    request = next(_resources(bundle, "MedicationRequest"))
    supply = request["dispenseRequest"]["expectedSupplyDuration"]
    dosage = request["dosageInstruction"][0]
    days = supply["value"] + extra_days
    dose = dosage["doseAndRate"][0]["doseQuantity"]["value"]
    times = dosage["timing"]["repeat"]["frequency"]
    dosage["text"] = dosage["text"].replace(f"trong {supply['value']} ngày", f"trong {days} ngày")
    supply["value"] = days
    request["dispenseRequest"]["quantity"]["value"] = math.ceil(dose * times * days)
    return bundle


BREAKERS: dict[str, Callable[[Bundle, random.Random, Collection[str]], None]] = {
    "malformed_code": malformed_code,
    "type_letter_mismatch": type_letter_mismatch,
    "missing_prescriber_licence": missing_prescriber_licence,
    "bad_cccd": bad_cccd,
    "child_without_weight": child_without_weight,
    "child_without_guardian": child_without_guardian,
    "missing_diagnosis": missing_diagnosis,
    "drug_not_in_catalog": drug_not_in_catalog,
    "quantity_inconsistent": quantity_inconsistent,
}


def broken(kind: str, bundle: Bundle, rng: random.Random, known_drugs: Collection[str]) -> Bundle:
    """A copy of the Bundle with the one element `kind` names broken (unchanged if `kind`
    breaks nothing in the Bundle itself)."""
    breaker = BREAKERS.get(kind)
    if breaker is None:
        return bundle
    bundle = copy.deepcopy(bundle)
    breaker(bundle, rng, known_drugs)
    return bundle
