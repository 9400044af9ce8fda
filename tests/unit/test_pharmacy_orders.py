"""The pharmacy's order lifecycle: pure functions from (order book, event or timer, stock) to
what to publish, what stock to store and which timers to start. Accept, decline, partial
sale, cancellation at every point, a forbidden lot, and the hand-over after dispensing."""

from datetime import timedelta

from rxsim.domain.reference.catalog import BATCH_BY_LOT
from rxsim.domain.reference.country import DRUGS
from rxsim.fhir import signing
from rxsim.scenario import Behaviour
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CounterfeitSuspected,
    Fulfilment,
    OrderCancellationRequested,
    OrderPlaced,
    PharmacyUpdated,
)
from services.pharmacy import domain, orders
from services.pharmacy.book import (
    CitizenCollects,
    Context,
    CourierArrives,
    OrderBook,
    Outcome,
    Prepared,
)
from services.pharmacy.domain import CourierTrip, Stock
from tests.support import factories as make

AMOXICILLIN, PARACETAMOL = DRUGS[:2]
AMOX, PARA = AMOXICILLIN.registration_number, PARACETAMOL.registration_number
CLEAN = Behaviour(suspicious_stock_share=0.0, courier_failure_rate=0.0)


def context(behaviour: Behaviour = CLEAN, seed: int = make.SEED) -> Context:
    return Context(
        now=make.T0, seed=seed, behaviour=behaviour, keys=signing.coordinator_keys(make.SEED)
    )


def an_order(fulfilment: Fulfilment = Fulfilment.PICKUP, simulated: bool = False) -> OrderPlaced:
    order = make.order(make.item(AMOXICILLIN, 30), make.item(PARACETAMOL, 20))
    return order.model_copy(update={"fulfilment": fulfilment, "simulated": simulated})


def placed(order: OrderPlaced) -> Envelope:
    return make.envelope(topics.PHARMACY_ORDERS, order, subject=order.prescription_id)


def cancellation(order: OrderPlaced) -> tuple[Envelope, OrderCancellationRequested]:
    request = OrderCancellationRequested(
        prescription_id=order.prescription_id, pharmacy_id=order.pharmacy_id, reason="sai liều"
    )
    event = make.envelope(topics.PHARMACY_CANCELLATIONS, request, subject=order.prescription_id)
    return event, request


def reports(outcome: Outcome) -> list[PharmacyUpdated]:
    updates = [out.data for out in outcome.out if out.topic == topics.PHARMACY_EVENTS]
    assert all(isinstance(update, PharmacyUpdated) for update in updates)
    return updates  # type: ignore[return-value]


def kinds(outcome: Outcome) -> list[str]:
    return [update.kind for update in reports(outcome)]


def accept(book: OrderBook, order: OrderPlaced, stock: Stock | None = None) -> Outcome:
    stock = {AMOX: 100.0, PARA: 100.0} if stock is None else stock
    return orders.take_order(book, placed(order), order, stock, context())


def holds_nothing(book: OrderBook) -> bool:
    """No order held, waiting or remembered (the ids of handled events aside)."""
    return (book.in_hand, book.cancelled_before_order, book.sold_here, book.awaiting_pickup) == (
        {},
        set(),
        set(),
        {},
    )


def prepared(book: OrderBook, order: OrderPlaced) -> Outcome:
    return orders.finish_preparing(book, Prepared(book.in_hand[order.prescription_id]), context())


# --- taking an order ----------------------------------------------------------------------


def test_an_order_in_stock_is_accepted_takes_the_stock_and_starts_preparing() -> None:
    # Given a pharmacy with enough of both drugs
    book, order = OrderBook(), an_order()
    event = placed(order)
    # When it takes the order
    outcome = orders.take_order(book, event, order, {AMOX: 100.0, PARA: 100.0}, context())
    # Then it reports `accepted` keyed by the prescription, in the order's correlation
    [out] = outcome.out
    assert (out.topic, out.key, out.correlation_id) == (
        topics.PHARMACY_EVENTS,
        order.prescription_id,
        event.correlationid,
    )
    assert kinds(outcome) == ["accepted"]
    # And stores the stock with the sale taken out, and holds the order while preparing it
    assert outcome.stock == {order.pharmacy_id: {AMOX: 70.0, PARA: 80.0}}
    holding = book.in_hand[order.prescription_id]
    assert holding.selling == {AMOX: 30.0, PARA: 20.0}
    [timer] = outcome.timers
    assert timer.then == Prepared(holding)
    assert CLEAN.prep_minutes[0] <= timer.after.total_seconds() / 60 <= CLEAN.prep_minutes[1]


