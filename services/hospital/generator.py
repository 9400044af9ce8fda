"""The built-in generator: coherent synthetic prescriptions from the scenario's country and
catalog, issued open loop on the scenario's schedule (a fixed rate or a day's curve), with the
scenario's share of each deliberate fault (rxsim.domain.rules.registry makes them)."""

import asyncio
import copy
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rxsim.domain.rules.registry import broken
from rxsim.domain.rules.rule import Draw
from rxsim.fhir import bundles, synthetic
from rxsim.scenario import Scenario
from rxsim.scenario.load_curve import due_times
from services.hospital.prescribing import Prescriber

RECENT_CLEAN = 100  # duplicates re-send one of the last clean Bundles, as a retrying system would


@dataclass
class GeneratorRun:
    target: int
    rate: float
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    issued: int = 0
    refused_at_edge: int = 0
    started_at: float = field(default_factory=time.time)
    finished: bool = False
    seed: int | None = None  # of the prescriptions' content and codes (None: the scenario's)
    stopped: bool = False  # by the operator, before its target


def _fault(rng: random.Random, shares: dict[str, float]) -> str | None:
    roll = rng.random()
    for kind, share in shares.items():
        if roll < share:
            return kind
        roll -= share
    return None


def synthetic_prescriptions(
    scenario: Scenario, count: int, today: date | None = None, seed: int | None = None
) -> Iterator[dict[str, Any]]:
    """`count` Bundles, deterministic from `seed` (default: the scenario's; codes included),
    made lazily. `today` decides who is a young child (default: today)."""
    rng = random.Random(f"{scenario.seed if seed is None else seed}:prescriptions")
    prescriber = Prescriber(scenario, today or date.today())
    known_drugs = frozenset(scenario.catalog.drug_by_code)
    shares = scenario.faults.shares
    recent: deque[dict[str, Any]] = deque(maxlen=RECENT_CLEAN)
    for _ in range(count):
        kind = _fault(rng, shares)
        if kind == "duplicate_code" and recent:
            yield copy.deepcopy(rng.choice(recent))
            continue
        plan = prescriber.plan(rng, kind)
        bundle = synthetic.prescription(
            rng,
            code=bundles.new_code(rng, plan.facility.code, plan.type_letter),
            hospital=plan.facility,
            citizen=plan.citizen,
            drugs=list(plan.drugs),
            diagnoses=[d.code for d in plan.diagnoses],
            days=plan.days,
            course=plan.course,
            simulated=True,
        )
        if kind is None or kind == "duplicate_code":
            recent.append(bundle)
        else:
            bundle = broken(kind, bundle, Draw(rng, known_drugs, plan.days, plan.limit))
        yield bundle


async def run(
    run_state: GeneratorRun,
    scenario: Scenario,
    submit: Callable[[dict[str, Any]], Awaitable[bool]],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    start: float | None = None,
    issuable: Callable[[dict[str, Any]], bool] = lambda bundle: True,
) -> None:
    """Open loop: each prescription is due on the scenario's schedule from the start (`start`
    on `clock`'s scale, default now), whatever the pipeline does; `run_state.rate` is the rate
    at the curve's 1.0 (or the fixed rate). A resumed run (`run_state.issued` already more than
    0) passes over the first prescriptions it issued before, counting again those `issuable`
    says the edge refused: the sequence is the same, from the scenario's seed."""
    start = clock() if start is None else start
    schedule = due_times(run_state.rate, scenario.speedup, scenario.load.curve)
    prescriptions = synthetic_prescriptions(scenario, run_state.target, seed=run_state.seed)
    passed, issued_before = 0, run_state.issued
    for bundle, due in zip(prescriptions, schedule, strict=False):
        if passed < issued_before:
            if issuable(bundle):
                passed += 1
            else:
                run_state.refused_at_edge += 1
            continue
        delay = start + due - clock()
        if delay > 0:
            await sleep(delay)
        if run_state.stopped:
            break
        if await submit(bundle):
            run_state.issued += 1
        else:
            run_state.refused_at_edge += 1
    run_state.finished = True
