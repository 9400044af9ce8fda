"""rx.cancel as a hospital system sends it: the prescription's MedicationRequest again, with
status `cancelled` and the reason in `statusReason` (FHIR R4's way to withdraw a request that
nothing was dispensed against, and NHS England EPS's cancellation)."""

from typing import Any

from rxsim.domain import systems
from schemas.events import CancellationRequested

# What a MedicationRequest of rx.issued keeps for its cancellation: what names the request, the
# patient and the drug (with any contained Medication it points at). Not its dosage or supply:
# a cancellation need not say them again, and the hospital keeps one such request per
# prescription it sent, for as long as it runs.
KEPT = (
    "meta",
    "contained",
    "identifier",
    "groupIdentifier",
    "intent",
    "medicationCodeableConcept",
    "medicationReference",
    "subject",
    "requester",
    "authoredOn",
)


def kept_for_cancelling(bundle: dict[str, Any]) -> dict[str, Any] | None:
    """The first MedicationRequest of an rx.issued Bundle, as much of it as a cancellation
    sends again; None if it has none (a Bundle the hospital would not have sent)."""
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "MedicationRequest":
            kept = {key: resource[key] for key in KEPT if key in resource}
            for who in ("subject", "requester"):
                kept[who] = _reference_only(kept.get(who), who)
            return kept
    return None


def _reference_only(reference: Any, who: str) -> dict[str, Any]:
    """Who, by reference alone: rx.cancel carries no personal data (schemas/topics.py), and a
    Reference's display or identifier may hold a name or a CCCD."""
    if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
        return {"reference": reference["reference"]}
    return {"display": f"the {who} of the prescription"}


def cancellation(
    code: str, reason: str, request: dict[str, Any] | None = None
) -> CancellationRequested:
    """The MedicationRequest `request` (as `kept_for_cancelling` keeps it) cancelled for
    `reason`, named by the prescription's code. Without it (a prescription the hospital no
    longer holds), one that says only what it withdraws: the patient and drug by name."""
    request = request or {
        "intent": "order",
        "subject": {"display": "the patient of prescription " + code},
        "medicationCodeableConcept": {"text": "every drug of prescription " + code},
    }
    return CancellationRequested.model_validate(
        {
            "resourceType": "MedicationRequest",
            **{key: value for key, value in request.items() if key != "id"},
            "status": "cancelled",
            "statusReason": {"text": reason},
            "intent": request.get("intent") or "order",
            "groupIdentifier": {"system": systems.SYSTEM_PRESCRIPTION_CODE, "value": code},
        }
    )