def test_an_order_out_of_stock_is_declined_naming_the_drug_and_nothing_is_held() -> None:
    book, order = OrderBook(), an_order()
    behaviour = CLEAN.model_copy(update={"partial_dispensing": False})

    outcome = orders.take_order(
        book, placed(order), order, {AMOX: 100.0, PARA: 5.0}, context(behaviour)
    )

    [declined] = reports(outcome)
    assert declined.kind == "declined"
    assert declined.reason is not None and PARACETAMOL.name in declined.reason
    assert outcome.stock == {order.pharmacy_id: {AMOX: 100.0, PARA: 5.0}}
    assert outcome.timers == []
    assert holds_nothing(book)


def test_a_pharmacy_short_of_an_item_sells_what_it_has_when_partial_sales_are_allowed() -> None:
    book, order = OrderBook(), an_order()

    outcome = accept(book, order, {AMOX: 100.0, PARA: 5.0})

    [accepted] = reports(outcome)
    assert accepted.kind == "accepted"
    assert accepted.reason is not None and "Bán một phần" in accepted.reason
    assert book.in_hand[order.prescription_id].selling == {AMOX: 30.0, PARA: 5.0}
    assert outcome.stock == {order.pharmacy_id: {AMOX: 70.0, PARA: 0.0}}
    # And the sale it reports when prepared is the part it had
    [dispensed] = reports(prepared(book, order))
    assert dispensed.sold == {AMOX: 30.0, PARA: 5.0}
    partial = [d for d in dispensed.dispenses if d.get("type")]
    assert [d["type"]["coding"][0]["code"] for d in partial] == ["PF"]


def a_seed_selling_a_recalled_lot() -> int:
    """Every lot is suspicious at share 1; half of those are recalled ones, by seed."""
    return next(
        seed
        for seed in range(200)
        if (batch := BATCH_BY_LOT.get(domain.lot_for(seed, make.PHARMACY_A, AMOX, 1.0)))
        and batch.recalled
    )


def test_a_recalled_lot_is_quarantined_alerted_and_the_order_declined() -> None:
    # Given a pharmacy whose amoxicillin comes from a recalled lot
    seed = a_seed_selling_a_recalled_lot()
    behaviour = CLEAN.model_copy(update={"suspicious_stock_share": 1.0})
    book, order = OrderBook(), make.order(make.item(AMOXICILLIN, 30))
    # When it takes an order for it
    outcome = orders.take_order(book, placed(order), order, {AMOX: 100.0}, context(behaviour, seed))
    # Then the ministry is alerted about that lot, keyed by the drug ...
    alert, _ = outcome.out
    assert (alert.topic, alert.key) == (topics.PHARMACY_ALERTS, AMOX)
    assert isinstance(alert.data, CounterfeitSuspected)
    assert BATCH_BY_LOT[alert.data.lot].recalled
    assert "thu hồi" in alert.data.reason
    # ... the order is declined, the lot's stock is set to nothing, and nothing is held
    assert kinds(outcome) == ["declined"]
    assert outcome.stock == {order.pharmacy_id: {AMOX: 0.0}}
    assert holds_nothing(book)


# --- cancelling ---------------------------------------------------------------------------


def test_a_cancellation_that_overtakes_its_order_returns_the_order_when_it_arrives() -> None:
    book, order = OrderBook(), an_order()

    cancelled = orders.cancel_order(book, *cancellation(order), {}, context())
    outcome = accept(book, order)

    assert cancelled == Outcome()
    assert kinds(outcome) == ["returned"]
    assert outcome.stock == {}
    assert outcome.timers == []
    assert holds_nothing(book)  # remembered once only


def test_cancelling_an_order_being_prepared_puts_its_stock_back_and_returns_it() -> None:
    # Given an accepted order still being prepared
    book, order = OrderBook(), an_order()
    accept(book, order)
    # When the prescriber's cancellation arrives
    outcome = orders.cancel_order(book, *cancellation(order), {AMOX: 70.0, PARA: 80.0}, context())
    # Then its units go back to stock at once ...
    assert outcome.stock == {order.pharmacy_id: {AMOX: 100.0, PARA: 100.0}}
    assert outcome.out == []
    # ... and when preparation ends it is returned, not dispensed
    done = prepared(book, order)
    [returned] = reports(done)
    assert returned.kind == "returned"
    assert returned.reason is not None and "hủy" in returned.reason
    assert done.timers == []
    assert order.prescription_id not in book.in_hand
    assert order.prescription_id not in book.sold_here


