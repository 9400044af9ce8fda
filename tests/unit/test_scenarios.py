"""Scenarios as files: each one loads, says what it onboards, and shapes its load; the peak
day's curve has its morning and afternoon peaks, and its schedule follows the curve."""

import itertools
from pathlib import Path

import pytest
from pydantic import ValidationError

from rxsim import scenario
from rxsim.domain.reference.country import PROVINCES
from rxsim.scenario import Load, Scenario
from rxsim.scenario.faults import FAULT_REASONS, Faults
from rxsim.scenario.load_curve import due_times, relative_rate

NAMES = ("pilot", "national", "peak-day")


@pytest.mark.parametrize("path", scenario.available(), ids=lambda p: p.stem)
def test_every_scenario_file_loads_under_its_own_name(path: Path) -> None:
    loaded = scenario.load(str(path))

    assert loaded.name == path.stem
    assert loaded.onboarded_facilities
    assert len(loaded.description) <= 70  # one line in `rxsim scenarios`


def test_the_three_rollout_scenarios_are_shipped() -> None:
    assert set(NAMES) <= {path.stem for path in scenario.available()}


def test_the_pilot_onboards_hospitals_of_a_few_provinces_only() -> None:
    pilot = scenario.load("pilot")
    facilities = [pilot.country.facility_by_code[code] for code in pilot.onboarded_facilities]

    assert {f.province for f in facilities} == set(pilot.population.onboarded_provinces)
    assert len(pilot.population.onboarded_provinces) < 34
    assert {f.kind for f in facilities} == {"hospital"}


def test_national_onboards_every_hospital_in_the_34_provinces_but_no_clinic_yet() -> None:
    national = scenario.load("national")
    country = national.country

    assert national.population.onboarded_provinces == [name for name, _ in PROVINCES]
    assert national.onboarded_facilities == {h.code for h in country.hospitals}
    assert country.clinics  # known, so their prescriptions are refused as not onboarded


def test_the_peak_day_onboards_clinics_too() -> None:
    peak = scenario.load("peak-day")

    assert peak.onboarded_facilities == {f.code for f in peak.country.facilities}


def test_the_peak_day_curve_has_a_morning_and_an_afternoon_peak_and_a_quiet_lunch() -> None:
    curve = scenario.load("peak-day").load.curve
    rate = [relative_rate(curve, hour / 2) for hour in range(48)]  # every half hour

    peaks = [i / 2 for i in range(1, 47) if rate[i - 1] + 1e-9 < rate[i] >= rate[i + 1]]
    assert len(peaks) == 2
    morning, afternoon = peaks
    assert 8 <= morning <= 11 and 14 <= afternoon <= 17
    lunch = min(rate[int(morning * 2) : int(afternoon * 2)])
    assert lunch < 0.5 * min(rate[int(morning * 2)], rate[int(afternoon * 2)])
    assert rate[2 * 3] < 0.2 and rate[2 * 23] < 0.2  # night


def test_the_curve_is_linear_between_points_and_flat_beyond_them() -> None:
    curve = [(8.0, 0.2), (10.0, 1.0), (12.0, 0.6)]

    assert relative_rate(curve, 9) == pytest.approx(0.6)
    assert relative_rate(curve, 11.5) == pytest.approx(0.7)
    assert relative_rate(curve, 3) == 0.2
    assert relative_rate(curve, 20) == 0.6


def test_without_a_curve_prescriptions_are_evenly_spaced_at_the_rate() -> None:
    assert list(itertools.islice(due_times(4, 14_400), 5)) == [0, 0.25, 0.5, 0.75, 1.0]


def _count_in(times: list[float], start: float, end: float) -> int:
    return sum(start <= t < end for t in times)


def test_the_schedule_issues_in_proportion_to_the_curve() -> None:
    # Given a rate of 10/s at 1.0 and one simulated hour per real second
    curve = [(8.0, 1.0), (9.0, 1.0), (9.001, 0.25), (10.0, 0.25)]
    times = list(itertools.islice(due_times(10, 3600, curve), 100))
    # Then the 08:00-09:00 hour issues 10, the 09:00-10:00 hour a quarter of that
    assert _count_in(times, 0, 1) == 10
    assert _count_in(times, 1.01, 2) == pytest.approx(2.5, abs=1)
    assert times == sorted(times)


