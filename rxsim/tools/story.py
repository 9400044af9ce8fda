"""What one message means to a person: a one-line summary per event type, and one
prescription's story across topics (for `rxsim tail` and `rxsim trace`)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas import topics


@dataclass(frozen=True)
class Step:
    at: str  # the event's CloudEvents time (ISO 8601)
    service: str
    topic: str
    event_type: str
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
        return f"cancel requested: {data.get('reason')}"
    if topic == topics.COORDINATOR_DEADLINES.name:
        return f"validity deadline due {data.get('due_at')}"
    if topic == topics.RX_DEADLETTER.name:
        where = f"{data.get('source_topic')}[{data.get('partition')}]@{data.get('offset')}"
        return f"refused by {data.get('consumer')} from {where}: {data.get('reason')}"
    return str(event.get("type", "?"))


def _when(event: dict[str, Any]) -> datetime:
    try:
        at = datetime.fromisoformat(str(event.get("time")))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # no usable time: first, not lost
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def story(found: list[tuple[str, dict[str, Any]]]) -> list[Step]:
    """Events of one prescription (topic, envelope) in time order, each with the state after
    it: rx.status events set it, every other event shows the state known so far."""
    found = sorted(found, key=lambda pair: _when(pair[1]))
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
                event_type=str(event.get("type", "?")),
                summary=summary(topic, event),
                state=state,
                state_changed=changed,
            )
        )
    return steps
