"""`rxsim bench`: the highest end-to-end rate this machine sustains, per-stage latency at half
of it, and the raw broker pipe measured in the same run.

1. Search: constant loads of `step_s` seconds at rising rates on one stack (each after the
   last one's backlog drained). A rate is sustained when the sender kept to it and the
   services' lag did not grow. After the first rate that
   is not, the search halves the gap between the last sustained and it, `refine` times.
   (`sustained` says exactly how a step is judged.)
2. Measure: a constant load at half the sustained rate, followed to its end as `rxsim load`
   does: per-stage percentiles of its own prescriptions, nothing lost. On the embedded broker
   it runs on a fresh stack: that broker's cost grows with what its partitions hold (README,
   known limits), so after a search of ~15,000 prescriptions it took 18 ms of CPU per
   prescription instead of 6, and the measure showed the search's history, not the rate.
   On an external Kafka, which has no such cost, it runs once the search's prescriptions have
   ended (no topic grows for 5 s) on the same broker.
3. Raw pipe: as many messages as the measure's broker holds (at least 20,000), of the same
   mean size as those of the measure, forwarded through that broker with no processing
   (rxsim.tools.raw_pipe); the ratio of the pipeline's messages per second at its sustained
   rate to the pipe's.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import TopicPartition

from rxsim.scenario import Scenario
from rxsim.tools import raw_pipe
from rxsim.tools.demo import patience
from rxsim.tools.lag import LagSampler
from rxsim.tools.load import LoadPlan, Progress, estimated_broker_mb, run_load
from rxsim.tools.load_profile import Profile
from rxsim.tools.replay import StillGrowing, end_offsets, wait_until_quiet
from rxsim.tools.sender import SendPlan, Synthetic, start_sender
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas.topics import ALL_TOPICS

DRAIN_LAG = 20  # events: the backlog counted as drained
# How fast the lag may grow over a step that is sustained, as a share of the events written per
# second: sampling noise of a pipeline that keeps up stays well under it (+1.5/s at 101/s).
GROWTH_ALLOWED = 0.02
DRAIN_TIMEOUT_S = 120.0
QUIET_S = 5.0  # no topic growing for this long: the search's prescriptions have ended
RAW_PIPE_AT_LEAST = 20_000  # messages: fewer would measure the first fetch's wait, not a rate


@dataclass(frozen=True)
class BenchPlan:
    scenario: Scenario
    scenario_name: str
    speedup: float | None
    start_rate: float = 20.0
    max_rate: float = 1_000.0
    growth: float = 1.5  # each step's rate over the last one's, until one is not sustained
    step_s: float = 20.0
    refine: int = 2
    measure_s: float = 30.0
    seed: int = 1
    budget_mb: float = 4_000.0  # what the run may leave in the embedded broker


@dataclass
class Step:
    rate: float
    achieved: float
    lag_trend_per_s: float  # events per second the services' lag grew by, over the step
    lag_at_end: int
    sustained: bool


@dataclass
class BenchResult:
    steps: list[Step] = field(default_factory=list)
    sustained_rate: float = 0.0
    measure: dict[str, Any] | None = None  # the measure run's full result (run-result schema)
    messages_per_prescription: float = 0.0
    mean_message_bytes: int = 0
    pipeline_messages_per_s: float = 0.0
    raw_pipe_messages_per_s: float = 0.0
    measure_stack: str = "search"  # "fresh": the measure and the raw pipe had a stack of their own

    @property
    def ratio(self) -> float:
        if not self.raw_pipe_messages_per_s:
            return 0.0
        return self.pipeline_messages_per_s / self.raw_pipe_messages_per_s

    def figures(self) -> dict[str, Any]:
        """The `bench` part of the run's result (the measure run's result holds the rest)."""
        return {
            "sustained_rate": self.sustained_rate,
            "steps": [asdict(step) for step in self.steps],
            "messages_per_prescription": round(self.messages_per_prescription, 2),
            "mean_message_bytes": self.mean_message_bytes,
            "pipeline_messages_per_s": round(self.pipeline_messages_per_s, 1),
            "raw_pipe_messages_per_s": round(self.raw_pipe_messages_per_s, 1),
            "ratio_to_raw_pipe": round(self.ratio, 4),
            "measure_stack": self.measure_stack,
        }


def sustained(
    rate: float, achieved: float, events_per_s: float, lags: list[tuple[float, int]]
) -> tuple[float, int, bool]:
    """(trend in events per second, lag at the end, sustained?) from (second, total lag)
    samples over a step: the trend is the least-squares slope over its last two thirds. Lag
    counts events, so it is judged against the events the pipeline wrote per second
    (`events_per_s`): sustained when the sender kept to the rate, the lag grew by under
    GROWTH_ALLOWED of the events per second, and at the end it was under one second of them.
    (At 5% and two seconds, a step whose coordinator fell 85 events a second further behind
    passed, and half its rate then kept prescriptions a second from the citizen's app.)"""
    if not lags:
        return 0.0, 0, False
    tail = lags[len(lags) // 3 :] or lags
    n = len(tail)
    mean_t = sum(t for t, _ in tail) / n
    mean_l = sum(lag for _, lag in tail) / n
    spread = sum((t - mean_t) ** 2 for t, _ in tail)
    trend = sum((t - mean_t) * (lag - mean_l) for t, lag in tail) / spread if spread else 0.0
    end = lags[-1][1]
    kept_up = achieved >= 0.95 * rate
    held = trend <= GROWTH_ALLOWED * events_per_s and end <= events_per_s + DRAIN_LAG
    return trend, end, kept_up and held


async def run_bench(
    stack: Stack,
    fresh: Callable[[], Stack],
    plan: BenchPlan,
    out: Path,
    say: Callable[[str], None],
) -> BenchResult:
    """Search on `stack`, then measure (see the module's docstring); `fresh` starts another
    stack, which the caller stops."""
    result = BenchResult()
    async with httpx.AsyncClient() as client:
        lags = LagSampler(stack, client)
        good, bad, refined, asked = 0.0, None, 0, 0
        rate, seed = plan.start_rate, plan.seed
        while True:
            asked += int(rate * plan.step_s)
            if estimated_broker_mb(asked + int(rate * plan.measure_s)) > plan.budget_mb:
                say(f"{rate:,.0f}/s would take the broker past its memory budget: stopped here")
                break
            step = await _step(stack, lags, plan, rate, seed, out)
            result.steps.append(step)
            seed += 1
            say(
                f"{rate:,.0f}/s: sent {step.achieved:,.0f}/s, lag trend "
                f"{step.lag_trend_per_s:+,.1f}/s, {step.lag_at_end} behind at the end: "
                + ("sustained" if step.sustained else "not sustained")
            )
            await _drain(lags)
            if step.sustained:
                good = max(good, rate)
            else:
                bad = rate if bad is None else min(bad, rate)
            if bad is None:  # still climbing
                if rate * plan.growth > plan.max_rate:
                    break
                rate *= plan.growth
                continue
            if refined >= plan.refine:
                break
            refined += 1
            rate = (good + bad) / 2 if good else bad / 2
            if rate < 1:
                break
        result.sustained_rate = good
    if not good:
        return result
    if stack.broker is not None:
        say("a fresh stack for the measure (the embedded broker slows with what it holds)…")
        await asyncio.to_thread(stack.stop)
        stack = await asyncio.to_thread(fresh)
        result.measure_stack = "fresh"
    else:
        # The search's prescriptions go on living (choices, pharmacies, couriers, expiries)
        # long after their step: measured among them, the half rate would carry their load.
        say("waiting for the search's prescriptions to end…")
        with contextlib.suppress(StillGrowing):
            await asyncio.to_thread(
                wait_until_quiet, stack.bootstrap, QUIET_S, patience(plan.scenario, 1, 1.0)
            )
    before = await asyncio.to_thread(end_offsets, stack.bootstrap)
    half = Profile("constant", round(good / 2, 1), plan.measure_s)
    say(f"measuring at half of it: {half.describe()}")
    measure_plan = LoadPlan(
        "bench", "kafka", half, Synthetic(half, plan.scenario_name, plan.speedup, seed),
        plan.scenario, (), out / "bench-measure", plan.budget_mb,
    )  # fmt: skip
    measured, _ = await run_load(stack, measure_plan, lambda *_: None)
    result.measure = measured
    after = await asyncio.to_thread(end_offsets, stack.bootstrap)
    written = _written(before, after)
    prescriptions = max(1, measured["load"]["sent"])
    result.messages_per_prescription = written / prescriptions
    result.mean_message_bytes = await asyncio.to_thread(_mean_bytes, stack.bootstrap, before)
    result.pipeline_messages_per_s = good * result.messages_per_prescription
    everything = sum(after.values())  # every message on the measure's broker
    hop_events = max(everything, RAW_PIPE_AT_LEAST)
    say(f"raw pipe: {hop_events:,} messages of {result.mean_message_bytes:,} bytes")
    pipe = await raw_pipe.measure(stack.bootstrap, hop_events, result.mean_message_bytes)
    result.raw_pipe_messages_per_s = pipe.per_second
    return result


async def _step(
    stack: Stack, sampler: LagSampler, plan: BenchPlan, rate: float, seed: int, out: Path
) -> Step:
    sends_path = out / f"bench-step-{seed}.sends.jsonl"
    sends_path.unlink(missing_ok=True)  # an earlier bench's step: not this one's sends
    profile = Profile("constant", rate, plan.step_s)
    sender = start_sender(
        SendPlan("kafka", Synthetic(profile, plan.scenario_name, plan.speedup, seed),
                 stack.bootstrap, stack.settings.url_of("hospital"), sends_path,
                 plan.scenario.seed, stack.settings.token_secret)
    )  # fmt: skip
    progress = Progress()
    lags: list[tuple[float, int]] = []
    before = await asyncio.to_thread(end_offsets, stack.bootstrap)
    while sender.is_alive():
        sample = await sampler.sample()
        progress.read_sends(sends_path)
        if progress.start_at is not None:
            lags.append((sample.at - progress.start_at, sample.total))
        await asyncio.sleep(0.5)
    sender.join()
    after = await asyncio.to_thread(end_offsets, stack.bootstrap)
    progress.read_sends(sends_path)
    sent = [s for s in progress.sends if s.accepted]
    achieved = len(sent) / plan.step_s
    events_per_s = _written(before, after) / plan.step_s
    trend, end, ok = sustained(rate, achieved, events_per_s, lags)
    return Step(rate, round(achieved, 1), round(trend, 2), end, ok)


async def _drain(sampler: LagSampler) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        sample = await sampler.sample()
        if sample.total <= DRAIN_LAG:
            return
        await asyncio.sleep(0.5)


def _mean_bytes(bootstrap: str, since: dict[Any, int]) -> int:
    """The mean size of the messages written after the `since` offsets."""
    total = count = 0
    for record in read(bootstrap, [t.name for t in ALL_TOPICS]):
        if record.offset >= since.get(TopicPartition(record.topic, record.partition), 0):
            total += len(record.value or b"")
            count += 1
    return total // count if count else 0


def _written(before: dict[Any, int], after: dict[Any, int]) -> int:
    """Messages written between two readings of every topic's end offsets."""
    return sum(end - before.get(tp, 0) for tp, end in after.items())
