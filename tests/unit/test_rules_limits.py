"""Where the rules draw their lines: TT 26/2025 supply limits by type, diagnosis and course,
the child's 72 months, and the quantity a dosage uses up (rounded up to a whole unit)."""

import random
from datetime import date
from typing import Any

import pytest

from rxsim import fhir
from rxsim.domain.reference.country import DRUGS, Citizen, cccd_for
from rxsim.domain.rules.switches import Rules, age_in_months
from tests.support import rule_faults as faults

from .test_rules import PLACE, check

PSYCHOTROPIC = next(d for d in DRUGS if d.type_letter == "h")


def codes(bundle: dict[str, Any], **rules: Any) -> list[str]:
    return [issue.code for issue in check(bundle, **rules)]


@pytest.mark.parametrize(
    ("drug", "diagnosis", "course", "limit"),
    [
        (faults.ORDINARY, "J06.9", "acute", 30),
        (faults.ORDINARY, "I10", "continuous", 90),  # hypertension: on the chronic list
        (faults.NARCOTIC, "S82.2", "acute", 7),  # a fracture: acute pain
        (faults.NARCOTIC, "C34.9", "continuous", 30),  # cancer
        (PSYCHOTROPIC, "F41.1", "acute", 10),
        (PSYCHOTROPIC, "G40.9", "continuous", 30),  # long-term
    ],
    ids=["ordinary", "chronic", "narcotic-acute", "narcotic-cancer", "psycho-acute", "psycho-long"],
)
def test_the_supply_limit_allows_its_last_day_and_refuses_the_next(
    drug: Any, diagnosis: str, course: str, limit: int
) -> None:
    def bundle(days: int) -> dict[str, Any]:
        return faults.prescription(
            PLACE, drugs=(drug,), diagnoses=[diagnosis], course=course, days=days
        )

    assert codes(bundle(limit)) == []
    [issue] = check(bundle(limit + 1))
    assert issue.code == "SUPPLY_LIMIT_EXCEEDED"
    assert issue.expression.endswith("dispenseRequest.expectedSupplyDuration")
    assert f"tối đa {limit} ngày" in issue.message


def test_a_psychotropic_for_a_chronic_condition_is_acute_unless_the_course_says_otherwise() -> None:
    bundle = faults.prescription(
        PLACE, drugs=(PSYCHOTROPIC,), diagnoses=["G40.9"], course="acute", days=11
    )

    assert codes(bundle) == ["SUPPLY_LIMIT_EXCEEDED"]


def test_an_ordinary_drug_for_an_unlisted_condition_is_limited_to_30_days_even_long_term() -> None:
    bundle = faults.prescription(PLACE, diagnoses=["J06.9"], course="continuous", days=31)

    assert codes(bundle) == ["SUPPLY_LIMIT_EXCEEDED"]


def test_an_icd10_cancer_code_outside_the_catalog_still_counts_as_cancer() -> None:
    bundle = faults.prescription(PLACE, drugs=(faults.NARCOTIC,), diagnoses=["C61"], days=30)

    assert codes(bundle) == []


def test_a_scenario_may_change_a_limit() -> None:
    bundle = faults.prescription(PLACE, days=20)

    assert codes(bundle, ordinary_max_days=14) == ["SUPPLY_LIMIT_EXCEEDED"]


BORN = date(2020, 1, 15)
CHILD = Citizen(
    cccd_for(random.Random(3), "Hà Nội", BORN, "female"), "Lê Thị Na", BORN, "female", "Hà Nội", "x"
)


def without_weight_and_guardian(authored: date) -> dict[str, Any]:
    bundle = faults.prescription(PLACE, citizen=CHILD, weight_kg=18.0, guardian="Lê Văn Ba")
    faults.resources(bundle, "Patient")[0].pop("contact")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Observation"]
    for request in faults.resources(bundle, "MedicationRequest"):
        request["authoredOn"] = authored.isoformat()
    return bundle


