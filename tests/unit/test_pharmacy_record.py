"""A pharmacy's stored orders and stock read back after a restart: the order book, stock and
scheduled steps come back as they were, so the restarted worker carries on where it stopped:
an order delivered again takes no stock twice, a cancellation reaches an order being prepared,
and every step still runs from its stored due time."""

from datetime import timedelta

from schemas.events import Fulfilment
from services.pharmacy import orders, record
from services.pharmacy.book import CitizenCollects, CourierArrives, OrderBook, Outcome, Prepared
from services.pharmacy.domain import Stock
from services.pharmacy.record import OrderRecord, Scheduled
from tests.support import factories as make

from .test_pharmacy_orders import AMOX, PARA, an_order, cancellation, context, kinds, placed

STOCK = {AMOX: 100.0, PARA: 100.0}


def restarted(before: OrderRecord) -> OrderRecord:
    """What a restarted worker reads: the record as stored in the table, decoded."""
    return record.decode(record.encode(before))


def restocked(before: Stock) -> Stock:
    return record.decode_stock(record.encode_stock(before))


def taken(fulfilment: Fulfilment = Fulfilment.PICKUP) -> tuple[OrderRecord, Stock]:
    """A pharmacy that accepted an order and stored what the decision said."""
    book, order = OrderBook(), an_order(fulfilment)
    outcome = orders.take_order(book, placed(order), order, STOCK, context())
    [timer] = outcome.timers
    due = make.T0 + timer.after
    return OrderRecord(book, {"s": Scheduled(due, timer.then)}), outcome.stock[order.pharmacy_id]


def test_an_order_delivered_again_after_a_restart_takes_no_stock_twice() -> None:
    # Given an order accepted (its stock taken) and stored, then the worker restarted
    before, stock = taken()
    after, stock_after = restarted(before), restocked(stock)
    order = next(iter(before.book.in_hand.values())).order
    # When the same order arrives again (its offset was not committed)
    again = orders.take_order(after.book, placed(order), order, stock_after, context())
    # Then nothing is taken, reported or scheduled
    assert again == Outcome()
    assert stock_after == {AMOX: 70.0, PARA: 80.0}


def test_the_book_stock_and_steps_come_back_as_they_were() -> None:
    before, stock = taken(Fulfilment.DELIVERY)

    after = restarted(before)

    assert restocked(stock) == stock
    assert after.book == before.book
    assert after.timers == before.timers


def test_a_restored_preparation_step_sees_a_cancellation_made_after_the_restart() -> None:
    # Given an order being prepared, restored after a restart
    before, _ = taken()
    after = restarted(before)
    holding = next(iter(after.book.in_hand.values()))
    # When the prescriber cancels it, and then the restored step falls due
    orders.cancel_order(after.book, *cancellation(holding.order), STOCK, context())
    done = orders.finish_preparing(after.book, after.timers["s"].then, context())  # type: ignore[arg-type]
    # Then it is returned, not dispensed: the step reads the book's holding
    assert kinds(done) == ["returned"]


def test_a_step_whose_order_is_no_longer_held_is_not_restored() -> None:
    before, _ = taken()
    holding = next(iter(before.book.in_hand.values()))
    orders.finish_preparing(before.book, Prepared(holding), context())

    assert restarted(before).timers == {}


def test_courier_and_collection_steps_keep_their_due_time_and_what_they_carry() -> None:
    order = an_order(Fulfilment.DELIVERY)
    trip = orders.plan_for(order, context()).trips
    steps = {
        "courier": Scheduled(make.T0 + timedelta(hours=2), CourierArrives(order, "c", trip)),
        "collect": Scheduled(make.T0 + timedelta(hours=3), CitizenCollects(order, "c")),
    }

    assert restarted(OrderRecord(OrderBook(), steps)).timers == steps


def test_what_a_pharmacy_remembers_is_bounded() -> None:
    book = OrderBook()
    for n in range(record.REMEMBERED + 50):
        book.first_time(f"event-{n}")
        book.taken[f"rx-{n}"] = ((AMOX, 1.0),)
        book.sold_here.add(f"rx-{n}")

    after = restarted(OrderRecord(book, {})).book

    assert list(after.handled) == [f"event-{n}" for n in range(50, record.REMEMBERED + 50)]
    assert (
        set(after.taken)
        == after.sold_here
        == {f"rx-{n}" for n in range(50, record.REMEMBERED + 50)}
    )
