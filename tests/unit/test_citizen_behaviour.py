"""How a simulated citizen chooses a pharmacy: seeded, never a pharmacy that declined, and no home
delivery when it is not allowed."""

from datetime import timedelta

import pytest

from rxsim.domain.reference.country import DRUGS
from rxsim.scenario import Behaviour
from schemas.events import Fulfilment, PrescriptionAvailable
from services.citizen_app.behaviour import choose
from tests.support import factories as make

ALWAYS = Behaviour(never_choose_share=0.0)
NEARBY = [p.id for p in make.COUNTRY.pharmacies_in(make.CITIZEN.province)]
ALL_PHARMACIES = [p.id for p in make.COUNTRY.pharmacies]


def available(
    code: str = "01001abcdefg-c",
    *,
    declined_by: list[str] | None = None,
    home_delivery_allowed: bool = True,
) -> PrescriptionAvailable:
    return PrescriptionAvailable(
        prescription_id=code,
        citizen_id=make.CITIZEN.cccd,
        patient_name=make.CITIZEN.name,
        facility_code=make.ONBOARDED_HOSPITAL.code,
        facility_name=make.ONBOARDED_HOSPITAL.name,
        prescriber_name="BS. Minh",
        type_letter="c",
        items=[make.item(DRUGS[0], 10)],
        valid_until=make.T0 + make.VALIDITY,
        home_delivery_allowed=home_delivery_allowed,
        declined_by=declined_by or [],
    )


def test_the_choice_is_deterministic_for_a_seed() -> None:
    rx = available()

    assert choose(rx, make.COUNTRY, ALWAYS, 11) == choose(rx, make.COUNTRY, ALWAYS, 11)


def test_the_citizen_chooses_a_pharmacy_near_home() -> None:
    chosen = [choose(available(f"01001abc{n:04d}-c"), make.COUNTRY, ALWAYS, 11) for n in range(20)]

    assert all(c is not None and c.pharmacy_id in NEARBY for c in chosen)


def test_the_choice_takes_a_delay_within_the_scenarios_bounds() -> None:
    behaviour = Behaviour(never_choose_share=0.0, choice_delay_minutes=(10.0, 20.0))

    chosen = choose(available(), make.COUNTRY, behaviour, 11)

    assert chosen is not None
    assert timedelta(minutes=10) <= chosen.after <= timedelta(minutes=20)


@pytest.mark.parametrize("seed", range(10))
def test_a_pharmacy_that_declined_is_never_chosen_again(seed: int) -> None:
    # Given every nearby pharmacy but one declined
    declined = NEARBY[:-1]

    chosen = choose(available(declined_by=declined), make.COUNTRY, ALWAYS, seed)

    assert chosen is not None
    assert chosen.pharmacy_id == NEARBY[-1]


@pytest.mark.parametrize("seed", range(10))
def test_when_every_nearby_pharmacy_declined_one_further_away_is_chosen(seed: int) -> None:
    chosen = choose(available(declined_by=NEARBY), make.COUNTRY, ALWAYS, seed)

    assert chosen is not None
    assert chosen.pharmacy_id in ALL_PHARMACIES
    assert chosen.pharmacy_id not in NEARBY


def test_when_every_pharmacy_declined_the_citizen_gives_up() -> None:
    assert choose(available(declined_by=ALL_PHARMACIES), make.COUNTRY, ALWAYS, 11) is None


@pytest.mark.parametrize("seed", range(10))
def test_no_home_delivery_when_it_is_not_allowed(seed: int) -> None:
    behaviour = Behaviour(never_choose_share=0.0, delivery_share=1.0)

    chosen = choose(available(home_delivery_allowed=False), make.COUNTRY, behaviour, seed)

    assert chosen is not None
    assert chosen.fulfilment == Fulfilment.PICKUP
    assert chosen.address is None


def test_home_delivery_goes_to_the_citizens_address() -> None:
    behaviour = Behaviour(never_choose_share=0.0, delivery_share=1.0)

    chosen = choose(available(), make.COUNTRY, behaviour, 11)

    assert chosen is not None
    assert chosen.fulfilment == Fulfilment.DELIVERY
    assert chosen.address == make.CITIZEN.address


def test_a_citizen_who_never_chooses_returns_none() -> None:
    behaviour = Behaviour(never_choose_share=1.0)

    assert choose(available(), make.COUNTRY, behaviour, 11) is None
