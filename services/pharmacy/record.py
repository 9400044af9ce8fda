"""What the pharmacy stores, so that a restarted worker carries on where it stopped: for each
order (a prescription at a pharmacy) its part of the order book and the steps scheduled for it
(when each is due); for each pharmacy its stock. JSON we encode ourselves (orjson).

One record per order rather than per pharmacy: a decision is about one prescription, and a
pharmacy's whole book (the events it handled, what it took and sold) made every decision
write 100–170 KB to the changelog. Stock is the one thing orders of a pharmacy share; it is
small, and written with the order in the same batch (see services/pharmacy/store.py)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from rxsim.messaging.codec import bounded
from schemas.events import OrderPlaced
from services.pharmacy.book import (
    HANDLED_EVENTS_KEPT,
    AwaitingPickup,
    CitizenCollects,
    CourierArrives,
    Holding,
    OrderBook,
    Plan,
    Prepared,
)
from services.pharmacy.domain import CourierTrip, Stock

Step = Prepared | CourierArrives | CitizenCollects

# What a pharmacy remembers of what it handled (event ids, prescriptions it took): the latest.
REMEMBERED = HANDLED_EVENTS_KEPT


@dataclass(frozen=True)
class Scheduled:
    """A step to take when it is due (the pharmacy's clock, as its decisions see `now`)."""

    due: datetime
    then: Step


@dataclass
class OrderRecord:
    """One prescription at one pharmacy: the order book with this prescription's entries only
    (orders.py decides against an OrderBook), and the steps scheduled for it."""

    book: OrderBook = field(default_factory=OrderBook)
    timers: dict[str, Scheduled] = field(default_factory=dict)  # step id -> when and what
    # When a finished order (nothing held, nothing awaiting pickup, no step left) is forgotten.
    forget_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return not (self.timers or self.book.in_hand or self.book.awaiting_pickup)


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _delta(seconds: float | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _trips(trips: tuple[CourierTrip, ...]) -> list[list[Any]]:
    return [[trip.delay.total_seconds(), trip.delivered] for trip in trips]


def _trips_of(raw: list[list[Any]]) -> tuple[CourierTrip, ...]:
    return tuple(CourierTrip(timedelta(seconds=delay), delivered) for delay, delivered in raw)


def _order(order: OrderPlaced) -> dict[str, Any]:
    return order.model_dump(mode="json")


def _holding(h: Holding) -> dict[str, Any]:
    plan = h.plan
    return {
        "order": _order(h.order),
        "correlation_id": h.correlation_id,
        "selling": h.selling,
        "plan": [_seconds(plan.preparation), _trips(plan.trips), _seconds(plan.collected_after)],
        "lots": h.lots,
        "cancelled": h.cancelled,
        "cancel_reason": h.cancel_reason,
    }


def _holding_of(raw: dict[str, Any]) -> Holding:
    preparation, trips, collected_after = raw["plan"]
    plan = Plan(timedelta(seconds=preparation), _trips_of(trips), _delta(collected_after))
    return Holding(
        OrderPlaced.model_validate(raw["order"]),
        raw["correlation_id"],
        raw["selling"],
        plan,
        raw["lots"],
        raw["cancelled"],
        raw["cancel_reason"],
    )


def _step(step: Step) -> dict[str, Any]:
    if isinstance(step, Prepared):  # the holding is the book's: it may be cancelled meanwhile
        return {"prepared": step.holding.order.prescription_id}
    raw = {"order": _order(step.order), "correlation_id": step.correlation_id}
    if isinstance(step, CourierArrives):
        return {**raw, "trips": _trips(step.trips)}
    return raw


def _step_of(raw: dict[str, Any], book: OrderBook) -> Step | None:
    """The step, or None if it no longer applies (the order it prepares is not held)."""
    if "prepared" in raw:
        holding = book.in_hand.get(raw["prepared"])
        return None if holding is None else Prepared(holding)
    order = OrderPlaced.model_validate(raw["order"])
    if "trips" in raw:
        return CourierArrives(order, raw["correlation_id"], _trips_of(raw["trips"]))
    return CitizenCollects(order, raw["correlation_id"])


def encode(record: OrderRecord) -> bytes:
    """The record as stored; raise MessageTooLarge if its changelog message could not be
    carried, so a caller can check it before sending anything."""
    book = record.book
    taken = list(book.taken.items())[-REMEMBERED:]
    kept = {prescription_id for prescription_id, _ in taken}
    stored = orjson.dumps(
        {
            "in_hand": {rx: _holding(h) for rx, h in book.in_hand.items()},
            "cancelled_before_order": sorted(book.cancelled_before_order),
            "sold_here": sorted(book.sold_here & kept),
            "awaiting_pickup": {rx: vars(w) for rx, w in book.awaiting_pickup.items()},
            "handled": list(book.handled)[-REMEMBERED:],
            "taken": taken,
            "timers": {
                step_id: {"due": s.due.isoformat(), "then": _step(s.then)}
                for step_id, s in record.timers.items()
            },
            "forget_at": record.forget_at.isoformat() if record.forget_at else None,
        }
    )
    return bounded(stored)


def decode(stored: bytes) -> OrderRecord:
    raw = orjson.loads(stored)
    book = OrderBook(
        in_hand={rx: _holding_of(h) for rx, h in raw["in_hand"].items()},
        cancelled_before_order=set(raw["cancelled_before_order"]),
        sold_here=set(raw["sold_here"]),
        awaiting_pickup={rx: AwaitingPickup(**w) for rx, w in raw["awaiting_pickup"].items()},
        handled=dict.fromkeys(raw["handled"]),
        taken={rx: tuple((code, units) for code, units in asked) for rx, asked in raw["taken"]},
    )
    timers = {}
    for step_id, s in raw["timers"].items():
        then = _step_of(s["then"], book)
        if then is not None:
            timers[step_id] = Scheduled(datetime.fromisoformat(s["due"]), then)
    return OrderRecord(book, timers, forget_at_of(raw))


def forget_at_of(raw: dict[str, Any]) -> datetime | None:
    """When a stored order is to be forgotten (records stored before it was kept: never)."""
    forget_at = raw.get("forget_at")
    return datetime.fromisoformat(forget_at) if forget_at else None


def encode_stock(stock: Stock) -> bytes:
    """A pharmacy's stock as stored: units per drug, for the drugs it was asked for."""
    return orjson.dumps(stock)


def decode_stock(stored: bytes) -> Stock:
    return dict(orjson.loads(stored))
