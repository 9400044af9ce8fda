"""The pharmacy's state on the batched worker, without a broker: a decision reads and writes one
order and its pharmacy's stock through a batch's overlay; the steps it schedules are indexed by
due time once the table stores them, taken once, and indexed again after a restart; and what
a decision writes does not grow with the pharmacy's history (one record per order)."""

from datetime import datetime, timedelta

import pytest

from rxsim.messaging.batch import Park
from rxsim.messaging.codec import decode
from rxsim.messaging.tables import Overlay, Table
from rxsim.scenario import load
from schemas import topics
from schemas.events import Fulfilment, OrderPlaced, PharmacyUpdated
from services.pharmacy import record
from services.pharmacy.bootstrap import Pharmacies
from services.pharmacy.store import PharmacyStore, StepDue, StepIndex, order_key, stock_key
from tests.support import factories as make

from .test_pharmacy_orders import AMOX, CLEAN, PARA, an_order, cancellation, placed

SCENARIO = load("pilot").model_copy(update={"behaviour": CLEAN})


class Stack:
    """A pharmacy store over a table, deciding at a clock the test moves, and committing each
    decision as the worker does: through an overlay, applied once published."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table("orders")
        self.store = PharmacyStore(self.table)
        self.now = make.T0
        self.pharmacies = Pharmacies(self.store, SCENARIO, clock=lambda: self.now)
        self.written: list[int] = []  # bytes written per decision

    def commit(self, view: Overlay) -> None:
        self.written.append(sum(len(v or b"") for v in view.changes.values()))
        self.table.apply(0, view.changes)

    def receive(self, order: OrderPlaced) -> list[str]:
        view = Overlay(self.table.partition(0))
        sent = self.pharmacies.receive(placed(order), order, view)
        self.commit(view)
        return kinds(sent)

    def cancel(self, order: OrderPlaced) -> list[str]:
        view = Overlay(self.table.partition(0))
        sent = self.pharmacies.receive(*cancellation(order), view)
        self.commit(view)
        return kinds(sent)

    def forget_due(self, after: timedelta = timedelta(0)) -> list[str]:
        """Move the clock and forget every finished order due, as the pharmacy's timer does."""
        self.now += after
        keys = self.store.forgetting.due(self.now)
        view = Overlay(self.table.partition(0))
        if self.store.forget(view, keys, self.now):
            self.commit(view)
        return keys

    def orders_held(self) -> int:
        return sum(1 for key, _ in self.table.items() if key.startswith("order/"))

    def steps_due(self, after: timedelta) -> list[str]:
        """Move the clock and take every step due, as the step timer does."""
        self.now += after
        view = Overlay(self.table.partition(0))
        sent = self.pharmacies.take_steps(view, self.store.steps.due(self.now))
        self.commit(view)
        return kinds(sent)


def kinds(sent: list[tuple[str, bytes, bytes]]) -> list[str]:
    found = []
    for topic, _, value in sent:
        _, data = decode(topics.BY_NAME[topic], value)
        if isinstance(data, PharmacyUpdated):
            found.append(data.kind)
    return found


DAY = timedelta(days=1)


def test_an_order_is_accepted_prepared_and_collected_by_its_steps_each_taken_once() -> None:
    stack = Stack()
    order = an_order(Fulfilment.PICKUP, simulated=True)
    assert stack.receive(order) == ["accepted"]
    assert len(stack.store.steps) == 1  # preparing
    stock = record.decode_stock(stack.table.partition(0)[stock_key(order.pharmacy_id)])
    assert stock[AMOX] < SCENARIO.behaviour.stock_units and PARA in stock

    assert stack.steps_due(DAY) == ["dispensed"]
    assert stack.steps_due(DAY) == ["picked_up"]
    assert stack.steps_due(DAY) == []
    assert len(stack.store.steps) == 0
    assert (
        record.decode(
            stack.table.partition(0)[order_key(order.pharmacy_id, "01001abcdefg-c")]
        ).timers
        == {}
    )