def test_the_peak_days_schedule_is_busiest_at_its_peaks_and_simulated_at_its_speedup() -> None:
    peak = scenario.load("peak-day")
    load = peak.load
    times = list(itertools.islice(due_times(load.rate_per_second, peak.speedup, load.curve), 5000))
    real_per_hour = 3600 / peak.speedup

    def issued(hour: float) -> int:  # in the simulated hour starting at `hour`
        start = (hour - load.curve[0][0]) * real_per_hour
        return _count_in(times, start, start + real_per_hour)

    assert issued(9) > 2 * issued(12) and issued(15) > 2 * issued(12)
    assert issued(9) > 3 * issued(6)  # 06:00-07:00 averages 0.25
    # Each hour issues what the curve says: rate x mean relative rate over the hour
    for hour in (6, 9, 12.5, 15, 20):
        mean = sum(relative_rate(load.curve, hour + k / 600) for k in range(600)) / 600
        expected = load.rate_per_second * mean * real_per_hour
        assert issued(hour) == pytest.approx(expected, abs=1.5), hour
    # Its prescriptions are about what the curve issues by the evening
    assert 18 <= times[load.prescriptions - 1] / real_per_hour + load.curve[0][0] <= 22


@pytest.mark.parametrize(
    "curve",
    [[(9.0, 1.0), (8.0, 0.5)], [(8.0, 1.0), (8.0, 0.5)], [(8.0, 0.0)], [(25.0, 1.0)], [(8.0, -1)]],
)
def test_a_curve_that_is_not_a_day_is_refused(curve: list[tuple[float, float]]) -> None:
    with pytest.raises(ValidationError, match="curve"):
        Load(curve=curve)


def test_every_fault_kind_has_a_share_and_they_cannot_exceed_the_whole() -> None:
    assert set(Faults().shares) == set(FAULT_REASONS)
    with pytest.raises(ValidationError, match="more than 1"):
        Faults(bad_cccd=0.6, missing_diagnosis=0.6)


def test_rule_switches_and_limits_come_from_the_scenario() -> None:
    national = scenario.load("national")

    assert national.rules.home_delivery_of_controlled is False
    assert national.validity.days == national.rules.validity_days


def test_loading_is_deterministic_and_the_country_follows_the_seed() -> None:
    first, again = scenario.load("national"), scenario.load("national")
    other = Scenario.model_validate({**first.model_dump(by_alias=True), "seed": first.seed + 1})

    assert first == again
    assert first.country.citizens == again.country.citizens
    assert other.country.citizens != first.country.citizens
    # a copy with another seed must not keep the first country
    assert first.model_copy(update={"seed": 7}).country.seed == 7


def test_all_provinces_can_be_named_at_once_and_unknown_ones_are_refused() -> None:
    pilot = scenario.load("pilot").model_dump(by_alias=True)

    everyone = {**pilot, "population": {**pilot["population"], "onboarded_provinces": ["all"]}}
    assert len(Scenario.model_validate(everyone).population.onboarded_provinces) == 34
    nowhere = {**pilot, "population": {**pilot["population"], "onboarded_provinces": ["Sài Gòn"]}}
    with pytest.raises(ValidationError, match="unknown provinces"):
        Scenario.model_validate(nowhere)


def test_an_unknown_scenario_names_the_available_ones() -> None:
    with pytest.raises(FileNotFoundError, match="pilot"):
        scenario.load("nowhere")


def test_a_fault_the_population_cannot_produce_is_refused_when_the_scenario_loads() -> None:
    national = scenario.load("national").model_dump(by_alias=True)
    everyone = {**national["population"], "onboarded_kinds": ["hospital", "clinic"]}

    with pytest.raises(ValidationError, match="not_onboarded_facility"):
        Scenario.model_validate({**national, "population": everyone})
