"""FHIR at the edge: validate a prescription Bundle once, extract the lean prescription that
travels downstream, and build the few FHIR resources rxsim emits (OperationOutcome, Task,
MedicationDispense).

Identifier systems follow HL7 Vietnam's VN Core guide (fhir.hl7.org.vn) where it defines one;
where it does not, the URI below follows VN Core's `/core/sid/<name>` pattern and says so.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from rxsim import fhir_content as content

VN_CORE = "http://fhir.hl7.org.vn/core"
SYSTEM_CCCD = f"{VN_CORE}/sid/cccd"  # VN Core: citizen id (Căn cước công dân)
SYSTEM_CCHN = f"{VN_CORE}/sid/cchn"  # VN Core: practising certificate (chứng chỉ hành nghề)
SYSTEM_PRESCRIPTION_CODE = f"{VN_CORE}/sid/prescription-code"  # VN Core vn-prescription-code-ns
SYSTEM_FACILITY = f"{VN_CORE}/sid/facility-code"  # not in VN Core yet: rxsim's, same pattern
SYSTEM_PHARMACY = f"{VN_CORE}/sid/pharmacy-code"  # not in VN Core yet: rxsim's, same pattern
SYSTEM_DRUG_REGISTRATION = f"{VN_CORE}/sid/drug-registration-number"  # số đăng ký, e.g. VD-25123-18
PROFILE_MEDICATION_REQUEST = f"{VN_CORE}/StructureDefinition/vn-core-medication-request"
PROFILE_MEDICATION_DISPENSE = f"{VN_CORE}/StructureDefinition/vn-core-medication-dispense"
PROFILE_PATIENT = f"{VN_CORE}/StructureDefinition/vn-core-patient"
PROFILE_BUNDLE = f"{VN_CORE}/StructureDefinition/vn-core-bundle"
REASON_SYSTEM = "urn:rxsim:reason"  # rxsim's reason codes (no national code system exists)
SIMULATED_TAG = {"system": "urn:rxsim:tag", "code": "synthetic"}


@dataclass(frozen=True)
class Issue:
    """One problem found in a message: FHIRPath-like location, reason code, and message."""

    expression: str
    code: str
    message: str
    fhir_code: str = "invalid"  # OperationOutcome.issue.code


class InvalidPrescription(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.expression}: {i.message}" for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class Item:
    """One MedicationRequest: what the citizen and pharmacy see, and what the rules check (None
    where the request does not say, or says it in a way rxsim does not read)."""

    drug_code: str
    name: str
    quantity: float
    unit: str
    instructions: str
    where: str = "MedicationRequest"  # FHIRPath-like location of the request in the Bundle
    medication_where: str = "MedicationRequest.medicationCodeableConcept"
    registration_number: str | None = None
    diagnoses: tuple[str, ...] = ()  # ICD-10 codes
    dose: float | None = None  # per intake
    dose_unit: str | None = None
    quantity_unit: str | None = None  # as a comparable code, unlike `unit` which is for people
    times_per_day: float | None = None
    days: float | None = None
    course: str | None = None  # courseOfTherapyType: acute, continuous, seasonal


@dataclass(frozen=True)
class Prescription:
    """What downstream services need of a validated Bundle; the Bundle itself is not re-parsed."""

    code: str
    facility_code: str
    facility_name: str
    citizen_id: str
    patient_name: str
    prescriber_name: str
    authored_on: str | None
    items: tuple[Item, ...]
    medication_requests: tuple[dict[str, Any], ...] = field(repr=False)
    simulated: bool = False
    patient_where: str = "Patient"
    practitioner_where: str = "Practitioner"
    prescriber_licence: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    weight_kg: float | None = None
    guardian: str | None = None

    @property
    def diagnoses(self) -> tuple[str, ...]:
        """Every ICD-10 code of the prescription, in order, once."""
        return tuple(dict.fromkeys(code for item in self.items for code in item.diagnoses))

    @property
    def type_letter(self) -> str:
        return self.code[-1] if len(self.code) >= 2 and self.code[-2] == "-" else "?"


def _expression(loc: tuple[Any, ...], payload: dict[str, Any]) -> str:
    """`('entry', 0, 'resource', 'birthDate')` -> `Bundle.entry[0].resource(Patient).birthDate`."""
    parts = ["Bundle"]
    node: Any = payload
    for step in loc:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
        else:
            parts.append(str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
        if step == "resource" and isinstance(node, dict) and "resourceType" in node:
            parts[-1] += f"({node['resourceType']})"
    return ".".join(parts)


def _fhir_errors(exc: ValidationError, payload: dict[str, Any]) -> list[Issue]:
    issues = []
    for err in exc.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        fhir_code = "required" if err["type"] == "missing" else "structure"
        issues.append(
            Issue(_expression(tuple(err["loc"]), payload), "FHIR_INVALID", message, fhir_code)
        )
    return issues


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
    full validation (about 2.5 ms a Bundle)."""
    entries = [entry.get("resource") or {} for entry in bundle.get("entry") or []]
    requests = [r for r in entries if r.get("resourceType") == "MedicationRequest"]
    return _prescription_code(bundle, requests)


def _prescription_code(payload: dict[str, Any], requests: list[dict[str, Any]]) -> str | None:
    for request in requests:
        group = request.get("groupIdentifier") or {}
        if group.get("system") == SYSTEM_PRESCRIPTION_CODE and group.get("value"):
            return str(group["value"])
    ident = payload.get("identifier") or {}
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
            return dict(resource.get("code") or {}), f"{where}.contained[{index}](Medication).code"
    display = (request.get("medicationReference") or {}).get("display", "")
    return {"text": display}, f"{where}.medicationReference"


