"""A pharmacy dispenses only what the coordinator ordered: the coordinator signs every order
and every cancellation it sends a pharmacy, and the pharmacy declines an order that is
unsigned, signed by anyone else or changed on the way, saying why, and holds nothing for it."""

from typing import Any

import pytest

from rxsim.domain.reasons import Reason
from rxsim.fhir import signing
from rxsim.messaging import codec
from rxsim.messaging.outgoing import prepare_caused
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, OrderPlaced, State, StatusChanged
from services.coordinator import handlers
from services.pharmacy import orders
from services.pharmacy.book import Context, OrderBook
from tests.support import factories as make

from .test_pharmacy_orders import AMOX, PARA, an_order, cancellation, context, kinds, reports

COORDINATOR_KEYS = signing.coordinator_keys(make.SEED)
STOCKED = {AMOX: 100.0, PARA: 100.0}


def sent(outcome: handlers.Outcome, topic: topics.Topic) -> Envelope:
    """The envelope the coordinator sends on `topic`, as the pharmacy receives it."""
    prepared = prepare_caused("coordinator", make.new_id(), outcome.out)
    [(_, _, raw)] = [p for p in prepared if p[0] == topic.name]
    envelope, _data = codec.decode(topic, raw)
    return envelope


def test_the_coordinator_signs_the_order_it_places() -> None:
    record = make.record_in(State.AVAILABLE)
    outcome = handlers.on_choice(record, *make.choice(record.prescription_id), make.context())
    order = sent(outcome, topics.PHARMACY_ORDERS)
    assert order.signature is not None
    issue = signing.verify(order.data, order.signature, COORDINATOR_KEYS, signing.COORDINATOR)
    assert issue is None


@pytest.mark.parametrize("why", ["cancel", "expire"])
def test_the_coordinator_signs_the_cancellation_it_sends_a_pharmacy(why: str) -> None:
    record = make.record_in(State.ACCEPTED)
    code = record.prescription_id
    if why == "cancel":
        outcome = handlers.on_cancel(record, *make.cancel(code), make.context())
    else:
        late = make.context(now=make.T0 + make.VALIDITY)
        outcome = handlers.on_deadline(record, *make.deadline(code), late)
    asked = sent(outcome, topics.PHARMACY_CANCELLATIONS)
    issue = signing.verify(asked.data, asked.signature, COORDINATOR_KEYS, signing.COORDINATOR)
    assert issue is None


def pharmacy(require_signatures: bool = True) -> Context:
    return Context(
        now=context().now,
        seed=make.SEED,
        behaviour=context().behaviour,
        keys=COORDINATOR_KEYS,
        require_signatures=require_signatures,
    )


def received(event: Envelope, ctx: Context | None = None, book: OrderBook | None = None) -> Any:
    """What the pharmacy does with `event` as it arrives (the order decoded from its data)."""
    order = OrderPlaced.model_validate(event.data)
    return orders.take_order(book or OrderBook(), event, order, dict(STOCKED), ctx or pharmacy())


def signed(order: OrderPlaced) -> Envelope:
    return make.envelope(topics.PHARMACY_ORDERS, order, subject=order.prescription_id)


def unsigned(order: OrderPlaced) -> Envelope:
    event = make.envelope(topics.PHARMACY_ORDERS, order, subject=order.prescription_id)
    return event.model_copy(update={"signature": None})


def changed(event: Envelope, **data: Any) -> Envelope:
    """`event` with parts of its data changed after it was signed."""
    return event.model_copy(update={"data": {**event.data, **data}})


def declined_for(outcome: Any) -> tuple[str | None, str | None]:
    [update] = reports(outcome)
    assert update.kind == "declined"
    assert not outcome.stock and not outcome.timers  # no stock taken, nothing prepared
    return update.reason_code, update.reason


def test_a_signed_order_is_accepted() -> None:
    book = OrderBook()
    assert kinds(received(signed(an_order()), book=book)) == ["accepted"]
    assert book.in_hand


def test_an_unsigned_order_is_declined_and_nothing_is_held() -> None:
    book = OrderBook()
    code, reason = declined_for(received(unsigned(an_order()), book=book))
    assert code == Reason.SIGNATURE_MISSING
    assert reason is not None and "coordinator" in reason
    assert not book.in_hand and not book.taken


def an_item_changed(event: Envelope, **item: Any) -> Envelope:
    first, *rest = event.data["items"]
    return changed(event, items=[{**first, **item}, *rest])


