"""An audit trail, per prescription or per citizen, as FHIR AuditEvents: the reads and the
changes asked for through the services' APIs (recorded on rx.audit, who asked and whether it
was done), and every state change and refused request the coordinator decided (rx.status,
which is the coordinator's own record of them), each told as the AuditEvent it is."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rxsim.fhir.audit import Action, Audited, Outcome, audit_event
from rxsim.messaging.codec import moment
from schemas import topics

READS = (topics.RX_AUDIT.name, topics.RX_STATUS.name)  # the topics a trail is made of


@dataclass(frozen=True)
class Wanted:
    """Whose trail: a prescription's, a citizen's, or both (either matches)."""

    prescription_id: str | None = None
    citizen_id: str | None = None

    def matches(self, data: dict[str, Any]) -> bool:
        return (
            self.prescription_id is not None and data.get("prescription_id") == self.prescription_id
        ) or (self.citizen_id is not None and data.get("citizen_id") == self.citizen_id)


def status_audit_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """What an rx.status event records, as an AuditEvent: the coordinator moved the
    prescription from one state to another, or refused a request about it."""
    data = envelope["data"]
    refused = data.get("refused") if isinstance(data.get("refused"), dict) else None
    if refused:
        what = f"{refused.get('request')} refused, stays {data.get('state')}"
        outcome, reason = Outcome.REFUSED, refused.get("reason_code")
    else:
        what = f"{data.get('previous_state') or 'new'} → {data.get('state')}"
        outcome, reason = Outcome.SUCCESS, None
    service = str(envelope.get("source", "rxsim/?")).removeprefix("rxsim/")
    return audit_event(
        Audited(
            at=moment(envelope.get("time")),
            service=service,
            caller_role="service",
            caller=service,
            action=Action.UPDATE if data.get("previous_state") else Action.CREATE,
            what=what,
            outcome=outcome,
            reason_code=reason,
            prescription_id=data.get("prescription_id"),
            citizen_id=data.get("citizen_id"),
            event_id=str(envelope.get("id", "")),
        )
    )


def trail(events: Iterable[tuple[str, dict[str, Any]]], wanted: Wanted) -> list[dict[str, Any]]:
    """The AuditEvents among `events` (topic, envelope) about `wanted`, oldest first."""
    found: list[dict[str, Any]] = []
    for topic, envelope in events:
        data = envelope.get("data")
        if not isinstance(data, dict) or not wanted.matches(data):
            continue
        if topic == topics.RX_AUDIT.name and isinstance(data.get("audit_event"), dict):
            found.append(data["audit_event"])
        elif topic == topics.RX_STATUS.name and data.get("state"):
            found.append(status_audit_event(envelope))
    return sorted(found, key=lambda event: moment(event.get("recorded")))


def as_bundle(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The trail as a FHIR searchset Bundle, as a FHIR server answers `GET /AuditEvent?…`."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(events),
        "entry": [
            {"fullUrl": f"urn:uuid:{event['id']}", "resource": event, "search": {"mode": "match"}}
            for event in events
        ],
    }


def who(event: dict[str, Any]) -> str:
    agent = (event.get("agent") or [{}])[0]
    role = agent.get("type", {}).get("text", "?")
    return f"{role} {agent.get('who', {}).get('identifier', {}).get('value', '?')}"


def what(event: dict[str, Any]) -> str:
    requests = [e["description"] for e in event.get("entity", []) if "description" in e]
    return requests[0] if requests else "?"


OUTCOMES = {"0": "done", "4": "refused", "8": "failed"}


def outcome(event: dict[str, Any]) -> str:
    said = OUTCOMES.get(str(event.get("outcome")), "?")
    return f"{said}: {event['outcomeDesc']}" if event.get("outcomeDesc") else said
