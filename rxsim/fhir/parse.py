"""FHIR at the edge: validate a prescription Bundle once and extract the lean prescription
that travels downstream."""

from typing import Any

from rxsim.domain import fhirpath
from rxsim.domain.prescription import InvalidPrescription, Issue, Item, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.systems import (
    SIMULATED_TAG,
    SYSTEM_CCCD,
    SYSTEM_CCHN,
    SYSTEM_DRUG_REGISTRATION,
    SYSTEM_FACILITY,
    SYSTEM_PRESCRIPTION_CODE,
)
from rxsim.fhir import content
from rxsim.fhir.validate import errors


def _by_type(payload: dict[str, Any]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, entry in enumerate(payload.get("entry") or []):
        resource = entry.get("resource") or {}
        found.setdefault(resource.get("resourceType", "?"), []).append((index, resource))
    return found


def _identifier(resource: dict[str, Any], system: str) -> str | None:
    for ident in resource.get("identifier") or []:
        if ident.get("system") == system and ident.get("value"):
            return str(ident["value"])
    return None


def _name(resource: dict[str, Any]) -> str:
    name = resource.get("name")
    if isinstance(name, str):
        return name
    for human in name or []:
        if human.get("text"):
            return str(human["text"])
        return " ".join([*human.get("family", "").split(), *human.get("given", [])][:4]).strip()
    return ""


def prescription_code(bundle: dict[str, Any]) -> str | None:
    """A Bundle's prescription code, read without validating the Bundle: for a sender that
    built it itself (the hospital's generator), so the coordinator's ingress is the one
    full validation (about 2 ms a Bundle)."""
    entries = [entry.get("resource") or {} for entry in bundle.get("entry") or []]
    requests = [r for r in entries if r.get("resourceType") == "MedicationRequest"]
    return _prescription_code(bundle, requests)


def _prescription_code(payload: dict[str, Any], requests: list[dict[str, Any]]) -> str | None:
    # Read before validation: an element may have another shape than a Bundle's (a
    # MedicationRequest's identifier is a list), so each is looked at only if it is an object.
    for request in requests:
        group = request.get("groupIdentifier")
        if not isinstance(group, dict):
            continue
        if group.get("system") == SYSTEM_PRESCRIPTION_CODE and group.get("value"):
            return str(group["value"])
    ident = payload.get("identifier")
    if not isinstance(ident, dict):
        return None
    if ident.get("system") == SYSTEM_PRESCRIPTION_CODE and ident.get("value"):
        return str(ident["value"])
    return None


def _medication_concept(request: dict[str, Any], where: str) -> tuple[dict[str, Any], str]:
    """medicationCodeableConcept, or the code of a contained Medication it references; with the
    location of its codings."""
    if "medicationCodeableConcept" in request:
        return dict(request["medicationCodeableConcept"]), f"{where}.medicationCodeableConcept"
    reference = str((request.get("medicationReference") or {}).get("reference", ""))
    for index, resource in enumerate(request.get("contained") or []):
        if reference == f"#{resource.get('id')}" and resource.get("resourceType") == "Medication":
            return dict(resource.get("code") or {}), (
                f"{fhirpath.contained(where, index, 'Medication')}.code"
            )
    display = (request.get("medicationReference") or {}).get("display", "")
    return {"text": display}, f"{where}.medicationReference"


def _item(request: dict[str, Any], where: str) -> Item:
    concept, medication_where = _medication_concept(request, where)
    codings = concept.get("coding") or [{}]
    registration = next(
        (c for c in codings if c.get("system") == SYSTEM_DRUG_REGISTRATION and c.get("code")), None
    )
    coding = registration or codings[0]
    quantity = (request.get("dispenseRequest") or {}).get("quantity") or {}
    dosage = (request.get("dosageInstruction") or [{}])[0]
    dose, dose_unit = content.dose(request)
    return Item(
        drug_code=str(coding.get("code") or concept.get("text") or "unknown"),
        name=str(concept.get("text") or coding.get("display") or coding.get("code") or "?"),
        quantity=float(quantity.get("value") or 0),
        unit=str(quantity.get("unit") or quantity.get("code") or "unit"),
        instructions=str(dosage.get("text") or ""),
        where=where,
        medication_where=medication_where,
        registration_number=str(registration["code"]) if registration else None,
        diagnoses=content.diagnoses(request),
        dose=dose,
        dose_unit=dose_unit,
        quantity_unit=content.unit_of(quantity),
        times_per_day=content.times_per_day(request),
        days=content.supply_days(request),
        course=content.course(request),
        steps=content.dose_steps(request, where),
    )


def parse_prescription(payload: Any, *, validated: bool = False) -> Prescription:
    """Validate a prescription Bundle (FHIR R4/R4B) and return the lean prescription.

    `validated`: the Bundle was validated against FHIR R4B at the first hop (the hospital's
    edge said so in its signature), so only the lean prescription is read from it, and the
    rules it must meet are checked: the full validation is most of what taking in a
    prescription costs (1.3–2.9 ms a Bundle, 0.3 ms of it FHIR's invariants). A Bundle that
    turns out not to be what was claimed is validated in full after all, which says what is
    wrong with it.

    Raises InvalidPrescription listing every problem found, each with its location.
    """
    if not isinstance(payload, dict):
        raise InvalidPrescription([Issue("(root)", Reason.NOT_AN_OBJECT, "expected a JSON object")])
    if payload.get("resourceType") != "Bundle":
        got = payload.get("resourceType")
        raise InvalidPrescription(
            [Issue("resourceType", Reason.WRONG_RESOURCE_TYPE, f"expected a Bundle, got {got!r}")]
        )
    if validated:
        try:
            return _lean(payload)
        except InvalidPrescription:
            raise
        except Exception:  # not the valid Bundle it claimed to be
            pass
    issues = errors(payload)
    if issues:
        raise InvalidPrescription(issues)
    return _lean(payload)


def _lean(payload: dict[str, Any]) -> Prescription:
    """The lean prescription of a Bundle valid against FHIR R4B, once the rules every
    prescription must meet (its resources, code, citizen, facility, status, quantities)
    are checked: InvalidPrescription otherwise."""
    found = _by_type(payload)
    issues = [
        Issue("Bundle.entry", Reason.MISSING_RESOURCE, f"the Bundle has no {kind}", "required")
        for kind in ("MedicationRequest", "Patient", "Practitioner", "Organization")
        if kind not in found
    ]
    if issues:
        raise InvalidPrescription(issues)
    requests = [resource for _, resource in found["MedicationRequest"]]
    patient, practitioner, organization = (
        found[k][0][1] for k in ("Patient", "Practitioner", "Organization")
    )
    patient_index = found["Patient"][0][0]
    organization_where = fhirpath.entry(found["Organization"][0][0], "Organization")
    code = _prescription_code(payload, requests)
    citizen_id = _identifier(patient, SYSTEM_CCCD)
    facility_code = _identifier(organization, SYSTEM_FACILITY)
    required = (
        (
            code,
            f"{fhirpath.every('MedicationRequest')}.groupIdentifier",
            Reason.MISSING_PRESCRIPTION_CODE,
            f"no prescription code with system {SYSTEM_PRESCRIPTION_CODE}",
        ),
        (
            citizen_id,
            f"{fhirpath.entry(patient_index, 'Patient')}.identifier",
            Reason.MISSING_CITIZEN_ID,
            f"no identifier with system {SYSTEM_CCCD}",
        ),
        (
            facility_code,
            f"{organization_where}.identifier",
            Reason.MISSING_FACILITY_CODE,
            f"no identifier with system {SYSTEM_FACILITY}",
        ),
    )
    issues += [
        Issue(where, reason, message, "required")
        for value, where, reason, message in required
        if value is None
    ]
    items = tuple(
        _item(request, fhirpath.entry(index, "MedicationRequest"))
        for index, request in found["MedicationRequest"]
    )
    for (_, request), item in zip(found["MedicationRequest"], items, strict=True):
        where = item.where
        if request.get("status") != "active":
            issues.append(
                Issue(
                    f"{where}.status",
                    Reason.NOT_ACTIVE,
                    f"a prescription sent for dispensing must be active, "
                    f"not {request.get('status')!r}",
                    "business-rule",
                )
            )
        if item.quantity <= 0:
            issues.append(
                Issue(
                    f"{where}.dispenseRequest.quantity",
                    Reason.MISSING_QUANTITY,
                    "each drug needs a quantity to dispense",
                    "required",
                )
            )
    if issues:
        raise InvalidPrescription(issues)
    assert code and citizen_id and facility_code
    tags = (payload.get("meta") or {}).get("tag") or []
    return Prescription(
        code=code,
        facility_code=facility_code,
        facility_name=_name(organization),
        citizen_id=citizen_id,
        patient_name=_name(patient),
        prescriber_name=_name(practitioner),
        authored_on=requests[0].get("authoredOn"),
        items=items,
        medication_requests=tuple(requests),
        simulated=any(t.get("code") == SIMULATED_TAG["code"] for t in tags),
        patient_where=fhirpath.entry(patient_index, "Patient"),
        practitioner_where=fhirpath.entry(found["Practitioner"][0][0], "Practitioner"),
        organization_where=organization_where,
        prescriber_licence=_identifier(practitioner, SYSTEM_CCHN),
        birth_date=content.birth_date(patient),
        gender=patient.get("gender"),
        weight_kg=content.weight_kg([resource for _, resource in found.get("Observation", [])]),
        guardian=content.guardian(patient),
    )


def facility_code(bundle: dict[str, Any]) -> str | None:
    """The issuing facility's code (the first Organization's), read without validating the
    Bundle: the hospital signs as this facility."""
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") == "Organization":
            return _identifier(resource, SYSTEM_FACILITY)
    return None
