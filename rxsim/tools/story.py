"""What one message means to a person: a one-line summary per event type, and one
prescription's story across topics (for `rxsim tail` and `rxsim trace`)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rxsim.messaging.codec import moment
from rxsim.tools import audit
from schemas import topics


@dataclass(frozen=True)
class Step:
    at: str  # the event's CloudEvents time (ISO 8601)
    service: str
    topic: str
    event: str  # the event's kind in plain words (event_name)
    summary: str
    state: str | None  # the prescription's state after this event, as far as it is known
    state_changed: bool


def data_of(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    return data if isinstance(data, dict) else {}


def prescription_of(topic: str, event: dict[str, Any]) -> str | None:
    data = data_of(event)
    if topic == topics.RX_DEADLETTER.name:
        return data.get("original_key") or event.get("subject")
    return data.get("prescription_id") or event.get("subject")


def service_of(event: dict[str, Any]) -> str:
    return str(event.get("source", "?")).removeprefix("rxsim/")


def _items(data: dict[str, Any]) -> str:
    names = [str(item.get("name", "?")) for item in data.get("items", [])]
    return ", ".join(names) or "no items"


# What each event type is, in words: a trace's reader should not need to know our type names.
EVENT_NAMES: dict[str, str] = {
    topics.RX_ISSUED.name: "prescription issued",
    topics.RX_CANCEL.name: "cancellation asked",
    topics.RX_STATUS.name: "status changed",
    topics.CITIZEN_INBOX.name: "in the citizen's app",
    topics.CITIZEN_CHOICES.name: "pharmacy chosen",
    topics.PHARMACY_ORDERS.name: "order placed",
    topics.PHARMACY_EVENTS.name: "pharmacy",
    topics.PHARMACY_CANCELLATIONS.name: "pharmacy asked to return",
    topics.PHARMACY_ALERTS.name: "counterfeit suspected",
    topics.COORDINATOR_DEADLINES.name: "deadline reached",
    topics.HOSPITAL_RUNS.name: "generator run",
    topics.RX_DEADLETTER.name: "dead letter",
    topics.RX_AUDIT.name: "audit record",
}


def event_name(topic: str, event: dict[str, Any]) -> str:
    """The event's kind in a few plain words (an unknown topic: its CloudEvents type)."""
    data = data_of(event)
    if topic == topics.RX_STATUS.name and isinstance(data.get("refused"), dict):
        return f"{data['refused'].get('request')} refused"
    if topic == topics.PHARMACY_EVENTS.name:
        return f"pharmacy: {str(data.get('kind', '?')).replace('_', ' ')}"
    return EVENT_NAMES.get(topic) or str(event.get("type", "?")).removeprefix("vn.rxsim.")


def _run(data: dict[str, Any]) -> str:
    said = "stopped" if data.get("stopped") else "ended" if data.get("finished") else "started"
    refused = data.get("refused_at_edge") or 0
    tail = f", {refused} refused at the edge" if refused else ""
    return (
        f"generator run {said}: {data.get('issued', 0)} of {data.get('target')} issued "
        f"at {data.get('rate')}/s{tail}"
    )


def _audited(data: dict[str, Any]) -> str:
    event = data.get("audit_event")
    if not isinstance(event, dict):
        return "audit record without its AuditEvent"
    subtype = (event.get("subtype") or [{}])[0]
    action = subtype.get("display") or subtype.get("code") or event.get("action", "?")
    return f"{audit.who(event)} {action} {audit.what(event)}: {audit.outcome(event)}"


def summary(topic: str, event: dict[str, Any]) -> str:
    """One line a person can read, by topic."""
    data = data_of(event)
    if topic == topics.RX_ISSUED.name:
        kinds = [e.get("resource", {}).get("resourceType") for e in data.get("entry", [])]
        return f"FHIR Bundle, {kinds.count('MedicationRequest')} MedicationRequest(s)"
    if topic == topics.RX_STATUS.name and isinstance(data.get("refused"), dict):
        refused = data["refused"]
        return (
            f"{refused.get('request')} refused, stays {data.get('state')}: "
            f"{refused.get('reason_code')}: {refused.get('reason')}"
        )
    if topic == topics.RX_STATUS.name:
        moved = f"{data.get('previous_state') or '·'} → {data.get('state')}"
        why = data.get("reason") or data.get("reason_code")
        return f"{moved}: {why}" if why else moved
    if topic == topics.CITIZEN_INBOX.name:
        return f"in {data.get('patient_name')}'s app: {_items(data)}"
    if topic == topics.CITIZEN_CHOICES.name:
        where = f" to {data['address']}" if data.get("address") else ""
        return f"chose {data.get('pharmacy_id')}, {data.get('fulfilment')}{where}"
    if topic == topics.PHARMACY_ORDERS.name:
        return f"order to {data.get('pharmacy_id')} ({data.get('fulfilment')}): {_items(data)}"
    if topic == topics.PHARMACY_EVENTS.name:
        reason = f": {data['reason']}" if data.get("reason") else ""
        return f"{data.get('pharmacy_id')} {data.get('kind')}{reason}"
    if topic == topics.RX_CANCEL.name:
        # A MedicationRequest says why in statusReason; events recorded before it, in reason.
        why = (data.get("statusReason") or {}).get("text") or data.get("reason")
        return f"cancel requested: {why}"
    if topic == topics.PHARMACY_CANCELLATIONS.name:
        return f"{data.get('pharmacy_id')} asked to return it: {data.get('reason')}"
    if topic == topics.PHARMACY_ALERTS.name:
        return (
            f"{data.get('pharmacy_id')} blocked the sale of lot {data.get('lot')} of "
            f"{data.get('registration_number')}: {data.get('reason')}"
        )
    if topic == topics.COORDINATOR_DEADLINES.name:
        return f"validity deadline due {data.get('due_at')}"
    if topic == topics.HOSPITAL_RUNS.name:
        return _run(data)
    if topic == topics.RX_AUDIT.name:
        return _audited(data)
    if topic == topics.RX_DEADLETTER.name:
        where = f"{data.get('source_topic')}[{data.get('partition')}]@{data.get('offset')}"
        return f"refused by {data.get('consumer')} from {where}: {data.get('reason')}"
    return f"{event_name(topic, event)} (no summary for topic {topic})"


def about(topic: str, event: dict[str, Any], wanted: str) -> bool:
    """Whether the event belongs to `wanted`'s story: a prescription code, or a submission id
    (the id of the rx.issued event that began the story, which every event it caused carries
    as its CloudEvents `correlationid`)."""
    return wanted in (
        prescription_of(topic, event),
        event.get("correlationid"),
        event.get("id") if topic == topics.RX_ISSUED.name else None,
    )


def time_of(event: dict[str, Any]) -> datetime:
    return moment(event.get("time"))


def story(found: list[tuple[str, dict[str, Any]]]) -> list[Step]:
    """Events of one prescription (topic, envelope) in time order, each with the state after
    it: rx.status events set it, every other event shows the state known so far."""
    found = sorted(found, key=lambda pair: time_of(pair[1]))
    steps: list[Step] = []
    state: str | None = None
    for topic, event in found:
        data = data_of(event)
        changed = (
            topic == topics.RX_STATUS.name and bool(data.get("state")) and not data.get("refused")
        )
        if changed:
            state = data["state"]
        steps.append(
            Step(
                at=str(event.get("time", "?")),
                service=service_of(event),
                topic=topic,
                event=event_name(topic, event),
                summary=summary(topic, event),
                state=state,
                state_changed=changed,
            )
        )
    return steps
