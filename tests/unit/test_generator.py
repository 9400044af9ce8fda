"""The built-in generator: deterministic, coherent synthetic prescriptions that pass the edge and
every national rule, with the scenario's share of deliberate faults, each breaking one rule."""

import asyncio
import itertools
import random
import re
from collections import Counter
from datetime import date
from functools import cache
from typing import Any

import pytest

from rxsim import fhir, scenario
from rxsim.domain.prescription import Prescription
from rxsim.domain.rules import check_prescription
from rxsim.scenario import Faults, Scenario
from rxsim.scenario.faults import FAULT_REASONS
from rxsim.scenario.load_curve import due_times
from services.coordinator.context import Context, context_for
from services.hospital import generator
from services.hospital.generator import GeneratorRun, synthetic_prescriptions
from services.hospital.prescribing import Plan, Prescriber

CODE = re.compile(r"^[0-9a-z]{12}-[cnhy]$")
COUNT = 200


@cache
def pilot() -> Scenario:
    return scenario.load("pilot")


NO_FAULTS = dict.fromkeys(FAULT_REASONS, 0.0)


def with_faults(**shares: float) -> Scenario:
    return pilot().model_copy(update={"faults": Faults(**{**NO_FAULTS, **shares})})


def generate(s: Scenario, count: int = COUNT) -> list[Prescription]:
    return [fhir.parse_prescription(bundle) for bundle in synthetic_prescriptions(s, count)]


def fingerprint(rx: Prescription) -> tuple[object, ...]:
    return (rx.code, rx.facility_code, rx.citizen_id, rx.prescriber_name, rx.items)


def test_the_prescriptions_are_deterministic_for_the_scenario() -> None:
    first = [fingerprint(rx) for rx in generate(pilot())]
    again = [fingerprint(rx) for rx in generate(pilot())]

    assert first == again


def test_another_seed_gives_other_prescriptions() -> None:
    other = pilot().model_copy(update={"seed": pilot().seed + 1})

    assert [rx.code for rx in generate(pilot(), 20)] != [rx.code for rx in generate(other, 20)]


def test_every_generated_bundle_passes_the_edge() -> None:
    # parse_prescription raises on any bundle that would be refused at the edge
    prescriptions = generate(pilot())

    assert len(prescriptions) == COUNT
    assert all(rx.simulated for rx in prescriptions)


def test_codes_follow_the_national_pattern_except_the_deliberately_malformed() -> None:
    # Given the pilot scenario, which makes a share of codes malformed on purpose
    codes = [rx.code for rx in generate(pilot())]
    # Then every code matches the pattern, or is a valid code turned upper case
    malformed = [code for code in codes if not CODE.match(code)]
    assert malformed, "the pilot's malformed_code share should produce at least one"
    assert len(malformed) < len(codes) * 0.1
    assert all(CODE.match(code.lower()) and code != code.lower() for code in malformed)


