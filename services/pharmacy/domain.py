"""Pharmacy rules as plain functions: stock, the accept/decline decision, dispensing, courier."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rxsim import fhir
from rxsim.domain.reference.catalog import BATCH_BY_LOT, BATCHES, DRUG_BY_CODE
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


def availability(
    stock: Stock, needs: dict[str, float], seed: int, pharmacy_id: str, behaviour: Behaviour
) -> dict[str, bool]:
    """Whether this pharmacy could sell each drug in the quantity asked for, as `decide` would
    judge it now: yes or no per drug, never how many units it holds (a competitor's stock is
    not the public's business; a citizen only needs to know where to go)."""
    return {
        code: stock.get(code, opening_units(seed, pharmacy_id, code, behaviour)) >= quantity
        for code, quantity in needs.items()
    }


@dataclass(frozen=True)
class Decision:
    accepted: bool
    stock: Stock
    reason: str | None = None
    selling: dict[str, float] = field(default_factory=dict)  # drug code -> units to sell

    @property
    def partial(self) -> bool:
        return self.reason is not None and self.accepted


def decide(order: OrderPlaced, stock: Stock, allow_partial: bool = False) -> Decision:
    """Accept when every item is in stock in full, or, where the scenario lets pharmacies
    sell part of an item (TT 26/2025), sell what is on hand; then take it out of stock."""
    short = [item for item in order.items if stock.get(item.drug_code, 0.0) < item.quantity]
    on_hand = {
        item.drug_code: min(item.quantity, stock.get(item.drug_code, 0.0)) for item in order.items
    }
    if short and not (allow_partial and any(units > 0 for units in on_hand.values())):
        names = ", ".join(item.name for item in short)
        return Decision(False, stock, f"Hết hàng: {names} (out of stock)")
    selling = {code: units for code, units in on_hand.items() if units > 0}
    remaining = dict(stock)
    for code, units in selling.items():
        remaining[code] = remaining.get(code, 0.0) - units
    reason = None
    if short:
        names = ", ".join(item.name for item in short)
        reason = f"Bán một phần: thiếu {names} (partial sale: not enough {names})"
    return Decision(True, remaining, reason, selling)


def lot_for(seed: int, pharmacy_id: str, drug_code: str, suspicious_share: float) -> str:
    """The lot this pharmacy sells of a drug: a registered one, except in the scenario's share
    of (pharmacy, drug) pairs whose stock came from a bad source (recalled or unknown lot)."""
    rng = random.Random(f"{seed}:lot:{pharmacy_id}:{drug_code}")
    lots = [b for b in BATCHES if b.registration_number == drug_code]
    if rng.random() < suspicious_share:
        recalled = [b.lot for b in lots if b.recalled]
        return (
            rng.choice(recalled)
            if recalled and rng.random() < 0.5
            else f"XX{rng.randrange(10**6):06d}"
        )
    good = [b.lot for b in lots if not b.recalled]
    return rng.choice(good) if good else f"LOT-{rng.randrange(10**6):06d}"


def lot_problem(drug_code: str, lot: str) -> str | None:
    """Why the national batch registry forbids selling this lot, or None.

    Only drugs in the catalog can be checked; others have no registry entry to compare with.
    """
    if drug_code not in DRUG_BY_CODE:
        return None
    batch = BATCH_BY_LOT.get(lot)
    if batch is None or batch.registration_number != drug_code:
        return f"Lô {lot} không có trong cơ sở dữ liệu lô thuốc của {drug_code} (unknown batch)"
    if batch.recalled:
        return f"Lô {lot} của {drug_code} đã bị thu hồi (recalled batch)"
    return None


def dispenses(
    order: OrderPlaced,
    at: datetime,
    selling: dict[str, float] | None = None,
    lots: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """One MedicationDispense per item sold, naming its lot; a partial sale is typed so."""
    out = []
    for item in order.items:
        units = item.quantity if selling is None else selling.get(item.drug_code, 0.0)
        if units <= 0:
            continue
        dispense = fhir.medication_dispense(
            order.prescription_id,
            order.pharmacy_id,
            item.drug_code,
            item.name,
            units,
            item.unit,
            at,
        )
        lot = (lots or {}).get(item.drug_code)
        if lot:
            batch = BATCH_BY_LOT.get(lot)
            # The lot lives on the Medication (R4 has no lot on MedicationDispense).
            dispense["medicationReference"] = {"reference": "#sold"}
            dispense["contained"] = [
                {
                    "resourceType": "Medication",
                    "id": "sold",
                    "code": dispense.pop("medicationCodeableConcept"),
                    "batch": {
                        "lotNumber": lot,
                        **({"expirationDate": batch.expires} if batch else {}),
                    },
                }
            ]
        if units < item.quantity:
            dispense["type"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "PF",
                        "display": "Partial Fill",
                    }
                ]
            }
        out.append(dispense)
    return out


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
