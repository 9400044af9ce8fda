"""How simulated citizens choose, as a plain function of the scenario and a seeded random."""

import random
from dataclasses import dataclass
from datetime import timedelta

from rxsim.domain.reference.country import Country
from rxsim.scenario import Behaviour
from schemas.events import Fulfilment, PrescriptionAvailable


@dataclass(frozen=True)
class Choice:
    pharmacy_id: str
    fulfilment: Fulfilment
    address: str | None
    after: timedelta  # simulated time the citizen takes to decide


def choose(
    rx: PrescriptionAvailable, country: Country, behaviour: Behaviour, seed: int
) -> Choice | None:
    """A pharmacy near home that has not declined yet, or None if this citizen never chooses."""
    rng = random.Random(f"{seed}:choice:{rx.prescription_id}:{len(rx.declined_by)}")
    if random.Random(f"{seed}:never:{rx.prescription_id}").random() < behaviour.never_choose_share:
        return None
    citizen = country.citizen_by_cccd.get(rx.citizen_id)
    nearby = country.pharmacies_in(citizen.province) if citizen else list(country.pharmacies)
    candidates = [p for p in nearby if p.id not in rx.declined_by] or [
        p for p in country.pharmacies if p.id not in rx.declined_by
    ]
    if not candidates:
        return None
    pharmacy = rng.choice(candidates)
    delivery = rx.home_delivery_allowed and rng.random() < behaviour.delivery_share
    address = (citizen.address if citizen else "Địa chỉ đăng ký VNeID") if delivery else None
    delay = timedelta(minutes=rng.uniform(*behaviour.choice_delay_minutes))
    return Choice(
        pharmacy.id, Fulfilment.DELIVERY if delivery else Fulfilment.PICKUP, address, delay
    )