def test_age_in_months_counts_full_months() -> None:
    assert age_in_months(BORN, date(2025, 12, 15)) == 71
    assert age_in_months(BORN, date(2026, 1, 14)) == 71
    assert age_in_months(BORN, date(2026, 1, 15)) == 72


def test_a_child_of_71_months_needs_weight_and_guardian() -> None:
    bundle = without_weight_and_guardian(date(2026, 1, 14))

    assert codes(bundle) == ["CHILD_WEIGHT_MISSING", "CHILD_GUARDIAN_MISSING"]


def test_a_child_of_72_months_needs_neither() -> None:
    bundle = without_weight_and_guardian(date(2026, 1, 15))

    assert codes(bundle) == []


def test_the_child_age_is_a_scenario_limit() -> None:
    bundle = without_weight_and_guardian(date(2026, 1, 15))

    assert codes(bundle, child_age_months=73) == ["CHILD_WEIGHT_MISSING", "CHILD_GUARDIAN_MISSING"]


def test_the_limits_default_to_the_regulation() -> None:
    rules = Rules()
    assert (rules.ordinary_max_days, rules.chronic_max_days) == (30, 90)
    assert (rules.narcotic_acute_max_days, rules.narcotic_cancer_max_days) == (7, 30)
    assert (rules.psychotropic_acute_max_days, rules.psychotropic_long_term_max_days) == (10, 30)
    assert (rules.child_age_months, rules.known_diagnoses_only) == (72, False)
    assert rules.home_delivery_of_controlled is False


# --- quantity = dose x times per day x days ------------------------------------------------


def dosed(dose: float, quantity: float, days: int = 5) -> dict[str, Any]:
    """Amoxicillin (3 times a day) at `dose` tablets for `days` days, `quantity` dispensed."""
    bundle = faults.prescription(PLACE, days=days)
    request = faults.request(bundle)
    request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = dose
    request["dispenseRequest"]["quantity"]["value"] = quantity
    return bundle


@pytest.mark.parametrize(
    ("dose", "quantity", "accepted"),
    [
        (1, 15, True),
        (1, 14, False),
        (1, 16, False),
        (0.5, 7.5, True),  # exactly what the dosage uses
        (0.5, 8, True),  # rounded up to a whole tablet
        (0.5, 7, False),  # too few
        (0.5, 9, False),  # more than rounding up
    ],
)
def test_the_quantity_is_what_the_dosage_uses_up_rounded_up_at_most(
    dose: float, quantity: float, accepted: bool
) -> None:
    assert faults.ORDINARY.daily_units == 3
    expected = [] if accepted else ["QUANTITY_INCONSISTENT"]
    assert codes(dosed(dose, quantity)) == expected


def test_dose_and_quantity_in_different_units_are_inconsistent() -> None:
    bundle = faults.prescription(PLACE)
    faults.request(bundle)["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["unit"] = "mg"

    [issue] = check(bundle)

    assert issue.code == "QUANTITY_INCONSISTENT"
    assert "'mg'" in issue.message


@pytest.mark.parametrize(
    ("timing", "per_day"),
    [
        ({"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}}, 3),
        ({"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}}, 3),
        ({"repeat": {"frequency": 3, "period": 1, "periodUnit": "wk"}}, 3 / 7),
        ({"code": {"coding": [{"code": "TID"}]}}, 3),
        ({"code": {"coding": [{"code": "QD"}]}}, 1),
        ({"repeat": {"count": 1}}, None),  # a single dose: no times per day
        ({"event": ["2025-09-01"]}, None),
    ],
)
def test_times_per_day_are_read_from_repeat_or_from_a_timing_code(
    timing: dict[str, Any], per_day: float | None
) -> None:
    bundle = faults.prescription(PLACE)
    faults.request(bundle)["dosageInstruction"][0]["timing"] = timing

    [item] = fhir.parse_prescription(bundle).items

    assert item.times_per_day == (pytest.approx(per_day) if per_day else None)
