"""What a pharmacy process holds (its order book) and what its decisions return (`Outcome`:
events to publish, stock to store, timers to start). Plain data, no I/O."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rxsim.messaging.outgoing import Outgoing
from rxsim.scenario import Behaviour, Scenario, clock
from schemas.events import OrderPlaced
from services.pharmacy.domain import CourierTrip, Stock


@dataclass(frozen=True)
class Context:
    now: datetime
    seed: int
    behaviour: Behaviour


def context_for(scenario: Scenario, now: datetime) -> Context:
    return Context(now=now, seed=scenario.seed, behaviour=scenario.behaviour)


@dataclass(frozen=True)
class Plan:
    """How long an accepted order takes, drawn once from the order's own seeded random so
    every run of a scenario prepares, delivers and collects it the same way."""

    preparation: timedelta  # simulated
    trips: tuple[CourierTrip, ...] = ()  # home delivery
    collected_after: timedelta | None = None  # pickup by a simulated citizen


@dataclass
class Holding:
    """An accepted order not yet handed over: its stock is taken, its sale not yet made."""

    order: OrderPlaced
    correlation_id: str
    selling: dict[str, float]
    plan: Plan
    lots: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False


@dataclass(frozen=True)
class AwaitingPickup:
    pharmacy_id: str
    correlation_id: str


@dataclass
class OrderBook:
    """The orders this process holds, in memory: lost if it is killed, as are its timers."""

    in_hand: dict[str, Holding] = field(default_factory=dict)  # prescription id ->
    cancelled_before_order: set[str] = field(default_factory=set)  # cancellation overtook it
    sold_here: set[str] = field(default_factory=set)  # a late cancellation no longer applies
    awaiting_pickup: dict[str, AwaitingPickup] = field(default_factory=dict)


# What a timer does when it fires; the app waits `Timer.after` (simulated), then handles it.
@dataclass(frozen=True)
class Prepared:
    holding: Holding


@dataclass(frozen=True)
class CourierArrives:
    order: OrderPlaced
    correlation_id: str
    trips: tuple[CourierTrip, ...]  # this trip first, then the ones left if it fails


@dataclass(frozen=True)
class CitizenCollects:
    order: OrderPlaced
    correlation_id: str


Timer = clock.Timer[Prepared | CourierArrives | CitizenCollects]


@dataclass
class Outcome:
    out: list[Outgoing] = field(default_factory=list)
    stock: dict[str, Stock] = field(default_factory=dict)  # pharmacy id -> its new stock
    timers: list[Timer] = field(default_factory=list)
