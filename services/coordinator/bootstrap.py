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

from rxsim.messaging import stalls, streams
from rxsim.messaging.codec import MessageTooLarge
from rxsim.messaging.settings import Settings
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.events import DeadlineReached
from services.coordinator.api import make_api
from services.coordinator.context import Context, context_for
from services.coordinator.expiries import reminders
from services.coordinator.handlers import handle
from services.coordinator.store import PrescriptionStore

SERVICE = "coordinator"
log = logging.getLogger(__name__)
# Events that name a prescription and come from others than the hospital.
ABOUT_ISSUED = frozenset(
    t.name for t in (topics.CITIZEN_CHOICES, topics.RX_CANCEL, topics.PHARMACY_EVENTS)
)
ISSUE_WAIT_S = 60.0


def waits_for_its_issue(topic_name: str, issues_waiting: bool, waited: float) -> bool:
    """Whether an event about a prescription the coordinator does not know must wait, having
    waited `waited` seconds, while issues it has not handled are waiting on rx.issued.

    The coordinator reads its topics side by side, so an event can come before the issue of
    the prescription it names: after a restart (killed after publishing what an issue decided
    but before storing it, it handles that issue again) or while it is behind on rx.issued. Such
    an event waits for the issue, for ISSUE_WAIT_S at most, instead of being dropped as
    unknown."""
    return topic_name in ABOUT_ISSUED and issues_waiting and waited < ISSUE_WAIT_S


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> faust.App:
    """The coordinator's faust app with its agent, timer and web API, ready to run."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    app = streams.make_app(SERVICE, settings)
    store = PrescriptionStore.in_app(app, settings.partitions)
    progress = stalls.Progress()  # where handling stands, per partition
    streams.watch_for_stalls(app, progress)
    base_context = context_for(scenario)

    def context() -> Context:
        return replace(base_context, now=datetime.now(UTC))

    waiting_since: dict[tuple[str, int, int], float] = {}  # an event's place -> since when

    @app.agent(streams.inbound(app, topics.reads_of(SERVICE)))
    async def coordinate(stream: Any) -> None:
        await streams.each_in_order(app, stream, progress, coordinate_one)

    async def coordinate_one(event: Any) -> bool:
        """Decide; check that every event and the record can be carried; publish and wait
        until the broker has it; only then store the record (see streams.deliver for why).
        False: not yet (see `waits_for_its_issue`)."""
        decoded = await streams.decode_or_dead_letter(app, SERVICE, event)
        if decoded is None:
            return True
        envelope, data = decoded
        record = store.get(envelope.subject)
        if record is None:
            message = event.message
            place = (message.topic, message.partition, message.offset)
            waited = time.monotonic() - waiting_since.setdefault(place, time.monotonic())
            behind = streams.behind_on(app, progress, topics.RX_ISSUED)
            if waits_for_its_issue(message.topic, behind, waited):
                return False
            waiting_since.pop(place)
        try:
            outcome = handle(event.message.topic, record, envelope, data, context())
        except Exception as exc:  # a bug must not stop the pipeline: park the message
            log.exception("handler failed")
            await streams.park(app, SERVICE, event, f"handler error: {exc!r}")
            return True
        if outcome.note:
            log.info("%s %s: %s", envelope.type, envelope.subject, outcome.note)
        try:
            ready = streams.prepare_caused(SERVICE, envelope.id, outcome.out)
            encoded = store.encode(outcome.record) if outcome.record is not None else None
        except MessageTooLarge as exc:  # never a crash: park what led to it
            log.error("%s %s: %s", envelope.type, envelope.subject, exc)
            await streams.park(app, SERVICE, event, f"outcome too large: {exc}")
            return True
        await streams.deliver(app, ready)
        if outcome.record is not None and encoded is not None:
            store.put(envelope.subject, outcome.record, encoded)
        return True

    deadline_sent: dict[str, float] = {}  # id -> when its last deadline was sent (monotonic)

    @app.timer(interval=0.5)
    async def send_deadlines() -> None:
        """Tables change only inside a stream, so expiry is a command sent to our own topic."""
        due = store.due(datetime.now(UTC))
        for key, expiry in reminders(due, deadline_sent, time.monotonic()):
            assert expiry.valid_until is not None
            data = DeadlineReached(prescription_id=key, due_at=expiry.valid_until)
            deadline = streams.prepare(
                SERVICE, topics.COORDINATOR_DEADLINES, key, data, expiry.correlation_id, None
            )
            await streams.send(app, deadline)  # a new id each time: a repeat is a new reminder

    streams.serve(app, make_api(app, store), settings, SERVICE)
    return app
