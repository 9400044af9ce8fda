"""The citizen app's decisions: pure functions from (inbox, event) to what to send and which
simulated citizens to time; and why a real citizen's choice is refused."""

from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, PrescriptionAvailable, State
from services.citizen_app import inbox as decisions
from services.citizen_app.inbox import ChoiceDue, Context, Inbox
from tests.support import factories as make

from .test_citizen_behaviour import ALWAYS, NEARBY, available

CTX = Context(make.COUNTRY, ALWAYS, make.SEED)


def arrived(rx: PrescriptionAvailable) -> Envelope:
    return make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id)


def received(inbox: Inbox, rx: PrescriptionAvailable) -> tuple[Envelope, decisions.Outcome]:
    event = arrived(rx)
    return event, decisions.on_available(inbox, event, rx, CTX)


def moved_to(inbox: Inbox, rx: PrescriptionAvailable, state: State, correlation_id: str) -> None:
    event, status = make.status(
        correlation_id=correlation_id, code=rx.prescription_id, state=state, at=make.T0
    )
    decisions.on_status(inbox, event, status, CTX)


def test_a_prescription_made_available_shows_in_the_citizens_inbox() -> None:
    inbox, rx = Inbox(), available()

    event, outcome = received(inbox, rx)

    assert outcome == decisions.Outcome()  # a real citizen chooses in the app
    assert inbox.find(make.CITIZEN.cccd, rx.prescription_id) == rx
    assert inbox.correlation[rx.prescription_id] == event.correlationid
    assert inbox.view(rx)["state"] == State.AVAILABLE.value


def test_a_simulated_citizen_chooses_a_nearby_pharmacy_after_a_while() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})

    _, outcome = received(inbox, rx)

    [timer] = outcome.timers
    assert timer.then.rx == rx
    assert timer.then.choice.pharmacy_id in NEARBY
    assert timer.after == timer.then.choice.after
    assert outcome.out == []


def test_the_status_of_another_submission_with_the_same_code_is_ignored() -> None:
    inbox, rx = Inbox(), available()
    event, _ = received(inbox, rx)

    moved_to(inbox, rx, State.REJECTED, correlation_id="another-submission")
    moved_to(inbox, rx, State.ORDERED, correlation_id=event.correlationid)

    assert inbox.view(rx)["state"] == State.ORDERED.value


def test_a_simulated_choice_is_sent_while_the_prescription_is_still_available() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})
    _, outcome = received(inbox, rx)
    [timer] = outcome.timers

    sent = decisions.choice_due(inbox, timer.then, CTX)

    [choice] = sent.out
    assert (choice.prescription_id, choice.citizen_id) == (rx.prescription_id, rx.citizen_id)
    assert choice.pharmacy_id == timer.then.choice.pharmacy_id
    assert choice.fulfilment == timer.then.choice.fulfilment


def test_a_simulated_choice_is_dropped_once_the_prescription_has_moved_on() -> None:
    inbox, rx = Inbox(), available().model_copy(update={"simulated": True})
    event, outcome = received(inbox, rx)
    [timer] = outcome.timers
    moved_to(inbox, rx, State.CANCELLED, correlation_id=event.correlationid)

    assert decisions.choice_due(inbox, ChoiceDue(rx, timer.then.choice), CTX).out == []


def test_choosing_for_a_prescription_no_longer_available_is_a_conflict() -> None:
    inbox, rx = Inbox(), available()
    event, _ = received(inbox, rx)
    moved_to(inbox, rx, State.ORDERED, correlation_id=event.correlationid)

    refused = decisions.refusal(inbox, rx, NEARBY[0], Fulfilment.PICKUP, CTX)

    assert refused is not None and refused[0] == 409


def test_choosing_an_unknown_pharmacy_or_delivery_of_controlled_drugs_is_refused() -> None:
    inbox, rx = Inbox(), available(home_delivery_allowed=False)
    received(inbox, rx)

    unknown = decisions.refusal(inbox, rx, "NT-nowhere", Fulfilment.PICKUP, CTX)
    delivery = decisions.refusal(inbox, rx, NEARBY[0], Fulfilment.DELIVERY, CTX)
    pickup = decisions.refusal(inbox, rx, NEARBY[0], Fulfilment.PICKUP, CTX)

    assert unknown is not None and unknown[0] == 422 and "unknown pharmacy" in unknown[1]
    assert delivery is not None and delivery[0] == 422 and "choose pickup" in delivery[1]
    assert pickup is None
