"""Pharmacy rules: stock, the accept/decline decision, and courier trips."""

import random

import pytest

from rxsim.domain.reference.country import DRUGS
from rxsim.scenario import Behaviour
from services.pharmacy import domain
from tests.support import factories as make

AMOXICILLIN, PARACETAMOL, METFORMIN = DRUGS[:3]
CODES = [d.registration_number for d in DRUGS]


def test_an_order_fully_in_stock_is_accepted_and_taken_out_of_stock() -> None:
    # Given a pharmacy with 100 of each of two drugs
    stock = {AMOXICILLIN.registration_number: 100.0, PARACETAMOL.registration_number: 100.0}
    before = dict(stock)
    order = make.order(make.item(AMOXICILLIN, 30), make.item(PARACETAMOL, 100))
    # When it decides on an order for 30 and 100
    decision = domain.decide(order, stock)
    # Then it accepts, and the new stock has exactly those units taken out
    assert decision.accepted is True
    assert decision.reason is None
    assert decision.stock == {
        AMOXICILLIN.registration_number: 70.0,
        PARACETAMOL.registration_number: 0.0,
    }
    assert stock == before  # the caller's stock is not mutated


def test_an_order_with_any_item_short_is_declined_naming_the_drug() -> None:
    stock = {AMOXICILLIN.registration_number: 100.0, PARACETAMOL.registration_number: 5.0}
    before = dict(stock)
    order = make.order(make.item(AMOXICILLIN, 30), make.item(PARACETAMOL, 6))

    decision = domain.decide(order, stock)

    assert decision.accepted is False
    assert decision.stock == before
    assert stock == before
    assert decision.reason is not None
    assert PARACETAMOL.name in decision.reason
    assert AMOXICILLIN.name not in decision.reason


def test_a_drug_the_pharmacy_never_stocked_is_short() -> None:
    order = make.order(make.item(METFORMIN, 1))

    decision = domain.decide(order, {AMOXICILLIN.registration_number: 100.0})

    assert decision.accepted is False
    assert decision.reason is not None
    assert METFORMIN.name in decision.reason


def test_every_short_drug_is_named() -> None:
    order = make.order(make.item(AMOXICILLIN, 1), make.item(PARACETAMOL, 1))

    decision = domain.decide(order, {})

    assert decision.reason is not None
    assert AMOXICILLIN.name in decision.reason
    assert PARACETAMOL.name in decision.reason


def test_initial_stock_is_deterministic_for_a_seed_and_pharmacy() -> None:
    behaviour = Behaviour(out_of_stock_share=0.5, stock_units=40)

    first = domain.initial_stock(7, make.PHARMACY_A, CODES, behaviour)
    again = domain.initial_stock(7, make.PHARMACY_A, list(reversed(CODES)), behaviour)

    assert first == again
    assert set(first) == set(CODES)
    assert set(first.values()) <= {0.0, 40.0}


def test_initial_stock_differs_between_pharmacies() -> None:
    behaviour = Behaviour(out_of_stock_share=0.5)
    stocks = {
        pharmacy.id: domain.initial_stock(7, pharmacy.id, CODES, behaviour)
        for pharmacy in make.COUNTRY.pharmacies[:6]
    }

    assert len({tuple(sorted(s.items())) for s in stocks.values()}) > 1


@pytest.mark.parametrize(("share", "expected"), [(0.0, 25.0), (1.0, 0.0)])
def test_the_out_of_stock_share_sets_how_many_drugs_are_missing(
    share: float, expected: float
) -> None:
    behaviour = Behaviour(out_of_stock_share=share, stock_units=25)

    stock = domain.initial_stock(7, make.PHARMACY_A, CODES, behaviour)

    assert set(stock.values()) == {expected}


@pytest.mark.parametrize("seed", range(50))
def test_courier_trips_always_end_delivered_within_the_attempts(seed: int) -> None:
    behaviour = Behaviour(courier_failure_rate=0.5, courier_delay_minutes=(30.0, 90.0))

    trips = domain.courier_trips(random.Random(seed), behaviour, max_attempts=3)

    assert 1 <= len(trips) <= 3
    assert trips[-1].delivered
    assert not any(trip.delivered for trip in trips[:-1])
    assert all(30 <= trip.delay.total_seconds() / 60 <= 90 for trip in trips)


def test_a_courier_that_always_fails_still_delivers_on_the_last_attempt() -> None:
    behaviour = Behaviour(courier_failure_rate=1.0)

    trips = domain.courier_trips(random.Random(1), behaviour, max_attempts=4)

    assert [trip.delivered for trip in trips] == [False, False, False, True]


def test_a_courier_that_never_fails_delivers_on_the_first_attempt() -> None:
    behaviour = Behaviour(courier_failure_rate=0.0)

    trips = domain.courier_trips(random.Random(1), behaviour)

    assert [trip.delivered for trip in trips] == [True]


def test_courier_trips_are_deterministic_for_a_seed() -> None:
    behaviour = Behaviour(courier_failure_rate=0.5)

    first = domain.courier_trips(random.Random(3), behaviour)
    again = domain.courier_trips(random.Random(3), behaviour)

    assert first == again


def test_a_dispense_is_made_for_every_item_of_the_order() -> None:
    order = make.order(make.item(AMOXICILLIN, 30), make.item(PARACETAMOL, 9))

    dispenses = domain.dispenses(order, make.T0)

    assert [d["quantity"] for d in dispenses] == [
        {"value": 30.0, "unit": "viên"},
        {"value": 9.0, "unit": "viên"},
    ]
    assert all(d["status"] == "completed" for d in dispenses)


def test_availability_says_yes_exactly_where_the_pharmacy_would_accept_the_order() -> None:
    # Given a pharmacy that counted 20 amoxicillin and 0 paracetamol, and never counted
    # metformin (its opening stock: all of it, as the scenario sets none missing)
    stock = {AMOXICILLIN.registration_number: 20.0, PARACETAMOL.registration_number: 0.0}
    behaviour = Behaviour(out_of_stock_share=0.0, stock_units=50)
    needs = {
        AMOXICILLIN.registration_number: 20.0,
        PARACETAMOL.registration_number: 1.0,
        METFORMIN.registration_number: 60.0,
    }
    # When a citizen asks whether it has them
    answer = domain.availability(stock, needs, 7, make.PHARMACY_A, behaviour)
    # Then it says yes or no per drug, as its decision on that order would
    assert answer == {
        AMOXICILLIN.registration_number: True,
        PARACETAMOL.registration_number: False,
        METFORMIN.registration_number: False,  # 60 asked, 50 on its shelf
    }
    order = make.order(make.item(AMOXICILLIN, 20))
    assert domain.decide(order, stock).accepted is answer[AMOXICILLIN.registration_number]