def test_a_second_cancellation_of_the_same_order_puts_nothing_back_again() -> None:
    book, order = OrderBook(), an_order()
    accept(book, order)
    orders.cancel_order(book, *cancellation(order), {AMOX: 70.0, PARA: 80.0}, context())

    again = orders.cancel_order(book, *cancellation(order), {AMOX: 100.0, PARA: 100.0}, context())

    assert again == Outcome()


def test_a_cancellation_after_the_sale_changes_nothing_so_the_sale_stands() -> None:
    # Given an order already dispensed here (the coordinator then reports it
    # CANCELLATION_TOO_LATE from the `dispensed` event)
    book, order = OrderBook(), an_order()
    accept(book, order)
    assert kinds(prepared(book, order)) == ["dispensed"]
    before = OrderBook(
        dict(book.in_hand),
        set(book.cancelled_before_order),
        set(book.sold_here),
        dict(book.awaiting_pickup),
        dict(book.handled),
        dict(book.taken),
    )
    # When the cancellation arrives
    outcome = orders.cancel_order(book, *cancellation(order), {AMOX: 70.0, PARA: 80.0}, context())
    # Then no stock comes back, nothing is published, and a later order is not returned
    assert outcome == Outcome()
    before.handled = book.handled  # the cancellation's id is remembered, nothing else
    assert book == before
    assert order.prescription_id not in book.cancelled_before_order


# --- dispensing and handing over ----------------------------------------------------------


def test_a_prepared_pickup_order_is_dispensed_and_waits_at_the_counter() -> None:
    book, order = OrderBook(), an_order(Fulfilment.PICKUP)
    event = placed(order)
    orders.take_order(book, event, order, {AMOX: 100.0, PARA: 100.0}, context())

    outcome = prepared(book, order)

    [dispensed] = reports(outcome)
    assert dispensed.kind == "dispensed"
    assert dispensed.sold == {AMOX: 30.0, PARA: 20.0}
    assert len(dispensed.dispenses) == 2
    assert all(d["resourceType"] == "MedicationDispense" for d in dispensed.dispenses)
    assert outcome.timers == []
    assert order.prescription_id in book.sold_here
    waiting = book.awaiting_pickup[order.prescription_id]
    assert (waiting.pharmacy_id, waiting.correlation_id) == (order.pharmacy_id, event.correlationid)


def test_the_citizen_collecting_at_the_counter_reports_picked_up_once() -> None:
    book, order = OrderBook(), an_order(Fulfilment.PICKUP)
    accept(book, order)
    prepared(book, order)

    wrong_pharmacy = orders.collect_at_counter(book, make.PHARMACY_B, order.prescription_id)
    outcome = orders.collect_at_counter(book, order.pharmacy_id, order.prescription_id)
    again = orders.collect_at_counter(book, order.pharmacy_id, order.prescription_id)

    assert wrong_pharmacy is None
    assert outcome is not None and kinds(outcome) == ["picked_up"]
    assert again is None


def test_a_simulated_citizen_collects_after_the_planned_delay() -> None:
    book, order = OrderBook(), an_order(Fulfilment.PICKUP, simulated=True)
    accept(book, order)

    outcome = prepared(book, order)

    [timer] = outcome.timers
    assert isinstance(timer.then, CitizenCollects)
    low, high = CLEAN.pickup_delay_minutes
    assert low <= timer.after.total_seconds() / 60 <= high
    assert book.awaiting_pickup == {}
    collected = orders.citizen_collects(book, timer.then, context())
    assert kinds(collected) == ["picked_up"]


def test_a_delivery_order_is_dispensed_and_handed_to_the_courier() -> None:
    book, order = OrderBook(), an_order(Fulfilment.DELIVERY)
    accept(book, order)

    outcome = prepared(book, order)

    assert kinds(outcome) == ["dispensed", "out_for_delivery"]
    [timer] = outcome.timers
    assert isinstance(timer.then, CourierArrives)
    arrived = orders.courier_arrives(book, timer.then, context())
    assert kinds(arrived) == ["delivered"]
    assert arrived.timers == []


def test_a_courier_who_cannot_reach_the_citizen_goes_out_again() -> None:
    # Given a courier whose first attempt fails
    order = an_order(Fulfilment.DELIVERY)
    trips = (CourierTrip(timedelta(minutes=40), False), CourierTrip(timedelta(minutes=50), True))
    # When it arrives
    outcome = orders.courier_arrives(OrderBook(), CourierArrives(order, "c-1", trips), context())
    # Then the failure is reported, the courier leaves again, and the next trip is timed
    assert kinds(outcome) == ["delivery_failed", "out_for_delivery"]
    assert "not reachable" in (reports(outcome)[0].reason or "")
    [timer] = outcome.timers
    assert timer.after == timedelta(minutes=50)
    assert timer.then == CourierArrives(order, "c-1", trips[1:])
