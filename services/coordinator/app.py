"""Coordinator process (faust-streaming): the national hub every prescription passes through.

Reads:  rx.issued, rx.cancel, citizen.choices, pharmacy.events, coordinator.deadlines
Writes: rx.status, citizen.inbox, pharmacy.orders, coordinator.deadlines, rx.deadletter
State:  table `prescriptions` (prescription id -> PrescriptionRecord), changelog-backed.
"""

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException

from rxsim.domain.states import TERMINAL
from rxsim.messaging import streams
from rxsim.messaging.settings import get_settings
from rxsim.scenario import load
from schemas import topics
from schemas.events import DeadlineReached
from services.coordinator.handlers import Context, context_for, due_for_expiry, handle
from services.coordinator.record import PrescriptionRecord, expiry_of

SERVICE = "coordinator"
READS = (
    topics.RX_ISSUED,
    topics.RX_CANCEL,
    topics.CITIZEN_CHOICES,
    topics.PHARMACY_EVENTS,
    topics.COORDINATOR_DEADLINES,
)
WRITES = (
    topics.RX_STATUS,
    topics.CITIZEN_INBOX,
    topics.PHARMACY_ORDERS,
    topics.COORDINATOR_DEADLINES,
    topics.RX_DEADLETTER,
)

log = logging.getLogger(__name__)
settings = get_settings()
scenario = load(settings.scenario, settings.speedup)
app = streams.make_app(SERVICE, settings)
prescriptions = app.Table(
    "prescriptions", key_type=str, value_type=dict, default=None, partitions=settings.partitions
)
_deadline_sent: dict[str, float] = {}
BASE_CONTEXT = context_for(scenario)


def context() -> Context:
    return replace(BASE_CONTEXT, now=datetime.now(UTC))


def stored(prescription_id: str) -> PrescriptionRecord | None:
    raw = prescriptions.get(prescription_id)
    return PrescriptionRecord.model_validate(raw) if raw else None


@app.agent(streams.inbound(app, READS))
async def coordinate(stream: Any) -> None:
    async for event in stream.events():
        decoded = await streams.decode_or_dead_letter(app, SERVICE, event)
        if decoded is None:
            continue
        envelope, data = decoded
        try:
            outcome = handle(
                event.message.topic, stored(envelope.subject), envelope, data, context()
            )
        except Exception as exc:  # a bug must not stop the pipeline: park the message
            log.exception("handler failed")
            await streams.park(app, SERVICE, event, f"handler error: {exc!r}")
            continue
        if outcome.note:
            log.info("%s %s: %s", envelope.type, envelope.subject, outcome.note)
        if outcome.record is not None:
            prescriptions[envelope.subject] = outcome.record.model_dump(mode="json")
        for out in outcome.out:
            await streams.publish(
                app, SERVICE, out.topic, out.key, out.data, out.correlation_id, out.causation_id
            )


@app.timer(interval=0.5)
async def send_deadlines() -> None:
    """Tables change only inside a stream, so expiry is a command sent to our own topic."""
    now, tick = datetime.now(UTC), time.monotonic()
    for key, raw in list(prescriptions.items()):
        if not raw:
            continue
        expiry = expiry_of(raw)
        if not due_for_expiry(expiry, now):
            if expiry.state in TERMINAL:
                _deadline_sent.pop(key, None)  # remember only what may still expire
            continue
        if tick - _deadline_sent.get(key, 0.0) < 5.0:
            continue  # sent recently; its event is on its way
        _deadline_sent[key] = tick
        assert expiry.valid_until is not None
        data = DeadlineReached(prescription_id=key, due_at=expiry.valid_until)
        await streams.publish(
            app, SERVICE, topics.COORDINATOR_DEADLINES, key, data, raw["correlation_id"], None
        )


api = FastAPI(
    title="rxsim coordinator",
    version="0.1.0",
    description="The national health-data coordinator: prescription state and history.",
)
streams.add_health(api, app)


@api.get("/prescriptions/{prescription_id}", tags=["prescriptions"])
async def read_prescription(prescription_id: str) -> dict[str, Any]:
    """The prescription's current state and its whole history with timestamps."""
    record = stored(prescription_id)
    if record is None:
        raise HTTPException(404, f"no prescription {prescription_id!r} at the coordinator")
    return record.model_dump(mode="json", exclude={"medication_requests", "seen_events"})


@api.get("/stats", tags=["prescriptions"])
async def read_stats() -> dict[str, Any]:
    """How many prescriptions are in each state."""
    counts: dict[str, int] = {}
    for raw in prescriptions.values():
        if raw:
            counts[raw["state"]] = counts.get(raw["state"], 0) + 1
    return {"by_state": counts, "total": sum(counts.values())}


streams.serve(app, api, settings, SERVICE)