def test_a_step_not_yet_due_waits_and_a_cancellation_meanwhile_returns_the_order() -> None:
    stack = Stack()
    order = an_order(Fulfilment.DELIVERY)
    stack.receive(order)
    assert stack.steps_due(timedelta(0)) == []  # preparation takes minutes
    assert stack.cancel(order) == []
    assert stack.steps_due(DAY) == ["returned"]


def test_after_a_restart_the_steps_stored_are_indexed_again_and_taken() -> None:
    stack = Stack()
    order = an_order(Fulfilment.DELIVERY)
    stack.receive(order)

    restored = Table("orders")  # a new worker: its table restored from the changelog
    again = Stack(restored)
    again.now = stack.now
    restored.partition(0).update((k, bytes(v)) for k, v in stack.table.items())
    assert len(again.store.steps) == 0
    restored.reset()
    assert len(again.store.steps) == 1
    assert again.steps_due(DAY) == ["dispensed", "out_for_delivery"]


def test_an_order_for_a_pharmacy_of_no_known_country_is_parked() -> None:
    stack = Stack()
    stranger = an_order().model_copy(update={"pharmacy_id": "nowhere"})
    with pytest.raises(Park, match="unknown pharmacy nowhere"):
        stack.receive(stranger)


def test_what_a_decision_writes_does_not_grow_with_the_pharmacys_history() -> None:
    stack = Stack()
    for n in range(300):
        order = an_order(Fulfilment.PICKUP, simulated=True)
        order = order.model_copy(update={"prescription_id": f"01001rx{n:07d}-c"})
        stack.receive(order)
        stack.steps_due(DAY)
        stack.steps_due(DAY)
    early, late = stack.written[:30], stack.written[-30:]
    assert max(late) <= 1.2 * max(early)


def test_the_step_index_hands_out_a_step_once_and_follows_each_order_stored() -> None:
    index = StepIndex()
    key = order_key("ph", "rx")
    index.note(3, key, {"a": make.T0, "b": make.T0 + DAY})
    assert [s.step_id for s in index.due(make.T0)] == ["a"]
    assert index.due(make.T0) == []
    index.note(3, key, {"b": make.T0 + 2 * DAY})  # "a" taken; "b" moved
    assert index.due(make.T0 + DAY) == []
    [b] = index.due(make.T0 + 2 * DAY)
    assert b == StepDue(make.T0 + 2 * DAY, "b", 3, "ph", "rx")
    index.again(b)
    assert index.due(make.T0 + 2 * DAY) == [b]
    index.note(3, key, {})  # the order has no steps left
    assert len(index) == 0


def test_a_kept_order_is_used_only_while_the_table_holds_the_bytes_it_was_written_as() -> None:
    stack = Stack()
    order = an_order(Fulfilment.DELIVERY)
    stack.receive(order)
    key = order_key(order.pharmacy_id, order.prescription_id)
    view = Overlay(stack.table.partition(0))
    first = stack.store.order(view, order.pharmacy_id, order.prescription_id)
    # a decision changed it, then wrote nothing: the next read decodes what is stored
    first.book.in_hand.clear()
    second = stack.store.order(view, order.pharmacy_id, order.prescription_id)
    assert second is not first and order.prescription_id in second.book.in_hand
    assert second == record.decode(stack.table.partition(0)[key])


KEPT = timedelta(  # how long the pilot's pharmacy keeps a finished order (real time)
    seconds=SCENARIO.clock.real_seconds(SCENARIO.validity + SCENARIO.kept_after_validity)
)


# Long enough for any step of the pilot's clean behaviour, well within the validity (30 s).
STEP = timedelta(seconds=5)


def valid(order: OrderPlaced, at: datetime = make.T0) -> OrderPlaced:
    return order.model_copy(update={"valid_until": at + SCENARIO.validity / SCENARIO.speedup})


def stored(stack: Stack, key: str) -> record.OrderRecord:
    value = stack.table.get(key)
    assert value is not None
    return record.decode(value)