def _item(request: dict[str, Any], where: str) -> Item:
    concept, medication_where = _medication_concept(request, where)
    codings = concept.get("coding") or [{}]
    registration = next((c for c in codings if c.get("system") == SYSTEM_DRUG_REGISTRATION), None)
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
    )


def parse_prescription(payload: Any) -> Prescription:
    """Validate a prescription Bundle (FHIR R4/R4B) and return the lean prescription.

    Raises InvalidPrescription listing every problem found, each with its location.
    """
    if not isinstance(payload, dict):
        raise InvalidPrescription([Issue("(root)", "NOT_AN_OBJECT", "expected a JSON object")])
    if payload.get("resourceType") != "Bundle":
        got = payload.get("resourceType")
        raise InvalidPrescription(
            [Issue("resourceType", "WRONG_RESOURCE_TYPE", f"expected a Bundle, got {got!r}")]
        )
    try:
        Bundle.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPrescription(_fhir_errors(exc, payload)) from None

    found = _by_type(payload)
    issues = [
        Issue("Bundle.entry", "MISSING_RESOURCE", f"the Bundle has no {kind}", "required")
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
    code = _prescription_code(payload, requests)
    if code is None:
        issues.append(
            Issue(
                "MedicationRequest.groupIdentifier",
                "MISSING_PRESCRIPTION_CODE",
                f"no prescription code with system {SYSTEM_PRESCRIPTION_CODE}",
                "required",
            )
        )
    citizen_id = _identifier(patient, SYSTEM_CCCD)
    if citizen_id is None:
        issues.append(
            Issue(
                f"Bundle.entry[{patient_index}].resource(Patient).identifier",
                "MISSING_CITIZEN_ID",
                f"no identifier with system {SYSTEM_CCCD}",
                "required",
            )
        )
    facility_code = _identifier(organization, SYSTEM_FACILITY)
    if facility_code is None:
        issues.append(
            Issue(
                "Organization.identifier",
                "MISSING_FACILITY_CODE",
                f"no identifier with system {SYSTEM_FACILITY}",
                "required",
            )
        )
    items = tuple(
        _item(request, f"Bundle.entry[{index}].resource(MedicationRequest)")
        for index, request in found["MedicationRequest"]
    )
    for (_, request), item in zip(found["MedicationRequest"], items, strict=True):
        where = item.where
        if request.get("status") != "active":
            issues.append(
                Issue(
                    f"{where}.status",
                    "NOT_ACTIVE",
                    f"a prescription sent for dispensing must be active, "
                    f"not {request.get('status')!r}",
                    "business-rule",
                )
            )
        if item.quantity <= 0:
            issues.append(
                Issue(
                    f"{where}.dispenseRequest.quantity",
                    "MISSING_QUANTITY",
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
        patient_where=f"Bundle.entry[{patient_index}].resource(Patient)",
        practitioner_where=f"Bundle.entry[{found['Practitioner'][0][0]}].resource(Practitioner)",
        prescriber_licence=_identifier(practitioner, SYSTEM_CCHN),
        birth_date=content.birth_date(patient),
        gender=patient.get("gender"),
        weight_kg=content.weight_kg([resource for _, resource in found.get("Observation", [])]),
        guardian=content.guardian(patient),
    )


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """A FHIR OperationOutcome naming, for each issue, the element and the reason."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": issue.fhir_code,
                "details": {
                    "coding": [{"system": REASON_SYSTEM, "code": issue.code}],
                    "text": issue.message,
                },
                "diagnostics": issue.message,
                "expression": [issue.expression],
            }
            for issue in issues
        ],
    }


# Task.status for each business state (FHIR Task lifecycle; businessStatus carries ours).
TASK_STATUS = {
    "ISSUED": "requested",
    "VALIDATED": "received",
    "REJECTED": "rejected",
    "AVAILABLE": "ready",
    "ORDERED": "requested",
    "ACCEPTED": "accepted",
    "PENDING_CANCELLATION": "on-hold",
    "DISPENSED": "in-progress",
    "OUT_FOR_DELIVERY": "in-progress",
    "DELIVERY_FAILED": "in-progress",
    "DELIVERED": "completed",
    "PICKED_UP": "completed",
    "CANCELLED": "cancelled",
    "EXPIRED": "failed",
}


def status_task(code: str, state: str, at: datetime, reason: str | None) -> dict[str, Any]:
    task: dict[str, Any] = {
        "resourceType": "Task",
        "status": TASK_STATUS[state],
        "intent": "order",
        "businessStatus": {"coding": [{"system": "urn:rxsim:state", "code": state}]},
        "groupIdentifier": {"system": SYSTEM_PRESCRIPTION_CODE, "value": code},
        "lastModified": at.isoformat(),
    }
    if reason:
        task["statusReason"] = {"text": reason}
    return task


def fulfilment_task(code: str, pharmacy_id: str, at: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "code": {"text": "fulfil prescription"},
        "groupIdentifier": {"system": SYSTEM_PRESCRIPTION_CODE, "value": code},
        "owner": {"identifier": {"system": SYSTEM_PHARMACY, "value": pharmacy_id}},
        "authoredOn": at.isoformat(),
    }


def medication_dispense(
    code: str, pharmacy_id: str, item_code: str, name: str, quantity: float, unit: str, at: datetime
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "meta": {"profile": [PROFILE_MEDICATION_DISPENSE]},
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": SYSTEM_DRUG_REGISTRATION, "code": item_code}],
            "text": name,
        },
        "performer": [{"actor": {"identifier": {"system": SYSTEM_PHARMACY, "value": pharmacy_id}}}],
        "authorizingPrescription": [
            {"identifier": {"system": SYSTEM_PRESCRIPTION_CODE, "value": code}}
        ],
        "quantity": {"value": quantity, "unit": unit},
        "whenHandedOver": at.isoformat(),
    }
