"""Where the pharmacy keeps its state: the worker's `orders` table (rxsim/messaging/worker.py),
which the broker (its changelog topic) rebuilds after a restart. Two kinds of key live in the
partition of the pharmacy they name (the topics the pharmacy reads are keyed by pharmacy id):

- `order/<pharmacy id>/<prescription id>`: that order's `record.OrderRecord`;
- `stock/<pharmacy id>`: the pharmacy's stock, for the drugs it was asked for.

A batch reads and writes them through its overlay; the HTTP API reads the table. The store
also keeps every scheduled step in an index by due time (`StepIndex`), told of each record as
the table stores it and rebuilt when partitions are restored or dropped, so a restarted worker
takes every pending step once its table is back; and finished orders by when they are to be
forgotten (`forgettable`, `forget`), so the table grows with what is in flight and the
retention, not with a run's history."""

import heapq
import logging
from dataclasses import dataclass
from datetime import datetime

import orjson

from rxsim.messaging.due import DueIndex
from rxsim.messaging.tables import Below, Decoded, Overlay, Table
from services.pharmacy import record
from services.pharmacy.domain import Stock
from services.pharmacy.record import OrderRecord

log = logging.getLogger(__name__)

ORDER, STOCK = "order", "stock"


def order_key(pharmacy_id: str, prescription_id: str) -> str:
    return f"{ORDER}/{pharmacy_id}/{prescription_id}"


def stock_key(pharmacy_id: str) -> str:
    return f"{STOCK}/{pharmacy_id}"


@dataclass(frozen=True, order=True)
class StepDue:
    """A scheduled step to take: when, which, and where its order is stored."""

    due: datetime
    step_id: str
    partition: int
    pharmacy_id: str
    prescription_id: str


class StepIndex:
    """Every stored step by due time. A heap entry whose step has since been taken (or armed
    again) is dropped when it comes up, so nothing is ever searched for."""

    def __init__(self) -> None:
        self._heap: list[StepDue] = []
        self._steps: dict[str, StepDue] = {}  # step id -> as last stored
        self._of_order: dict[str, set[str]] = {}  # order key -> its step ids

    def note(self, partition: int, key: str, due_by_step: dict[str, datetime]) -> None:
        """The order under `key` was stored with these steps (step id -> due)."""
        _, pharmacy_id, prescription_id = key.split("/", 2)
        for gone in self._of_order.pop(key, set()) - set(due_by_step):
            self._steps.pop(gone, None)
        if due_by_step:
            self._of_order[key] = set(due_by_step)
        for step_id, due in due_by_step.items():
            step = StepDue(due, step_id, partition, pharmacy_id, prescription_id)
            if self._steps.get(step_id) != step:
                self._steps[step_id] = step
                heapq.heappush(self._heap, step)

    def clear(self) -> None:
        self._heap, self._steps, self._of_order = [], {}, {}

    def due(self, now: datetime) -> list[StepDue]:
        """The steps due at `now`, each handed out once (`again` puts one back)."""
        found = []
        while self._heap and self._heap[0].due <= now:
            step = heapq.heappop(self._heap)
            if self._steps.get(step.step_id) == step:
                del self._steps[step.step_id]
                found.append(step)
        return found

    def again(self, step: StepDue) -> None:
        """A step whose decision failed: take it again at its new due time."""
        self._steps[step.step_id] = step
        heapq.heappush(self._heap, step)

    def __len__(self) -> int:
        return len(self._steps)


class PharmacyStore:
    """The pharmacy's orders and stocks over the worker's table (see the module)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.steps = StepIndex()
        self.forgetting: DueIndex[str] = DueIndex()  # order keys by when to forget them
        # Orders as last written, not decoded again by the next event about them; only those
        # still under way are kept.
        self._decoded: Decoded[OrderRecord] = Decoded()
        table.watch(self)

    def order(self, view: Below, pharmacy_id: str, prescription_id: str) -> OrderRecord:
        """An order as a batch has made it so far, for the caller to change as it likes (an
        empty one if the pharmacy never heard of it)."""
        key = order_key(pharmacy_id, prescription_id)
        stored = view.get(key)
        if not stored:
            return OrderRecord()
        kept = self._decoded.take(key, stored)
        return kept if kept is not None else record.decode(stored)

    def put_order(
        self, view: Overlay, pharmacy_id: str, prescription_id: str, order: OrderRecord
    ) -> None:
        """Write an order to a batch's overlay (raise MessageTooLarge if it could not be
        carried). The caller must not change `order` afterwards."""
        key = order_key(pharmacy_id, prescription_id)
        encoded = record.encode(order)
        view.put(key, encoded)
        if not order.finished:
            self._decoded.keep(key, encoded, order)
        else:
            self._decoded.drop(key)

    def stock(self, view: Below | None, pharmacy_id: str) -> Stock:
        """A pharmacy's stock as stored (or as a batch has made it): the drugs it was asked
        for; the rest is its opening stock (domain.with_opening_stock)."""
        stored = (view or self.table).get(stock_key(pharmacy_id))
        return record.decode_stock(stored) if stored else {}

    def put_stock(self, view: Overlay, pharmacy_id: str, stock: Stock) -> None:
        view.put(stock_key(pharmacy_id), record.encode_stock(stock))

    def forget(self, view: Overlay, keys: list[str], now: datetime) -> bool:
        """Delete from a partition's overlay those of `keys` still due to be forgotten at
        `now`; whether any was."""
        deleted = False
        for key in keys:
            stored = view.get(key)
            forget_at = record.forget_at_of(orjson.loads(stored)) if stored else None
            if forget_at is not None and forget_at <= now:
                view.put(key, None)
                self._decoded.drop(key)
                deleted = True
        return deleted

    def partition_of(self, pharmacy_id: str, prescription_id: str) -> int | None:
        """Which partition of the table holds this order here (None: none this worker owns)."""
        return self.table.locate(order_key(pharmacy_id, prescription_id))

    # -- the table's watcher (rxsim/messaging/tables.py) ---------------------------------

    def stored(self, partition: int, key: str, value: bytes | None) -> None:
        """A batch stored a value: index an order's steps, from the kept object when there is
        one (no decoding)."""
        if key.startswith(ORDER + "/"):
            self._index(partition, key, value)

    def reset(self, table: Table) -> None:
        """Partitions were restored or dropped: index every stored step again."""
        self._decoded.clear()
        self.steps.clear()
        self.forgetting.clear()
        for partition, values in list(table.partitions.items()):
            for key, value in list(values.items()):
                if key.startswith(ORDER + "/"):
                    self._index(partition, key, value)
        log.info(
            "%d scheduled steps and %d finished orders indexed",
            len(self.steps), len(self.forgetting),
        )  # fmt: skip

    def _index(self, partition: int, key: str, value: bytes | None) -> None:
        """Index an order's steps and when it is forgotten, from the kept object when there
        is one (no decoding)."""
        if value is None:
            self.steps.note(partition, key, {})
            self.forgetting.set(key, None)
            return
        kept = self._decoded.peek(key, value)
        if kept is not None:
            due_by_step = {step_id: s.due for step_id, s in kept.timers.items()}
            forget_at = kept.forget_at
        else:
            raw = orjson.loads(value)
            due_by_step = {
                step_id: datetime.fromisoformat(s["due"]) for step_id, s in raw["timers"].items()
            }
            forget_at = record.forget_at_of(raw)
        self.steps.note(partition, key, due_by_step)
        self.forgetting.set(key, forget_at)
