"""The coordinator's composition root: the national hub every prescription passes through.

`bootstrap(settings)` wires the faust app, its `prescriptions` table (prescription id ->
PrescriptionRecord, changelog-backed), the agent that applies `handlers.handle` to every event
the coordinator reads, the expiry timer and the HTTP API. Importing this module starts
nothing. What the coordinator reads and writes is declared once, in schemas/topics.py.
"""

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import faust

from rxsim.domain.states import TERMINAL
from rxsim.messaging import stalls, streams
from rxsim.messaging.codec import MessageTooLarge
from rxsim.messaging.settings import Settings
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.events import DeadlineReached
from services.coordinator.api import make_api
from services.coordinator.context import Context, context_for
from services.coordinator.handlers import due_for_expiry, handle
from services.coordinator.store import PrescriptionStore

SERVICE = "coordinator"
log = logging.getLogger(__name__)


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> faust.App:
    """The coordinator's faust app with its agent, timer and web API, ready to run."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    app = streams.make_app(SERVICE, settings)
    store = PrescriptionStore(app, settings.partitions)
    progress = stalls.Progress()  # where handling stands, per partition
    streams.watch_for_stalls(app, progress)
    base_context = context_for(scenario)

    def context() -> Context:
        return replace(base_context, now=datetime.now(UTC))

    @app.agent(streams.inbound(app, topics.reads_of(SERVICE)))
    async def coordinate(stream: Any) -> None:
        async for event in streams.in_order(app, stream, progress):
            await coordinate_one(event)

    async def coordinate_one(event: Any) -> None:
        """Decide; check that every event and the record can be carried; publish and wait
        until the broker has it; only then store the record (see streams.deliver for why)."""
        decoded = await streams.decode_or_dead_letter(app, SERVICE, event)
        if decoded is None:
            return
        envelope, data = decoded
        try:
            outcome = handle(
                event.message.topic, store.get(envelope.subject), envelope, data, context()
            )
        except Exception as exc:  # a bug must not stop the pipeline: park the message
            log.exception("handler failed")
            await streams.park(app, SERVICE, event, f"handler error: {exc!r}")
            return
        if outcome.note:
            log.info("%s %s: %s", envelope.type, envelope.subject, outcome.note)
        try:
            ready = streams.prepare_caused(SERVICE, envelope.id, outcome.out)
            record = store.encode(outcome.record) if outcome.record is not None else None
        except MessageTooLarge as exc:  # never a crash: park what led to it
            log.error("%s %s: %s", envelope.type, envelope.subject, exc)
            await streams.park(app, SERVICE, event, f"outcome too large: {exc}")
            return
        await streams.deliver(app, ready)
        if record is not None:
            store.put(envelope.subject, record)

    deadline_sent: dict[str, float] = {}

    @app.timer(interval=0.5)
    async def send_deadlines() -> None:
        """Tables change only inside a stream, so expiry is a command sent to our own topic."""
        now, tick = datetime.now(UTC), time.monotonic()
        for key, expiry in store.expiries():
            if not due_for_expiry(expiry, now):
                if expiry.state in TERMINAL:
                    deadline_sent.pop(key, None)  # remember only what may still expire
                continue
            if tick - deadline_sent.get(key, 0.0) < 5.0:
                continue  # sent recently; its event is on its way
            deadline_sent[key] = tick
            assert expiry.valid_until is not None
            data = DeadlineReached(prescription_id=key, due_at=expiry.valid_until)
            deadline = streams.prepare(
                SERVICE, topics.COORDINATOR_DEADLINES, key, data, expiry.correlation_id, None
            )
            await streams.send(app, deadline)  # a new id each time: a repeat is a new reminder

    streams.serve(app, make_api(app, store), settings, SERVICE)
    return app
