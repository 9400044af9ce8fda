"""FHIR R4 AuditEvents: who read or changed which prescription or citizen's data, when, where
and with what outcome. Plain functions of what happened, so that what an audit record says is
tested without a service; the services publish them on rx.audit, `rxsim audit` reads them
back (rxsim.tools.audit)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from rxsim.domain.systems import (
    SYSTEM_CCCD,
    SYSTEM_FACILITY,
    SYSTEM_PHARMACY,
    SYSTEM_PRESCRIPTION_CODE,
)

# DICOM's "Patient Record" event: a patient's record created, read, updated or deleted
# (the AuditEvent.type the IHE BALP profile uses for exactly that).
PATIENT_RECORD = {
    "system": "http://dicom.nema.org/resources/ontology/DCM",
    "code": "110110",
    "display": "Patient Record",
}
INTERACTION = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
# Who called: a citizen is named by CCCD, a system by the id it has in the scenario.
CALLER_SYSTEM = {
    "citizen": SYSTEM_CCCD,
    "facility": SYSTEM_FACILITY,
    "pharmacy": SYSTEM_PHARMACY,
    "operator": "urn:rxsim:operator",
    "service": "urn:rxsim:service",
}


class Action(StrEnum):
    """What was done (AuditEvent.action), with the REST interaction it was done by."""

    CREATE = "C"
    READ = "R"
    UPDATE = "U"
    DELETE = "D"
    EXECUTE = "E"

    @property
    def interaction(self) -> str:
        return {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "operation"}[
            self.value
        ]


class Outcome(StrEnum):
    """AuditEvent.outcome: done, refused (the caller's mistake or lack of right), or failed."""

    SUCCESS = "0"
    REFUSED = "4"  # "Minor failure": the action was not done; the request was at fault
    FAILED = "8"  # "Serious failure": the service could not do it


@dataclass(frozen=True)
class Audited:
    """One read or change, as plain facts; `audit_event` makes the FHIR resource of it."""

    at: datetime
    service: str  # the rxsim service that saw it (AuditEvent.source)
    caller_role: str  # citizen, facility, pharmacy, operator, or service (a service itself)
    caller: str  # the CCCD, facility code, pharmacy id, "operator" or service name
    action: Action
    what: str  # the request, as a person would say it: "GET /citizens/{cccd}/prescriptions"
    outcome: Outcome = Outcome.SUCCESS
    reason_code: str | None = None  # why it was refused or failed
    prescription_id: str | None = None
    citizen_id: str | None = None  # whose data it is
    event_id: str = ""


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def audit_event(audited: Audited) -> dict[str, Any]:
    """The FHIR R4 AuditEvent of `audited` (valid against R4 and R4B)."""
    entities: list[dict[str, Any]] = []
    if audited.citizen_id:
        entities.append(
            {
                "what": {"identifier": {"system": SYSTEM_CCCD, "value": audited.citizen_id}},
                "type": _coding(ENTITY_TYPE, "1", "Person"),
                "role": _coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    if audited.prescription_id:
        entities.append(
            {
                "what": {
                    "identifier": {
                        "system": SYSTEM_PRESCRIPTION_CODE,
                        "value": audited.prescription_id,
                    }
                },
                "type": _coding(ENTITY_TYPE, "2", "System Object"),
                "role": _coding(OBJECT_ROLE, "4", "Domain Resource"),
            }
        )
    # The request itself, as the service named it (what the agent asked for).
    entities.append(
        {"type": _coding(ENTITY_TYPE, "2", "System Object"), "description": audited.what}
    )
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": audited.event_id or str(uuid.uuid4()),
        "type": PATIENT_RECORD,
        "subtype": [_coding(INTERACTION, audited.action.interaction, audited.action.interaction)],
        "action": audited.action.value,
        "recorded": audited.at.isoformat(),
        "outcome": audited.outcome.value,
        "outcomeDesc": audited.reason_code or "",
        "agent": [
            {
                "type": {"text": audited.caller_role},
                "who": {
                    "identifier": {
                        "system": CALLER_SYSTEM.get(audited.caller_role, "urn:rxsim:caller"),
                        "value": audited.caller,
                    }
                },
                "requestor": True,
            }
        ],
        "source": {
            "observer": {"display": f"rxsim/{audited.service}"},
            "type": [_coding(SOURCE_TYPE, "4", "Application Server")],
        },
        "entity": entities,
    }
    if not audited.reason_code:
        del event["outcomeDesc"]
    return event
