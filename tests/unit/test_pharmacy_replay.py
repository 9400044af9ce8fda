"""The pharmacy under redelivery and expiry: an order or cancellation delivered again changes
nothing (by event id, and by what the book already holds), and a prescription whose validity
is over, or that the coordinator cancelled on expiry, is returned, never dispensed."""

from dataclasses import replace
from datetime import timedelta

from schemas import topics
from schemas.events import Fulfilment, OrderCancellationRequested, OrderPlaced
from services.pharmacy import orders
from services.pharmacy.book import Context, OrderBook, Outcome, Prepared
from tests.support import factories as make

from .test_pharmacy_orders import (
    AMOX,
    AMOXICILLIN,
    CLEAN,
    PARA,
    PARACETAMOL,
    accept,
    an_order,
    cancellation,
    context,
    kinds,
    placed,
    prepared,
    reports,
)

STOCK = {AMOX: 100.0, PARA: 100.0}


def valid_until(order: OrderPlaced, hours: float) -> OrderPlaced:
    return order.model_copy(update={"valid_until": make.T0 + timedelta(hours=hours)})


def later(hours: float) -> Context:
    return replace(context(CLEAN), now=make.T0 + timedelta(hours=hours))


# --- the same order again -----------------------------------------------------------------


def test_an_order_delivered_again_after_its_sale_is_not_taken_again() -> None:
    # Given an order accepted, dispensed and handed over here
    book, order = OrderBook(), an_order(Fulfilment.DELIVERY)
    event = placed(order)
    orders.take_order(book, event, order, STOCK, context())
    assert kinds(prepared(book, order)) == ["dispensed", "out_for_delivery"]
    # When the same event is delivered again (a replay of pharmacy.orders)
    again = orders.take_order(book, event, order, {AMOX: 70.0, PARA: 80.0}, context())
    # Then no stock is taken and nothing is reported or timed
    assert again == Outcome()
    assert order.prescription_id not in book.in_hand


def test_an_order_delivered_again_while_it_is_prepared_is_not_taken_again() -> None:
    book, order = OrderBook(), an_order()
    event = placed(order)
    orders.take_order(book, event, order, STOCK, context())
    holding = book.in_hand[order.prescription_id]

    again = orders.take_order(book, event, order, {AMOX: 70.0, PARA: 80.0}, context())

    assert again == Outcome()
    assert book.in_hand[order.prescription_id] is holding


def test_the_same_order_under_a_new_event_id_is_not_taken_again() -> None:
    # Given an order this pharmacy took and sold
    book, order = OrderBook(), an_order()
    accept(book, order)
    prepared(book, order)
    # When an order asking for the same again arrives in another event
    again = accept(book, order, {AMOX: 70.0, PARA: 80.0})
    # Then it is known by what it asks for, and changes nothing
    assert again == Outcome()


def test_an_order_for_the_rest_after_a_partial_sale_is_taken() -> None:
    # Given a partial sale here: all the amoxicillin, 5 of 20 paracetamol
    book, order = OrderBook(), an_order()
    accept(book, order, {AMOX: 100.0, PARA: 5.0})
    prepared(book, order)
    # When the citizen orders the rest here once the pharmacy has more
    rest = make.order(make.item(PARACETAMOL, 15))
    outcome = accept(book, rest, {AMOX: 70.0, PARA: 50.0})
    # Then it is a new order, accepted
    assert kinds(outcome) == ["accepted"]
    assert outcome.stock == {order.pharmacy_id: {AMOX: 70.0, PARA: 35.0}}


def test_an_order_declined_may_be_placed_again_when_stock_came_in() -> None:
    book, order = OrderBook(), make.order(make.item(AMOXICILLIN, 30))
    assert kinds(accept(book, order, {AMOX: 0.0})) == ["declined"]

    assert kinds(accept(book, order, {AMOX: 100.0})) == ["accepted"]


# --- the same cancellation again ----------------------------------------------------------


