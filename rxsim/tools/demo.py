"""`rxsim demo`: bring the stack up, run a scenario's prescriptions through it end to end, and
print what happened to every one of them."""

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

import httpx
from rich.console import Console, Group
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rxsim.domain.reasons import Reason
from rxsim.scenario import Scenario
from rxsim.scenario.load_curve import due_times
from rxsim.tools import report_format as fmt
from rxsim.tools.lag import LagSampler
from rxsim.tools.ledger import SIMULATED_STAGES, Ledger
from rxsim.tools.observer import Observer
from rxsim.tools.run_metrics import LagSample
from rxsim.tools.stack import Stack
from schemas.events import State


@dataclass
class DemoResult:
    ledger: Ledger
    generator: dict[str, Any]
    elapsed: float
    scenario: Scenario
    restarts: tuple[str, ...] = ()  # what the supervisor did, as it said it
    lags: tuple[LagSample, ...] = ()  # each service's lag by topic, sampled as it ran
    dead_letters: int = 0

    @property
    def complete(self) -> bool:
        issued = self.generator.get("issued", 0)
        return (
            self.generator.get("finished", False)
            and self.ledger.total >= issued
            and not self.ledger.in_flight()
        )


def issuing_time(scenario: Scenario, count: int, rate: float) -> float:
    """Real seconds until the last prescription is due (the load curve, if any, included)."""
    due = due_times(rate, scenario.speedup, tuple(scenario.load.curve))
    return next(itertools.islice(due, count - 1, None), 0.0)


def patience(scenario: Scenario, count: int, rate: float) -> float:
    """How long to wait for the last prescription: issuing, validity, then a slow courier."""
    behaviour = scenario.behaviour
    worst = (
        scenario.validity.total_seconds()
        + 60
        * (
            behaviour.choice_delay_minutes[1] * 3
            + behaviour.courier_delay_minutes[1] * 3
            + behaviour.pickup_delay_minutes[1]
            + 30
        )
    ) / scenario.speedup
    return (
        issuing_time(scenario, count, rate)
        + max(worst, scenario.validity.total_seconds() / scenario.speedup)
        + 30
    )


async def run_scenario(
    stack: Stack, scenario: Scenario, count: int, rate: float, console: Console
) -> DemoResult:
    observer = Observer(stack.bootstrap)
    await observer.start()
    hospital = stack.settings.url_of("hospital")
    started = time.monotonic()
    give_up = started + patience(scenario, count, rate)
    generator: dict[str, Any] = {}
    lags: list[LagSample] = []
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    try:
        # The generator is an operator's: the demo runs its own stack, so it holds the key.
        operator = stack.auth()
        async with httpx.AsyncClient(base_url=hospital, timeout=10, headers=operator) as client:
            (
                await client.post("/generator/runs", json={"count": count, "rate": rate})
            ).raise_for_status()
            sampler = LagSampler(stack, client)
            with progress:
                issued_bar = progress.add_task("issued", total=count, info="")
                done_bar = progress.add_task("terminal", total=count, info="")
                while time.monotonic() < give_up:
                    generator = (await client.get("/generator/runs/current")).json()
                    lags.append(await sampler.sample())
                    ledger = observer.ledger
                    outcomes = ledger.outcomes()
                    info = "  ".join(f"{k.lower()} {v}" for k, v in sorted(outcomes.items()))
                    progress.update(issued_bar, completed=generator["issued"])
                    progress.update(
                        done_bar,
                        completed=ledger.terminal(),
                        total=max(count, ledger.total),
                        info=info,
                    )
                    result = DemoResult(ledger, generator, time.monotonic() - started, scenario)
                    if result.complete:
                        break
                    if stack.given_up():  # a service stays down: the run cannot complete
                        break
                    await asyncio.sleep(0.5)
    finally:
        await observer.stop()
    restarts = tuple(str(restart) for restart in stack.restarts)
    elapsed = time.monotonic() - started
    return DemoResult(
        observer.ledger, generator, elapsed, scenario, restarts, tuple(lags),
        observer.dead_letters,
    )  # fmt: skip


def _fmt(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 10_000 else f"{ms / 1000:,.1f} s"


def summary(result: DemoResult) -> Group:
    ledger, scenario = result.ledger, result.scenario
    outcomes = ledger.outcomes()
    counts = Table(
        title=f"rxsim demo · scenario {scenario.name} · {result.elapsed:.0f} s",
        show_header=False,
        title_justify="left",
    )
    counts.add_column(style="bold")
    counts.add_column(justify="right")
    counts.add_row("issued", str(ledger.total))
    for state in ("DELIVERED", "PICKED_UP", "REJECTED", "EXPIRED", "CANCELLED"):
        counts.add_row(f"  {state.lower().replace('_', ' ')}", str(outcomes.get(state, 0)))
    for reason, n in sorted(ledger.rejections().items()):
        counts.add_row(f"    rejected: {reason}", str(n))
    counts.add_row(
        "declined by a pharmacy, then re-chosen",
        f"{ledger.declined_then_rechosen()} ({ledger.declines()} declines)",
    )
    counts.add_row(
        "sold in part, rest offered again", str(ledger.with_reason(Reason.PARTIALLY_DISPENSED))
    )
    counts.add_row(
        "cancelled while a pharmacy held it", str(ledger.passed_through(State.PENDING_CANCELLATION))
    )
    counts.add_row("counterfeit / recalled lots blocked", str(ledger.alerts))
    counts.add_row("requests refused (sender told)", str(sum(ledger.refused.values())))
    for what, n in sorted(ledger.refused.items()):
        counts.add_row(f"    {what}", str(n))
    in_flight = ledger.in_flight()
    counts.add_row("still in flight", f"[red]{len(in_flight)}" if in_flight else "0")
    counts.add_row("services restarted", str(len(result.restarts)))
    for line in result.restarts:
        counts.add_row(f"    {line}", "")
    refused = result.generator.get("refused_at_edge", 0)
    if refused:
        counts.add_row("refused at the hospital's edge", str(refused))

    latency = Table(
        title="per-stage latency, real time (scenario: mostly its simulated delays)",
        title_justify="left",
    )
    for column in ("stage", "clock", "n", "p50", "p95", "p99", "simulated p50"):
        latency.add_column(column, justify="left" if column in ("stage", "clock") else "right")
    for label, histogram in ledger.latencies().items():
        n = histogram.get_total_count()
        if not n:
            continue
        p50, p95, p99 = (histogram.get_value_at_percentile(p) for p in (50, 95, 99))
        clock = "scenario" if label in SIMULATED_STAGES else "pipeline"
        # The scenario's clock scales every real duration alike (see run_metrics).
        simulated = fmt.simulated(p50 * scenario.speedup / 60_000) if clock == "scenario" else ""
        latency.add_row(label, clock, str(n), _fmt(p50), _fmt(p95), _fmt(p99), simulated)
    parts: list[Any] = [counts, latency]
    if in_flight:
        named = Table(title="still in flight", title_justify="left")
        named.add_column("prescription")
        named.add_column("submission")
        named.add_column("last state")
        for story in in_flight[:20]:
            named.add_row(story.prescription_id, story.submission_id, story.state)
        parts.append(named)
    return Group(*parts)