def collected(stack: Stack, order: OrderPlaced) -> None:
    assert stack.receive(order) == ["accepted"]
    assert stack.steps_due(STEP) == ["dispensed"]
    assert stack.steps_due(STEP) == ["picked_up"]


def test_a_finished_order_is_forgotten_once_its_retention_is_over_and_its_stock_stays() -> None:
    stack = Stack()
    order = valid(an_order(Fulfilment.PICKUP, simulated=True))
    collected(stack, order)
    finished = stack.now
    stock = stack.table.get(stock_key(order.pharmacy_id))

    assert stack.forget_due(KEPT - (stack.now - finished) - timedelta(seconds=1)) == []
    assert stack.orders_held() == 1
    assert stack.forget_due(timedelta(seconds=1)) == [
        order_key(order.pharmacy_id, order.prescription_id)
    ]
    assert stack.orders_held() == 0
    assert stack.table.get(stock_key(order.pharmacy_id)) == stock


def test_an_order_under_way_is_never_forgotten() -> None:
    stack = Stack()
    order = valid(an_order(Fulfilment.PICKUP, simulated=False))  # waits for its citizen
    assert stack.receive(order) == ["accepted"]
    assert stack.steps_due(STEP) == ["dispensed"]

    assert stack.forget_due(KEPT * 10) == []
    assert stack.orders_held() == 1


def test_a_replayed_order_older_than_what_is_kept_is_parked_not_taken_again() -> None:
    stack = Stack()
    order = valid(an_order(Fulfilment.PICKUP, simulated=True))
    collected(stack, order)
    stack.forget_due(KEPT)
    assert stack.orders_held() == 0

    with pytest.raises(Park, match="older than what the pharmacy keeps"):
        stack.receive(order)
    assert stack.orders_held() == 0


def test_a_replayed_order_still_kept_is_known_and_changes_nothing() -> None:
    stack = Stack()
    order = valid(an_order(Fulfilment.PICKUP, simulated=True))
    collected(stack, order)
    key = order_key(order.pharmacy_id, order.prescription_id)
    stock, forget_at = stack.table.get(stock_key(order.pharmacy_id)), stored(stack, key).forget_at

    assert stack.receive(order) == []
    assert stack.table.get(stock_key(order.pharmacy_id)) == stock
    assert stored(stack, key).forget_at == forget_at


def test_after_a_restart_finished_orders_are_indexed_again_and_forgotten() -> None:
    stack = Stack()
    order = valid(an_order(Fulfilment.PICKUP, simulated=True))
    collected(stack, order)

    restored = Table("orders")
    again = Stack(restored)
    again.now = stack.now
    restored.partition(0).update(stack.table.items())
    restored.reset()
    assert again.forget_due(KEPT) == [order_key(order.pharmacy_id, order.prescription_id)]
    assert again.orders_held() == 0


def test_the_orders_held_grow_with_what_is_in_flight_not_with_the_history() -> None:
    stack = Stack()
    held = []
    for n in range(400):
        order = valid(an_order(Fulfilment.PICKUP, simulated=True), at=stack.now)
        collected(stack, order.model_copy(update={"prescription_id": f"01001rx{n:07d}-c"}))
        stack.forget_due(KEPT / 50)
        held.append(stack.orders_held())
    assert held[-1] <= 1.1 * held[100]


def test_a_forged_order_is_declined_and_leaves_nothing_stored() -> None:
    # Given a stack, and orders nobody signed, each for a code of its own
    stack = Stack()
    for n in range(3):
        order = an_order().model_copy(update={"prescription_id": f"01001forged{n:02d}-c"})
        event = placed(order).model_copy(update={"signature": None})
        view = Overlay(stack.table.partition(0))
        # When the pharmacy receives them, each is declined
        assert kinds(stack.pharmacies.receive(event, order, view)) == ["declined"]
        stack.commit(view)
    # Then nothing is stored for them: forgeries do not fill the table
    assert stack.orders_held() == 0
    assert stack.table.get(stock_key(an_order().pharmacy_id)) is None
