"""Multi-step dosing: every dosageInstruction is read, and the quantity and the days are
checked against all of them (HL7's medrx0302: azithromycin, 2 tablets on day 1, then 1 a day
on days 2 to 5, 6 tablets in all)."""

import copy
from typing import Any

import pytest

from rxsim.domain.reasons import Reason
from rxsim.fhir import bundles
from tests.support import hl7_examples as hl7
from tests.support import rule_faults as faults

from .test_rules import PLACE, check

AZITHROMYCIN = "VD-31211-19"
MEDRX0302 = next(e for e in hl7.EXAMPLES if hl7.name(e) == "medrx0302")


def day(days: float) -> dict[str, Any]:
    return {"value": days, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}


def azithromycin() -> dict[str, Any]:
    """HL7's medrx0302 with each step's length said: 2 tablets once on day 1, then one a day."""
    request = hl7.request(MEDRX0302)
    first, second = request["dosageInstruction"]
    first["timing"]["repeat"]["boundsDuration"] = day(1)
    second["timing"]["repeat"]["frequency"] = 1  # HL7 wrote 4 a day, for "daily for 4 days"
    return request


def prescription(request: dict[str, Any]) -> dict[str, Any]:
    with_diagnosis = bundles.with_diagnosis(copy.deepcopy(request), "J20.9")
    labelled = bundles.with_registration_number(with_diagnosis, AZITHROMYCIN)
    return hl7.wrapped(labelled, PLACE.hospital, faults.adult())


def codes(request: dict[str, Any]) -> list[str]:
    return [issue.code for issue in check(prescription(request))]


def test_a_two_step_regimen_whose_quantity_adds_up_passes() -> None:
    # 2 × 1 day + 1 × 1 a day × the 4 days of supply left = 6 tablets, as prescribed
    assert codes(azithromycin()) == []


def test_the_second_step_may_say_its_length_too() -> None:
    request = azithromycin()
    request["dosageInstruction"][1]["timing"]["repeat"]["boundsDuration"] = day(4)
    assert codes(request) == []


def test_a_quantity_that_only_the_first_step_would_explain_is_refused() -> None:
    # Before, only the first step was read: 2 tablets a day for 5 days would be 10.
    request = azithromycin()
    request["dispenseRequest"]["quantity"]["value"] = 10
    [issue] = check(prescription(request))
    assert issue.code == Reason.QUANTITY_INCONSISTENT
    assert "2 × 1/ngày × 1 ngày + 1 × 1/ngày × 4 ngày = 6" in issue.message


def test_published_medrx0302_is_refused_naming_the_step_without_a_length() -> None:
    [issue] = check(prescription(hl7.request(MEDRX0302)))
    assert issue.code == Reason.DAYS_MISSING
    assert issue.expression.endswith("dosageInstruction[0].timing.repeat.bounds")


def test_a_later_step_without_a_dose_is_named() -> None:
    request = azithromycin()
    del request["dosageInstruction"][1]["doseAndRate"]
    [issue] = check(prescription(request))
    assert issue.code == Reason.DOSE_MISSING
    assert "dosageInstruction[1].doseAndRate[0].doseQuantity" in issue.expression


def test_steps_that_leave_no_days_for_the_step_without_a_length_are_refused() -> None:
    request = azithromycin()
    request["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"] = day(5)
    assert codes(request) == [Reason.DAYS_MISSING]


def test_steps_taken_together_add_up_their_doses() -> None:
    # Two instructions of the same sequence: 1 tablet morning and 1 evening, 5 days = 10
    request = azithromycin()
    morning, evening = request["dosageInstruction"]
    for step in (morning, evening):
        step["sequence"] = 1
        step["timing"]["repeat"].pop("boundsDuration", None)
        step["doseAndRate"][0]["doseQuantity"]["value"] = 1
    request["dispenseRequest"]["quantity"]["value"] = 10
    assert codes(request) == []


def test_steps_running_longer_than_the_supply_limit_are_refused() -> None:
    # 1 a day for 20 days, then 1 a day for 20 more: 40 days of an ordinary drug (limit 30),
    # though the days of supply say 5
    request = azithromycin()
    first, second = request["dosageInstruction"]
    first["timing"]["repeat"]["boundsDuration"] = day(20)
    second["timing"]["repeat"]["boundsDuration"] = day(20)
    first["doseAndRate"][0]["doseQuantity"]["value"] = 1
    request["dispenseRequest"]["quantity"]["value"] = 40
    assert codes(request) == [Reason.SUPPLY_LIMIT_EXCEEDED]


@pytest.mark.parametrize(
    ("bounds", "days"),
    [
        ({"boundsPeriod": {"start": "2025-01-16", "end": "2025-01-16"}}, 1),
        ({"count": 2}, 1),  # two intakes at 2 a day: one day
    ],
)
def test_a_step_may_say_its_length_by_period_or_count(bounds: dict[str, Any], days: int) -> None:
    request = azithromycin()
    repeat = request["dosageInstruction"][0]["timing"]["repeat"]
    del repeat["boundsDuration"]
    repeat.update(bounds)
    if "count" in bounds:
        repeat["frequency"] = 2
        request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 1
    assert codes(request) == []
