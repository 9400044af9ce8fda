"""What a pharmacy process holds (its order book) and what its decisions return (`Outcome`:
events to publish, stock to store, timers to start). Plain data, no I/O."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rxsim.fhir import signing
from rxsim.fhir.signing import FacilityKeys
from rxsim.messaging.outgoing import Outgoing
from rxsim.scenario import Behaviour, Scenario, clock
from schemas.events import OrderPlaced
from services.pharmacy.domain import CourierTrip, Stock


@dataclass(frozen=True)
class Context:
    now: datetime
    seed: int
    behaviour: Behaviour
    # Whose signature an order and a cancellation need: the coordinator's (trusts no one by
    # default); unsigned ones are taken only where the scenario does not require signatures.
    keys: FacilityKeys = field(default_factory=lambda: FacilityKeys(seed=0))
    require_signatures: bool = True


def context_for(scenario: Scenario, now: datetime) -> Context:
    return Context(
        now=now,
        seed=scenario.seed,
        behaviour=scenario.behaviour,
        keys=signing.coordinator_keys(scenario.seed),
        require_signatures=scenario.security.require_signatures,
    )


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
    cancel_reason: str | None = None  # the coordinator's: the prescriber's, or expiry


@dataclass(frozen=True)
class AwaitingPickup:
    pharmacy_id: str
    correlation_id: str


# Redelivery replays what was not yet committed (at most a few hundred events), so the
# latest thousand per pharmacy cover it many times over and keep its stored record small.
HANDLED_EVENTS_KEPT = 1_000


@dataclass
class OrderBook:
    """The orders one pharmacy holds (stored with its record, `record.PharmacyRecord`).

    Redelivery changes nothing: an event handled before is known by its id (`handled`, the
    latest ones), and an order for a prescription this pharmacy already took is known by what
    it asks for (`taken`): a new order for the rest after a partial sale asks for less."""

    in_hand: dict[str, Holding] = field(default_factory=dict)  # prescription id ->
    cancelled_before_order: set[str] = field(default_factory=set)  # cancellation overtook it
    sold_here: set[str] = field(default_factory=set)  # a late cancellation no longer applies
    awaiting_pickup: dict[str, AwaitingPickup] = field(default_factory=dict)
    handled: dict[str, None] = field(default_factory=dict)  # event ids, oldest first
    taken: dict[str, "Asked"] = field(default_factory=dict)  # prescription id -> last taken

    def first_time(self, event_id: str) -> bool:
        """True once per event id: remember it (the latest HANDLED_EVENTS_KEPT)."""
        if event_id in self.handled:
            return False
        self.handled[event_id] = None
        if len(self.handled) > HANDLED_EVENTS_KEPT:
            del self.handled[next(iter(self.handled))]
        return True

    def already_taken(self, order: OrderPlaced) -> bool:
        return self.taken.get(order.prescription_id) == asked(order)


Asked = tuple[tuple[str, float], ...]  # what an order asks for: (drug code, units), sorted


def asked(order: OrderPlaced) -> Asked:
    return tuple(sorted((item.drug_code, item.quantity) for item in order.items))


def expired(order: OrderPlaced, now: datetime) -> bool:
    """The prescription's validity is over: it may no longer be dispensed."""
    return order.valid_until is not None and now >= order.valid_until


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
    restock: dict[str, Stock] = field(default_factory=dict)  # pharmacy id -> units put back
    timers: list[Timer] = field(default_factory=list)
    note: str | None = None  # why nothing happened, for the log
