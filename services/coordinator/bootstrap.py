"""The coordinator's composition root: the national hub every prescription passes through.

`bootstrap(settings)` wires the batched worker (rxsim/messaging/worker.py), its `prescriptions`
table (prescription id -> PrescriptionRecord, changelog-backed), `decide`, which applies
`handlers.handle` to every event the coordinator reads, the expiry timer and the HTTP API.
Importing this module starts nothing. What the coordinator reads and writes is declared once,
in schemas/topics.py.
"""

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from fastapi import FastAPI
from pydantic import BaseModel

from rxsim.messaging.batch import HOLD, Hold, Park
from rxsim.messaging.codec import Record
from rxsim.messaging.outgoing import Prepared, prepare, prepare_caused
from rxsim.messaging.settings import Settings
from rxsim.messaging.tables import Overlay
from rxsim.messaging.worker import Worker
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import DeadlineReached
from schemas.topics import Topic
from services.coordinator.api import make_api
from services.coordinator.context import Context, context_for
from services.coordinator.expiries import reminders
from services.coordinator.handlers import handle
from services.coordinator.issuing import older_than_kept
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


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> FastAPI:
    """The coordinator's web app, whose lifespan runs its worker and expiry timer."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    base_context = context_for(scenario)

    def context() -> Context:
        return replace(base_context, now=datetime.now(UTC))

    waiting_since: dict[tuple[str, int, int], float] = {}  # an event's place -> since when

    def decide(
        topic: Topic, event: Record, envelope: Envelope, data: BaseModel, view: Overlay
    ) -> list[Prepared] | Hold:
        """Decide one event against its prescription's record as the batch has made it so
        far; write the new record to `view` and answer what to send. Every event and the
        record are encoded here, so one that could not be carried raises MessageTooLarge
        before anything is sent or stored (the worker parks the event). HOLD: not yet (see
        `waits_for_its_issue`); the worker handles rx.issued of a batch first."""
        record = store.get(envelope.subject, view)
        place = (event.topic, event.partition, event.offset)
        if record is None and topic is topics.RX_ISSUED:
            ctx = context()
            if older_than_kept(envelope, ctx):
                raise Park(
                    f"submitted {envelope.time.isoformat()}, before what the coordinator keeps "
                    f"(its validity and [retention] days_after_validity): a replay of a "
                    f"prescription it has forgotten"
                )
        if record is None:
            waited = time.monotonic() - waiting_since.setdefault(place, time.monotonic())
            if waits_for_its_issue(event.topic, worker.behind_on(topics.RX_ISSUED), waited):
                return HOLD
        if waiting_since:
            waiting_since.pop(place, None)  # its wait is over: its issue came, or time ran out
        outcome = handle(topic.name, record, envelope, data, context())
        if outcome.note:
            log.info("%s %s: %s", envelope.type, envelope.subject, outcome.note)
        ready = prepare_caused(SERVICE, envelope.id, outcome.out)
        if outcome.record is not None:
            store.put(envelope.subject, outcome.record, view)
        return ready

    worker = Worker(
        SERVICE,
        settings,
        topics.reads_of(SERVICE),
        "prescriptions",
        decide,
        first=[topics.RX_ISSUED],
    )
    store = PrescriptionStore(
        worker.table, base_context.validity + base_context.kept_after_validity
    )
    deadline_sent: dict[str, float] = {}  # id -> when its last deadline was sent (monotonic)

    async def send_deadlines() -> None:
        """Records change only as events are handled, so expiry is a command sent to our own
        topic (and replayable)."""
        due = store.due(datetime.now(UTC))
        for key, expiry in reminders(due, deadline_sent, time.monotonic()):
            assert expiry.valid_until is not None
            data = DeadlineReached(prescription_id=key, due_at=expiry.valid_until)
            deadline = prepare(
                SERVICE, topics.COORDINATOR_DEADLINES, key, data, expiry.correlation_id, None
            )
            await worker.send(deadline)  # a new id each time: a repeat is a new reminder

    async def forget_finished() -> None:
        """Delete the finished records past their retention."""
        now = datetime.now(UTC)
        forget = partial(store.forget, now=now)
        await worker.forget(store.forgettable(now), forget, again=store.again)

    worker.every(0.5, send_deadlines)
    worker.every(1.0, forget_finished)
    return make_api(worker, store, settings.token_secret)
