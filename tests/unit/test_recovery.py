"""After a restart the hospital and the citizen app rebuild their state from what they read
again from the beginning; what was due is done once, and only what is still due: a generator
run goes on where rx.issued says it stopped, a planned cancellation not yet sent is sent, a
simulated citizen who has not chosen yet chooses. Pure functions and a fake publisher."""

import asyncio
from datetime import timedelta

from rxsim import fhir
from rxsim.scenario import load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, GeneratorRunRecorded, PrescriptionAvailable, State
from services.citizen_app import inbox as decisions
from services.citizen_app.inbox import Inbox
from services.hospital import runs
from services.hospital.desk import Desk
from services.hospital.generator import synthetic_prescriptions
from services.hospital.status_view import StatusView
from tests.support import factories as make

from .test_citizen_behaviour import available
from .test_citizen_inbox import CTX
from .test_hospital_desk import FakePublisher

# -- the citizen app --------------------------------------------------------------------------


def offered(inbox: Inbox, rx: PrescriptionAvailable, at: timedelta) -> decisions.Outcome:
    event = make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id, time=make.T0 + at)
    return decisions.on_available(inbox, event, rx, CTX)


def chose(inbox: Inbox, rx: PrescriptionAvailable, at: timedelta) -> None:
    choice = decisions.chosen(rx, rx.citizen_id, "any", Fulfilment.PICKUP, None)
    event = make.envelope(topics.CITIZEN_CHOICES, choice, subject=rx.prescription_id)
    decisions.on_chosen(inbox, event.model_copy(update={"time": make.T0 + at}), choice, CTX)


def test_a_replayed_offer_not_chosen_yet_is_armed_again() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})
    timers = offered(inbox, rx, timedelta(0)).timers
    assert decisions.still_pending(inbox, timers) == timers


def test_an_offer_already_chosen_or_moved_on_is_not_chosen_again() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})
    timers = offered(inbox, rx, timedelta(0)).timers
    chose(inbox, rx, timedelta(minutes=1))  # read back from citizen.choices, no status yet
    assert decisions.still_pending(inbox, timers) == []
    assert decisions.choice_due(inbox, timers[0].then, CTX).out == []

    other = Inbox()
    offered(other, rx, timedelta(0))
    event, status = make.status(
        correlation_id=other.correlation[rx.prescription_id],
        code=rx.prescription_id,
        state=State.ORDERED,
        at=make.T0 + timedelta(minutes=2),
    )
    decisions.on_status(other, event, status, CTX)
    assert decisions.still_pending(other, timers) == []


def test_a_new_offer_after_a_pharmacy_declined_is_chosen_again() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})
    offered(inbox, rx, timedelta(0))
    chose(inbox, rx, timedelta(minutes=1))
    again = rx.model_copy(update={"declined_by": ["any"]})
    timers = offered(inbox, again, timedelta(minutes=5)).timers
    assert timers and decisions.still_pending(inbox, timers) == timers


# -- the hospital -----------------------------------------------------------------------------


def own(topic: topics.Topic, data: object, subject: str, **fields: object) -> Envelope:
    event = make.envelope(topic, data, subject=subject)  # type: ignore[arg-type]
    return event.model_copy(update={"source": "rxsim/hospital", **fields})


async def test_a_rebuilt_desk_answers_for_what_was_sent_before() -> None:
    desk = Desk(load("pilot"), FakePublisher(), StatusView())  # type: ignore[arg-type]
    bundle = make.bundle()
    code = fhir.parse_prescription(bundle).code
    issued = own(topics.RX_ISSUED, bundle, code)
    await desk.receive(topics.RX_ISSUED, issued, bundle)
    event, status = make.status(
        correlation_id=issued.id, code=code, state=State.AVAILABLE, at=make.T0
    )
    await desk.receive(topics.RX_STATUS, event, status)
    await desk.recover()
    assert desk.view.submissions[issued.id].as_dict()["state"] == "AVAILABLE"
    assert desk.view.by_code(code) is desk.view.submissions[issued.id]
    assert desk.publisher.sent == []  # type: ignore[attr-defined]  # nothing was due


async def test_a_run_not_ended_goes_on_from_what_it_issued() -> None:
    scenario = load("pilot")
    desk = Desk(scenario, FakePublisher(), StatusView())  # type: ignore[arg-type]
    record = GeneratorRunRecorded(run_id="run-1", target=6, rate=1_000.0, started_at=make.T0)
    await desk.receive(topics.HOSPITAL_RUNS, own(topics.HOSPITAL_RUNS, record, "run-1"), record)
    codes = [fhir.prescription_code(b) for b in synthetic_prescriptions(scenario, 6)]
    issuable = [c for c in codes if c is not None]
    for i, code in enumerate(issuable[:2]):  # two were issued before the restart
        event = own(topics.RX_ISSUED, {}, str(code), id=f"sub-{i}", causationid="run-1")
        await desk.receive(topics.RX_ISSUED, event, None)
    await desk.recover()
    run = desk.current_run
    assert run is not None and run.issued == 2
    for _ in range(200):
        if run.finished:
            break
        await asyncio.sleep(0.01)
    sent = desk.publisher.sent  # type: ignore[attr-defined]
    again = [key for topic, key, *_ in sent if topic == topics.RX_ISSUED.name]
    assert again == issuable[2:]  # the rest, none of the first two again
    assert (run.finished, run.issued + run.refused_at_edge) == (True, 6)
    assert sent[-1][2].finished  # the run's end recorded


def test_planned_cancellations_not_sent_are_due_from_their_issue() -> None:
    scenario = load("pilot")
    behaviour = scenario.behaviour.model_copy(update={"cancel_share": 1.0})
    book, view = runs.RunBook(), StatusView()
    for sid in ("a", "b", "c"):
        book.issued("run-1", sid, f"code-{sid}", make.T0)
        view.submitted(sid, f"code-{sid}", make.T0)
    book.cancel_sent.add("b")  # sent before the restart
    event, status = make.status(correlation_id="c", code="code-c", state=State.EXPIRED, at=make.T0)
    view.apply(event, status)  # ended: nothing left to cancel
    [due] = runs.cancels_due(book, view, scenario.seed, behaviour, scenario.clock)
    after = runs.planned_cancel(scenario.seed, behaviour, "a")
    assert after is not None
    expected = make.T0 + timedelta(seconds=scenario.clock.real_seconds(after))
    assert (due.submission_id, due.prescription_id, due.due_at) == ("a", "code-a", expected)
