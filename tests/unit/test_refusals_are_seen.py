"""A request the coordinator refuses is seen by whoever asked: the hospital's submission shows
the refused cancellation, the citizen's prescription the refused choice, and the ledger and
`rxsim trace` count and tell it; none of them takes it for a move of the prescription."""

from rxsim.messaging.outgoing import Outgoing
from rxsim.tools import story
from rxsim.tools.ledger import Ledger
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, State, StatusChanged
from services.citizen_app import inbox as decisions
from services.citizen_app.inbox import Inbox
from services.coordinator import handlers
from services.hospital.status_view import StatusView
from tests.support import factories as make

from .test_citizen_behaviour import available
from .test_citizen_inbox import CTX, received


def published(out: Outgoing) -> tuple[Envelope, StatusChanged]:
    """An rx.status event as the coordinator publishes it."""
    assert isinstance(out.data, StatusChanged)
    event = make.envelope(
        topics.RX_STATUS, out.data, subject=out.key, correlation_id=out.correlation_id
    )
    return event, out.data


def refused_cancellation() -> tuple[str, str, Envelope, StatusChanged]:
    record = make.record_in(State.DISPENSED, fulfilment=Fulfilment.PICKUP)
    cancel_event, request = make.cancel(record.prescription_id)
    [out] = handlers.on_cancel(record, cancel_event, request, make.context()).out
    return record.correlation_id, cancel_event.id, *published(out)


def test_the_hospital_sees_its_refused_cancellation_with_the_reason() -> None:
    submission_id, cancel_id, event, status = refused_cancellation()
    view = StatusView()
    view.submitted(submission_id, status.prescription_id, make.T0)

    view.apply(event, status)
    view.apply(event, status)  # delivered twice, shown once

    shown = view.submissions[submission_id].as_dict()
    assert shown["state"] == "SUBMITTED"  # no move was reported
    [refused] = shown["refused"]
    assert (refused["request"], refused["event_id"], refused["reason_code"]) == (
        "cancel",
        cancel_id,
        "CANCEL_TOO_LATE",
    )
    assert "too late" in refused["reason"]


def test_the_citizen_sees_the_refused_choice_and_the_state_stays() -> None:
    # Given a prescription in the citizen's app, already ordered from a pharmacy
    record = make.record_in(State.ORDERED)
    inbox = Inbox()
    rx = available().model_copy(update={"prescription_id": record.prescription_id})
    offered, _ = received(inbox, rx)
    record.correlation_id = offered.correlationid
    # When the coordinator refuses a second choice
    choice_event, choice = make.choice(record.prescription_id, pharmacy_id=make.PHARMACY_B)
    [out] = handlers.on_choice(record, choice_event, choice, make.context()).out
    event, status = published(out)

    decisions.on_status(inbox, event, status, CTX)

    # Then the citizen sees it, and the state they last heard of stays
    view = inbox.view(rx)
    assert view["state"] == State.AVAILABLE.value  # unchanged: no status move was heard
    assert view["refused"]["request"] == "choice"
    assert view["refused"]["reason_code"] == "CHOICE_NOT_APPLICABLE"
    assert view["refused"]["event_id"] == choice_event.id


def test_the_ledger_counts_refusals_apart_from_the_steps() -> None:
    submission_id, _, event, status = refused_cancellation()
    ledger = Ledger()

    ledger.status(event, status)

    assert ledger.refused == {"cancel CANCEL_TOO_LATE": 1}
    assert ledger.stories[submission_id].steps == []


def test_trace_tells_the_refusal_without_a_change_of_state() -> None:
    _, _, event, _ = refused_cancellation()
    raw = event.model_dump(mode="json")

    [step] = story.story([(topics.RX_STATUS.name, raw)])

    assert not step.state_changed
    assert step.summary.startswith("cancel refused, stays DISPENSED: CANCEL_TOO_LATE: ")
