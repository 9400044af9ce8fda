"""Rules after acceptance: controlled drugs are picked up, and no item is sold beyond what is
prescribed (the coordinator's tests see the same through its handlers)."""

import pytest

from rxsim.domain.rules.dispensing import home_delivery_allowed, over_dispensed
from rxsim.domain.rules.switches import Rules


@pytest.mark.parametrize(
    ("letter", "allowed"), [("c", True), ("y", True), ("n", False), ("h", False)]
)
def test_controlled_drugs_are_for_pickup_only_by_default(letter: str, allowed: bool) -> None:
    assert home_delivery_allowed(letter, Rules()) is allowed


def test_a_scenario_may_allow_home_delivery_of_controlled_drugs() -> None:
    assert home_delivery_allowed("n", Rules(home_delivery_of_controlled=True))


def test_sales_may_add_up_to_the_prescribed_quantity_and_no_further() -> None:
    prescribed = {"VD-1": 10.0}

    assert over_dispensed(prescribed, {"VD-1": 4.0}, {"VD-1": 6.0}) is None
    assert "exceed the prescribed 10" in str(
        over_dispensed(prescribed, {"VD-1": 4.0}, {"VD-1": 7.0})
    )


def test_an_item_not_prescribed_is_not_sold() -> None:
    assert "does not prescribe" in str(over_dispensed({"VD-1": 10.0}, {}, {"VD-2": 1.0}))
