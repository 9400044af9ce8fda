"""Views built from rx.status under redelivery: the citizen app's and the hospital's. An older
status (replayed, or a late copy) never overwrites a newer one, so a delivered prescription
never shows as available again and cannot be chosen again."""

from datetime import timedelta

import pytest

from rxsim.domain.states import supersedes
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, State, StatusChanged
from services.citizen_app import inbox as decisions
from services.citizen_app.inbox import Inbox
from services.hospital.status_view import StatusView
from tests.support import factories as make

from .test_citizen_behaviour import NEARBY, available
from .test_citizen_inbox import CTX

S = State
STORY = [S.VALIDATED, S.AVAILABLE, S.ORDERED, S.ACCEPTED, S.DISPENSED, S.OUT_FOR_DELIVERY]
DELIVERED_STORY = [*STORY, S.DELIVERED]


def story(correlation_id: str, states: list[State]) -> list[tuple[Envelope, StatusChanged]]:
    """The statuses of one prescription as published, a minute apart."""
    return [
        make.status(
            correlation_id=correlation_id,
            code="01001abcdefg-c",
            state=state,
            at=make.T0 + timedelta(minutes=minute),
        )
        for minute, state in enumerate(states)
    ]


# --- the rule -----------------------------------------------------------------------------


def test_a_later_status_supersedes_and_an_earlier_or_repeated_one_does_not() -> None:
    t = make.T0
    assert supersedes(S.AVAILABLE, t, S.ORDERED, t + timedelta(seconds=1))
    assert not supersedes(S.ORDERED, t, S.AVAILABLE, t - timedelta(seconds=1))
    assert not supersedes(S.ORDERED, t, S.ORDERED, t)  # the same status again


def test_of_two_statuses_at_the_same_instant_the_state_machine_decides() -> None:
    assert supersedes(S.VALIDATED, make.T0, S.AVAILABLE, make.T0)
    assert not supersedes(S.AVAILABLE, make.T0, S.VALIDATED, make.T0)


@pytest.mark.parametrize("end", [S.DELIVERED, S.PICKED_UP, S.CANCELLED, S.EXPIRED, S.REJECTED])
def test_nothing_supersedes_a_terminal_state(end: State) -> None:
    assert not supersedes(end, make.T0, S.AVAILABLE, make.T0 + timedelta(days=1))


# --- the citizen app ----------------------------------------------------------------------


def delivered_in_the_app() -> tuple[Inbox, list[tuple[Envelope, StatusChanged]]]:
    inbox, rx = Inbox(), available()
    offer = make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id)
    decisions.on_available(inbox, offer, rx, CTX)
    statuses = story(offer.correlationid, DELIVERED_STORY)
    for event, status in statuses:
        decisions.on_status(inbox, event, status, CTX)
    assert inbox.view(rx)["state"] == S.DELIVERED.value
    return inbox, statuses


def test_replayed_statuses_never_move_a_delivered_prescription_back_in_the_app() -> None:
    # Given a prescription the citizen sees as delivered
    inbox, statuses = delivered_in_the_app()
    rx = available()
    # When rx.status is delivered again, newest first (the app ends on an old status)
    for event, status in reversed(statuses):
        decisions.on_status(inbox, event, status, CTX)
    # Then it still shows as delivered, and a choice for it is refused
    assert inbox.view(rx)["state"] == S.DELIVERED.value
    refused = decisions.refusal(inbox, rx, NEARBY[0], Fulfilment.PICKUP, CTX)
    assert refused is not None and refused[0] == 409


def test_an_older_status_in_a_new_event_does_not_overwrite_a_newer_one() -> None:
    inbox, rx = Inbox(), available()
    offer = make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id)
    decisions.on_available(inbox, offer, rx, CTX)
    ordered, available_again = story(offer.correlationid, [S.ORDERED, S.AVAILABLE])
    late_copy = make.status(
        correlation_id=offer.correlationid, code=rx.prescription_id, state=S.ORDERED, at=make.T0
    )

    for event, status in [ordered, available_again, late_copy]:
        decisions.on_status(inbox, event, status, CTX)

    assert inbox.view(rx)["state"] == S.AVAILABLE.value


def test_a_replayed_offer_does_not_start_a_simulated_choice_again() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})
    offer = make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id)
    first = decisions.on_available(inbox, offer, rx, CTX)
    assert first.timers

    again = decisions.on_available(inbox, offer, rx, CTX)

    assert again == decisions.Outcome()


# --- the hospital -------------------------------------------------------------------------


def test_replayed_statuses_never_move_a_submission_back_in_the_hospitals_view() -> None:
    view = StatusView()
    statuses = story("submission-1", DELIVERED_STORY)
    view.submitted("submission-1", "01001abcdefg-c", make.T0)
    for event, status in statuses:
        view.apply(event, status)

    for event, status in reversed(statuses):
        view.apply(event, status)
    late_copy = make.status(
        correlation_id="submission-1", code="01001abcdefg-c", state=S.AVAILABLE, at=make.T0
    )
    view.apply(*late_copy)

    submission = view.submissions["submission-1"]
    assert submission.state == S.DELIVERED.value
    assert [step["state"] for step in submission.history] == [s.value for s in DELIVERED_STORY]
