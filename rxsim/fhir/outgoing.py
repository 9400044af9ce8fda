"""The few FHIR resources rxsim emits: OperationOutcome, Task, MedicationDispense."""

from datetime import datetime
from typing import Any

from rxsim.domain.prescription import Issue
from rxsim.domain.systems import (
    PROFILE_MEDICATION_DISPENSE,
    REASON_SYSTEM,
    SYSTEM_DRUG_REGISTRATION,
    SYSTEM_PHARMACY,
    SYSTEM_PRESCRIPTION_CODE,
)


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """A FHIR OperationOutcome naming, for each issue, the element and the reason."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": issue.severity,
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
