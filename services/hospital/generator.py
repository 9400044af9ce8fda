"""The built-in generator: synthetic prescriptions at a fixed rate, open loop, with the
scenario's share of deliberate faults (facility not onboarded, duplicate code, bad code)."""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rxsim.country import DRUGS
from rxsim.scenario import Scenario
from services.hospital import bundles


@dataclass
class GeneratorRun:
    target: int
    rate: float
    issued: int = 0
    refused_at_edge: int = 0
    started_at: float = field(default_factory=time.time)
    finished: bool = False


def synthetic_prescriptions(scenario: Scenario, count: int) -> Iterator[dict[str, Any]]:
    """`count` Bundles, deterministic from the scenario's seed (codes included)."""
    rng = random.Random(f"{scenario.seed}:prescriptions")
    country, faults = scenario.country, scenario.faults
    onboarded = [h for h in country.hospitals if h.code in scenario.onboarded_facilities]
    others = [h for h in country.hospitals if h.code not in scenario.onboarded_facilities]
    by_province: dict[str, list[Any]] = {}
    for person in country.citizens:
        by_province.setdefault(person.province, []).append(person)
    # Duplicates re-send a code that went out clean, so each lands as DUPLICATE_CODE.
    clean_codes: list[str] = []
    for _ in range(count):
        roll = rng.random()
        hospital = rng.choice(
            others if roll < faults.not_onboarded_facility and others else onboarded
        )
        local = by_province[hospital.province]
        citizen = rng.choice(local if rng.random() < 0.8 else country.citizens)
        code = bundles.new_code(rng, hospital.code)
        roll -= faults.not_onboarded_facility
        if 0 <= roll < faults.duplicate_code and clean_codes:
            code = rng.choice(clean_codes)
        elif 0 <= roll - faults.duplicate_code < faults.malformed_code:
            code = code.upper()
        elif roll >= 0:
            clean_codes.append(code)
        drugs = rng.sample([d for d in DRUGS if d.type_letter == "c"], rng.randint(1, 3))
        yield bundles.prescription(rng, code=code, hospital=hospital, citizen=citizen, drugs=drugs)


async def run(
    run_state: GeneratorRun, scenario: Scenario, submit: Callable[[dict[str, Any]], Awaitable[bool]]
) -> None:
    """Open loop: the i-th prescription is due at start + i/rate, whatever the pipeline does."""
    start = time.monotonic()
    for index, bundle in enumerate(synthetic_prescriptions(scenario, run_state.target)):
        delay = start + index / run_state.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if await submit(bundle):
            run_state.issued += 1
        else:
            run_state.refused_at_edge += 1
    run_state.finished = True