def test_without_faults_every_code_is_well_formed_unique_and_from_its_facility() -> None:
    s = with_faults()

    prescriptions = generate(s)

    codes = [rx.code for rx in prescriptions]
    assert all(CODE.match(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(rx.code[:5] == rx.facility_code for rx in prescriptions)
    assert all(rx.facility_code in s.onboarded_facilities for rx in prescriptions)


def test_a_malformed_share_of_one_makes_every_code_malformed() -> None:
    codes = [rx.code for rx in generate(with_faults(malformed_code=1.0), 30)]

    assert not [code for code in codes if CODE.match(code)]


def test_a_not_onboarded_share_of_one_sends_from_facilities_not_onboarded() -> None:
    s = with_faults(not_onboarded_facility=1.0)

    facilities = {rx.facility_code for rx in generate(s, 30)}

    assert facilities
    assert not facilities & s.onboarded_facilities


def test_a_duplicate_share_re_uses_codes_already_sent() -> None:
    codes = [rx.code for rx in generate(with_faults(duplicate_code=0.5), 60)]

    assert len(set(codes)) < len(codes)


# Coherent prescriptions that pass every national rule, and faults that break exactly one.


def context(s: Scenario) -> Context:
    """The coordinator's view of the scenario, as services/coordinator/bootstrap.py builds it."""
    return context_for(s)


def without_faults(name: str) -> Scenario:
    return scenario.load(name).model_copy(update={"faults": Faults(**NO_FAULTS)})


def reasons(s: Scenario, count: int) -> list[list[str]]:
    ctx = context(s)
    return [
        [issue.code for issue in check_prescription(fhir.parse_prescription(bundle), ctx)]
        for bundle in synthetic_prescriptions(s, count)
    ]


@pytest.mark.parametrize("name", ["pilot", "national", "peak-day"])
def test_every_prescription_without_a_fault_passes_every_national_rule(name: str) -> None:
    found = reasons(without_faults(name), 200)

    assert [codes for codes in found if codes] == []


@pytest.mark.parametrize("kind", sorted(set(FAULT_REASONS) - {"duplicate_code"}))
def test_each_fault_breaks_its_own_rule_first(kind: str) -> None:
    # Given the national scenario, where every fault can happen, asking for only this one
    s = scenario.load("national").model_copy(update={"faults": Faults(**{**NO_FAULTS, kind: 1})})
    # When prescriptions are generated
    found = reasons(s, 40)
    # Then each is rejected, first for the fault's reason
    assert {codes[0] if codes else "accepted" for codes in found} == {FAULT_REASONS[kind]}


@pytest.mark.parametrize(
    "kind", sorted(set(FAULT_REASONS) - {"duplicate_code", "missing_diagnosis"})
)
def test_each_fault_breaks_nothing_else(kind: str) -> None:
    s = scenario.load("national").model_copy(update={"faults": Faults(**{**NO_FAULTS, kind: 1})})

    assert {tuple(codes) for codes in reasons(s, 40)} == {(FAULT_REASONS[kind],)}


def test_a_duplicate_re_sends_a_bundle_that_went_out_clean() -> None:
    bundles = list(synthetic_prescriptions(with_faults(duplicate_code=0.3), 60))
    codes = [rx_code(b) for b in bundles]

    repeats = [i for i, code in enumerate(codes) if code in codes[:i]]
    assert repeats
    for i in repeats:
        first = bundles[codes.index(codes[i])]
        assert bundles[i] == first and bundles[i] is not first


def rx_code(bundle: dict[str, Any]) -> str:
    return str(bundle["identifier"]["value"])


def test_the_pilots_rejection_reasons_follow_from_its_faults() -> None:
    # Given the pilot's fault kinds, five times as often so that a short run shows them all
    shares = {kind: share * 5 for kind, share in pilot().faults.shares.items()}
    s = pilot().model_copy(update={"faults": Faults(**shares)})
    wanted = {FAULT_REASONS[kind] for kind, share in shares.items() if share}
    wanted.discard("DUPLICATE_CODE")  # the coordinator's memory, not a rule on one Bundle

    found = {codes[0] for codes in reasons(s, 300) if codes}

    assert found == wanted


def plans(name: str, count: int = 400) -> list[Plan]:
    """What the generator prescribes for a fault-free scenario, as it decides it."""
    s = without_faults(name)
    prescriber, rng = Prescriber(s, date.today()), random.Random(1)
    return [prescriber.plan(rng) for _ in range(count)]


def test_drugs_treat_the_diagnoses_they_are_prescribed_for() -> None:
    catalog = scenario.load("national").catalog
    for plan in plans("national"):
        fitting = {drug for d in plan.diagnoses for drug in catalog.drugs_for(d)}
        assert set(plan.drugs) <= fitting, plan
        assert len({drug.type_letter for drug in plan.drugs}) == 1, plan


def test_chronic_conditions_get_long_courses_and_acute_ones_stay_short() -> None:
    for plan in plans("national"):
        assert plan.days <= plan.limit, plan
        if any(d.chronic for d in plan.diagnoses) and plan.type_letter in "cy":
            assert plan.course == "continuous", plan
        if plan.course == "acute":
            assert plan.days <= 10, plan
    longest = max(plan.days for plan in plans("national"))
    assert longest > 30  # chronic supplies of up to 90 days occur


def test_narcotics_come_only_from_facilities_with_beds_and_every_type_occurs() -> None:
    made = plans("peak-day", 1500)

    assert all(plan.facility.inpatient_beds for plan in made if plan.type_letter == "n")
    assert {plan.type_letter for plan in made} == set("cnhy")
    assert {plan.facility.kind for plan in made} == {"hospital", "clinic"}


def test_young_children_get_no_controlled_drugs_and_carry_weight_and_guardian() -> None:
    s = without_faults("peak-day")
    children = [
        rx
        for rx in map(fhir.parse_prescription, synthetic_prescriptions(s, 300))
        if rx.weight_kg is not None
    ]

    assert children
    assert all(rx.guardian and rx.type_letter in "cy" for rx in children)


def test_big_provinces_send_more_prescriptions_than_small_ones() -> None:
    provinces = Counter(plan.facility.province for plan in plans("national", 2000))

    assert provinces["TP. Hồ Chí Minh"] > 5 * provinces["Lai Châu"]


def test_generation_is_lazy() -> None:
    first = list(itertools.islice(synthetic_prescriptions(pilot(), 10**9), 3))

    assert len(first) == 3


def test_the_run_submits_each_prescription_when_the_schedule_says() -> None:
    # Given the peak day, its curve, and a clock that only moves when the generator sleeps
    s = scenario.load("peak-day")
    now = [100.0]
    submitted: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def submit(bundle: dict[str, Any]) -> bool:
        submitted.append(now[0] - 100.0)
        return len(submitted) % 10 != 0  # every tenth refused at the edge

    state = GeneratorRun(target=60, rate=s.load.rate_per_second)
    # When it runs
    asyncio.run(generator.run(state, s, submit, clock=lambda: now[0], sleep=sleep))
    # Then each went out at its due time on the curve, and the run counted them
    due = list(itertools.islice(due_times(s.load.rate_per_second, s.speedup, s.load.curve), 60))
    assert submitted == pytest.approx(due)
    assert (state.issued, state.refused_at_edge, state.finished) == (54, 6, True)