def test_a_cancellation_and_its_order_delivered_again_return_nothing_twice() -> None:
    # Given a cancellation that overtook its order, which was then returned
    book, order = OrderBook(), an_order()
    cancel = cancellation(order)
    orders.cancel_order(book, *cancel, {}, context())
    event = placed(order)
    assert kinds(orders.take_order(book, event, order, STOCK, context())) == ["returned"]
    # When both are delivered again
    again = [
        orders.cancel_order(book, *cancel, {}, context()),
        orders.take_order(book, event, order, STOCK, context()),
    ]
    # Then nothing is returned a second time, and nothing is remembered to return later
    assert again == [Outcome(), Outcome()]
    assert book.cancelled_before_order == set()


def test_a_cancellation_delivered_again_after_the_return_puts_nothing_back() -> None:
    book, order = OrderBook(), an_order()
    accept(book, order)
    cancel = cancellation(order)
    orders.cancel_order(book, *cancel, {AMOX: 70.0, PARA: 80.0}, context())
    prepared(book, order)

    again = orders.cancel_order(book, *cancel, {AMOX: 100.0, PARA: 100.0}, context())

    assert again == Outcome()
    assert book.cancelled_before_order == set()


# --- expiry -------------------------------------------------------------------------------


def test_an_order_arriving_after_its_validity_is_returned_and_takes_no_stock() -> None:
    book, order = OrderBook(), valid_until(an_order(), hours=1)

    outcome = orders.take_order(book, placed(order), order, STOCK, later(hours=2))

    [returned] = reports(outcome)
    assert returned.kind == "returned"
    assert returned.reason is not None and "validity" in returned.reason
    assert (outcome.stock, outcome.timers) == ({}, [])
    assert order.prescription_id not in book.in_hand


def test_an_order_whose_validity_ends_while_it_is_prepared_is_returned_not_dispensed() -> None:
    # Given an order accepted an hour before its validity ends (the pharmacy then paused)
    book, order = OrderBook(), valid_until(an_order(Fulfilment.DELIVERY), hours=1)
    orders.take_order(book, placed(order), order, STOCK, context())
    holding = book.in_hand[order.prescription_id]
    # When preparation finishes after the validity is over
    outcome = orders.finish_preparing(book, Prepared(holding), later(hours=2))
    # Then it is returned, never dispensed or handed to a courier, and its units go back
    assert kinds(outcome) == ["returned"]
    assert outcome.timers == []
    assert outcome.restock == {order.pharmacy_id: {AMOX: 30.0, PARA: 20.0}}
    assert order.prescription_id not in book.sold_here


def test_an_order_prepared_in_time_is_dispensed() -> None:
    book, order = OrderBook(), valid_until(an_order(), hours=3)
    orders.take_order(book, placed(order), order, STOCK, context())

    outcome = orders.finish_preparing(book, Prepared(book.in_hand[order.prescription_id]), later(2))

    assert kinds(outcome) == ["dispensed"]
    assert outcome.restock == {}


def test_the_coordinators_expiry_cancels_an_order_being_prepared() -> None:
    # Given an order being prepared
    book, order = OrderBook(), an_order(Fulfilment.DELIVERY)
    accept(book, order)
    # When the coordinator expires the prescription and tells the pharmacy
    expiry = OrderCancellationRequested(
        prescription_id=order.prescription_id,
        pharmacy_id=order.pharmacy_id,
        reason="validity period is over",
    )
    event = make.envelope(topics.PHARMACY_CANCELLATIONS, expiry, subject=order.prescription_id)
    back = orders.cancel_order(book, event, expiry, {AMOX: 70.0, PARA: 80.0}, context())
    # Then its units go back at once, and it is returned, naming why, when preparation ends
    assert back.stock == {order.pharmacy_id: STOCK}
    done = prepared(book, order)
    [returned] = reports(done)
    assert returned.kind == "returned"
    assert returned.reason is not None and "validity period is over" in returned.reason
    assert done.timers == []