TAMPERING = {
    "more of a drug": lambda e: an_item_changed(e, quantity=e.data["items"][0]["quantity"] * 10),
    "another drug": lambda e: an_item_changed(e, drug_code=PARA, name="Paracetamol"),
    "another address": lambda e: changed(e, fulfilment="delivery", address="1 Phố Huế, Hà Nội"),
    "another pharmacy": lambda e: changed(e, pharmacy_id=make.PHARMACY_B),
    "another prescription": lambda e: changed(e, prescription_id="01001zzzzzzz-c"),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=list(TAMPERING))
def test_an_order_changed_after_signing_is_declined(tamper: Any) -> None:
    book = OrderBook()
    code, _ = declined_for(received(tamper(signed(an_order())), book=book))
    assert code == Reason.SIGNATURE_INVALID
    assert not book.in_hand


def signed_by(order: OrderPlaced, signer: signing.Signer) -> Envelope:
    body = order.model_dump(mode="json", exclude_none=True)
    return signed(order).model_copy(update={"signature": signer.sign(body)})


def test_an_order_signed_by_a_hospital_is_declined() -> None:
    order = an_order()
    hospital = signing.simulated_signer(make.SEED, order.prescription_id[:5])
    code, _ = declined_for(received(signed_by(order, hospital)))
    assert code == Reason.SIGNATURE_FACILITY_MISMATCH


def test_an_order_signed_with_another_stacks_coordinator_key_is_declined() -> None:
    code, _ = declined_for(received(signed_by(an_order(), signing.coordinator_signer(1))))
    assert code == Reason.SIGNATURE_UNKNOWN_KEY


def test_an_order_whose_signature_is_no_jws_is_declined() -> None:
    event = signed(an_order()).model_copy(update={"signature": "not.a.jws"})
    code, _ = declined_for(received(event))
    assert code == Reason.SIGNATURE_MALFORMED


def test_unsigned_orders_are_taken_where_the_scenario_does_not_require_signatures() -> None:
    open_pilot = pharmacy(require_signatures=False)
    assert kinds(received(unsigned(an_order()), open_pilot)) == ["accepted"]
    # a signature that is there is still checked
    tampered = TAMPERING["more of a drug"](signed(an_order()))
    code, _ = declined_for(received(tampered, open_pilot))
    assert code == Reason.SIGNATURE_INVALID


def test_a_forged_order_does_not_take_the_id_of_the_genuine_one() -> None:
    # Given a forgery sent under the id of the coordinator's order, before it
    book, genuine = OrderBook(), signed(an_order())
    forged = unsigned(an_order()).model_copy(update={"id": genuine.id})
    assert kinds(received(forged, book=book)) == ["declined"]
    # When the genuine order arrives, it is taken, not passed over as a repeat
    assert kinds(received(genuine, book=book)) == ["accepted"]


def test_a_cancellation_the_coordinator_did_not_sign_returns_nothing() -> None:
    # Given an order being prepared
    book, order = OrderBook(), an_order(Fulfilment.PICKUP)
    received(signed(order), book=book)
    # When a cancellation nobody signed arrives
    event, request = cancellation(order)
    event = event.model_copy(update={"signature": None})
    outcome = orders.cancel_order(book, event, request, {}, pharmacy())
    # Then the order stands: nothing goes back to stock, and the pharmacy says why
    assert not outcome.stock and not book.in_hand[order.prescription_id].cancelled
    assert outcome.note is not None and Reason.SIGNATURE_MISSING in outcome.note
    # And the coordinator's own cancellation is still taken
    signed_event, _ = cancellation(order)
    outcome = orders.cancel_order(book, signed_event, request, {}, pharmacy())
    assert book.in_hand[order.prescription_id].cancelled


def test_the_coordinators_order_declined_for_its_signature_goes_back_to_the_citizen() -> None:
    # Given an order the coordinator placed, changed on the way and so declined at the pharmacy
    record = make.record_in(State.AVAILABLE)
    code = record.prescription_id
    handlers.on_choice(record, *make.choice(code), make.context())
    order = an_order().model_copy(update={"prescription_id": code})
    tampered = TAMPERING["more of a drug"](signed(order))
    [update] = reports(received(tampered))
    event = make.envelope(topics.PHARMACY_EVENTS, update, subject=code)
    # When the coordinator hears of it
    outcome = handlers.on_pharmacy(record, event, update, make.context())
    # Then the prescription is not stuck: the citizen is offered it again, told why
    assert record.state == State.AVAILABLE and record.declined_by == [make.PHARMACY_A]
    [status] = [o.data for o in outcome.out if o.topic == topics.RX_STATUS]
    assert isinstance(status, StatusChanged)
    assert status.reason == update.reason and "coordinator" in (status.reason or "")
    assert [o.topic for o in outcome.out][-1] == topics.CITIZEN_INBOX
