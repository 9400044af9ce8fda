"""Pharmacy rules as plain functions: stock, the accept/decline decision, dispensing, courier."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from rxsim import fhir
from rxsim.scenario import Behaviour
from schemas.events import OrderPlaced

Stock = dict[str, float]  # drug registration number -> units on hand


def opening_units(seed: int, pharmacy_id: str, drug_code: str, behaviour: Behaviour) -> float:
    """Deterministic opening stock of one drug: some (pharmacy, drug) pairs have none at all.

    Any drug code gets an answer, not only the catalog's: a real pharmacy stocks far more
    than a scenario's catalog, and prescriptions from other systems use other codes.
    """
    rng = random.Random(f"{seed}:stock:{pharmacy_id}:{drug_code}")
    return 0.0 if rng.random() < behaviour.out_of_stock_share else float(behaviour.stock_units)


def initial_stock(
    seed: int, pharmacy_id: str, drug_codes: list[str], behaviour: Behaviour
) -> Stock:
    return {code: opening_units(seed, pharmacy_id, code, behaviour) for code in drug_codes}


def with_opening_stock(stock: Stock, order: OrderPlaced, seed: int, behaviour: Behaviour) -> Stock:
    """The stock, with the opening units of any ordered drug this pharmacy never counted."""
    missing = {item.drug_code for item in order.items} - stock.keys()
    return {
        **stock,
        **{code: opening_units(seed, order.pharmacy_id, code, behaviour) for code in missing},
    }


@dataclass(frozen=True)
class Decision:
    accepted: bool
    stock: Stock
    reason: str | None = None


def decide(order: OrderPlaced, stock: Stock) -> Decision:
    """Accept only when every item is in stock in full; then take it out of stock."""
    missing = [item.name for item in order.items if stock.get(item.drug_code, 0.0) < item.quantity]
    if missing:
        return Decision(False, stock, f"Hết hàng: {', '.join(missing)} (out of stock)")
    remaining = dict(stock)
    for item in order.items:
        remaining[item.drug_code] = remaining.get(item.drug_code, 0.0) - item.quantity
    return Decision(True, remaining)


def dispenses(order: OrderPlaced, at: datetime) -> list[dict[str, object]]:
    return [
        fhir.medication_dispense(
            order.prescription_id,
            order.pharmacy_id,
            item.drug_code,
            item.name,
            item.quantity,
            item.unit,
            at,
        )
        for item in order.items
    ]


def minutes(rng: random.Random, bounds: tuple[float, float]) -> timedelta:
    return timedelta(minutes=rng.uniform(*bounds))


@dataclass(frozen=True)
class CourierTrip:
    delay: timedelta  # simulated
    delivered: bool


def courier_trips(
    rng: random.Random, behaviour: Behaviour, max_attempts: int = 3
) -> list[CourierTrip]:
    """Each attempt fails with the scenario's rate; the last attempt always arrives."""
    trips = []
    for attempt in range(1, max_attempts + 1):
        delivered = attempt == max_attempts or rng.random() >= behaviour.courier_failure_rate
        trips.append(CourierTrip(minutes(rng, behaviour.courier_delay_minutes), delivered))
        if delivered:
            break
    return trips
