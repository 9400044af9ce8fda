"""`rxsim load`: an open-loop load on a running stack. The sender works in a process of its own
(rxsim.tools.sender); this process follows what the pipeline does with every prescription
(rxsim.tools.observer), samples each service's lag every second, shows it live, waits for
every prescription sent to end, and builds the run's result (rxsim.tools.run_metrics)."""

import asyncio
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.live import Live
from rich.table import Table

from rxsim.scenario import Scenario
from rxsim.tools import run_metrics
from rxsim.tools.demo import patience
from rxsim.tools.lag import LagSampler
from rxsim.tools.ledger import Ledger
from rxsim.tools.load_profile import Profile, Replayed
from rxsim.tools.observer import Observer
from rxsim.tools.process_use import ProcessUse
from rxsim.tools.run_metrics import LagSample, Send, send_of
from rxsim.tools.sender import FromTrace, SendPlan, Synthetic, start_sender
from rxsim.tools.stack import Stack
from rxsim.tools.thresholds import Threshold

# The embedded broker keeps every byte in RAM until it stops: measured on main (its resident
# memory at the end of a run), 74 KB per prescription run to its end over a 10-minute load of
# 30,000 and 84 KB over a bench's 9,600, since the coordinator writes a prescription's
# MedicationRequests to its changelog once (115 KB before); estimated with a margin.
BROKER_BYTES_PER_PRESCRIPTION = 90_000
SAMPLE_EVERY_S = 1.0


class LoadError(RuntimeError):
    """The run cannot be made as asked: the message says why and what to change."""


def machine_memory_mb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e6


def default_budget_mb() -> float:
    """Half the machine's memory: the services, the sender and the system need the rest."""
    return round(machine_memory_mb() / 2)


def estimated_broker_mb(prescriptions: int) -> float:
    return round(prescriptions * BROKER_BYTES_PER_PRESCRIPTION / 1e6, 1)


def check_budget(prescriptions: int, budget_mb: float, embedded: bool) -> None:
    """Refuse, before anything starts, a run that would leave more in the embedded broker's
    memory than the budget."""
    needed = estimated_broker_mb(prescriptions)
    if embedded and needed > budget_mb:
        raise LoadError(
            f"{prescriptions:,} prescriptions would leave about {needed:,.0f} MB in the "
            f"embedded broker's memory (it keeps every message until it stops), over the "
            f"budget of {budget_mb:,.0f} MB: lower --rate or --duration, raise the budget "
            f"with --memory-budget MB (this machine has {machine_memory_mb():,.0f} MB), or "
            f"use an external Kafka (KAFKA_BOOTSTRAP_SERVERS)"
        )


@dataclass(frozen=True)
class LoadPlan:
    command: str  # load | replay
    entry: str
    shape: Profile | Replayed  # what is asked for, second by second
    source: Synthetic | FromTrace | None  # what the sender sends (None: the hospital's generator)
    scenario: Scenario  # the stack's
    thresholds: tuple[Threshold, ...]
    out: Path  # the run's files: <out>.json, <out>.html, <out>.sends.jsonl
    budget_mb: float | None  # None: the run asked for no budget (a demo's size is its scenario's)


@dataclass
class Progress:
    sends: list[Send] = field(default_factory=list)
    lags: list[LagSample] = field(default_factory=list)
    start_at: float | None = None  # the sender's: when its first send was due
    scheduled: int = 0
    _read: int = 0  # bytes of the sends file read so far
    processes: ProcessUse = field(default_factory=ProcessUse)
    # Sends the broker (or the hospital) took and refused, counted as they are read, so that
    # showing them each second does not walk every send.
    accepted: int = field(init=False)
    refused: int = field(init=False)

    def __post_init__(self) -> None:
        self.accepted = sum(1 for send in self.sends if send.accepted)
        self.refused = len(self.sends) - self.accepted

    def read_sends(self, path: Path) -> None:
        """Take the sender's new complete lines."""
        if not path.exists():
            return
        with path.open("rb") as f:
            f.seek(self._read)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(complete)
        for raw in complete.splitlines():
            line = orjson.loads(raw)
            if "start_at" in line:
                self.start_at, self.scheduled = line["start_at"], line["scheduled"]
            else:
                send = send_of(line)
                self.sends.append(send)
                if send.accepted:
                    self.accepted += 1
                else:
                    self.refused += 1


async def run_load(
    stack: Stack, plan: LoadPlan, show: Callable[[Progress, Observer, bool], Any]
) -> tuple[dict[str, Any], Progress]:
    """Send, follow, wait for the end (or patience), and build the result."""
    assert plan.source is not None, "a load run sends from a source of its own"
    sends_path = plan.out.with_suffix(".sends.jsonl")
    sends_path.unlink(missing_ok=True)  # a run before with the same name: not this run's sends
    observer = Observer(stack.bootstrap)
    await observer.start()
    progress = Progress()
    started = time.time()
    sender = start_sender(
        SendPlan(plan.entry, plan.source, stack.bootstrap, stack.settings.url_of("hospital"),
                 sends_path, plan.scenario.seed, stack.settings.token_secret)
    )  # fmt: skip
    drain_s = patience(plan.scenario, 1, 1.0)
    try:
        async with httpx.AsyncClient() as client:
            lags = LagSampler(stack, client)
            while True:
                progress.read_sends(sends_path)
                progress.lags.append(await lags.sample())
                progress.processes.sample(pids_of(stack, sender.pid), time.time())
                sending = sender.is_alive()
                show(progress, observer, sending)
                if not sending and _all_ended(progress, observer):
                    break
                last = progress.start_at or started
                if not sending and time.time() > last + plan.shape.duration_s + drain_s:
                    break  # patience is over: what is left is named as stuck
                if stack.given_up():
                    break
                await asyncio.sleep(SAMPLE_EVERY_S)
    finally:
        sender.join(timeout=10)
        if sender.is_alive():
            sender.kill()
        await observer.stop()
    progress.read_sends(sends_path)
    if progress.start_at is None:
        raise LoadError(f"the sender stopped before its first send (exit {sender.exitcode})")
    result = build_result(
        plan, progress, observer.ledger, observer.dead_letters, started, broker_rss_mb(stack)
    )
    return result, progress


def pids_of(stack: Stack, sender: int | None) -> dict[str, int | None]:
    """The processes whose CPU and memory a run reports: the embedded broker (none for an
    external Kafka), each service, the sender, and this process, which follows the pipeline."""
    return {
        "broker": stack.broker.pid if stack.broker else None,
        **{name: proc.pid for name, proc in stack.processes.items()},
        "sender": sender,
        "follower": os.getpid(),
    }


def _all_ended(progress: Progress, observer: Observer) -> bool:
    ours = own_ledger(observer.ledger, progress.sends)
    return ours.total == progress.accepted and not ours.in_flight()


def own_ledger(ledger: Ledger, sends: list[Send]) -> Ledger:
    """The stories of the prescriptions this run sent: a stack that ran before (a bench's
    earlier steps) has others, which are not this run's to count."""
    ours = {s.submission_id for s in sends if s.accepted}
    return Ledger(
        {sid: story for sid, story in ledger.stories.items() if sid in ours},
        ledger.alerts,
        ledger.refused,
    )


def build_result(
    plan: LoadPlan,
    progress: Progress,
    seen: Ledger,
    dead_letters: int,
    started: float,
    broker_rss: float | None,
) -> dict[str, Any]:
    """The run's result (schemas/reports/run-result.schema.json): `seen` is what the pipeline
    showed, `started` the wall-clock second the run began."""
    assert progress.start_at is not None
    sends = progress.sends
    ledger = own_ledger(seen, sends)
    due = {s.submission_id: s.due for s in sends if s.submission_id}
    until = time.time()
    shape = plan.shape
    result: dict[str, Any] = {
        "version": 1,
        "command": plan.command,
        "scenario": {"name": plan.scenario.name, "speedup": plan.scenario.speedup},
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(),
        "elapsed_s": round(until - started, 1),
        "machine": {
            "cpus": os.cpu_count() or 1,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load": {
            "entry": plan.entry,
            "profile": {
                "kind": shape.kind,
                "rate": shape.rate,
                "description": shape.describe(),
                "points": [list(p) for p in shape.points()],
            },
            "duration_s": shape.duration_s,
            **run_metrics.load_figures(sends, progress.scheduled, shape.duration_s),
        },
        "outcomes": run_metrics.outcomes(ledger, sends, dead_letters),
        "stages": run_metrics.stage_latencies(ledger, due, plan.scenario.speedup),
        "timeline": run_metrics.timeline(
            ledger, sends, progress.lags, progress.start_at, shape.rate_at, until
        ),
    }
    if plan.budget_mb is not None:
        result["memory"] = {
            "budget_mb": plan.budget_mb,
            "estimated_broker_mb": estimated_broker_mb(progress.scheduled),
            "broker_rss_mb": broker_rss,
        }
    processes = progress.processes.summary(len(sends))
    if processes:
        result["processes"] = processes
    result["thresholds"] = [threshold.check(result) for threshold in plan.thresholds]
    outcomes = result["outcomes"]
    result["passed"] = (
        outcomes["lost"] == 0
        and outcomes["in_flight"] == 0
        and not result["load"]["send_errors"]
        and all(t["passed"] for t in result["thresholds"])
    )
    return result


def broker_rss_mb(stack: Stack) -> float | None:
    pid = stack.broker.pid if stack.broker else None
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), None)
    return round(int(kb) / 1000, 1) if kb else None


def live_view(plan: LoadPlan, console: Console) -> tuple[Callable[..., Any], Live | None]:
    """A live table on a terminal; a line every 5 s elsewhere (CI logs, pipes)."""
    live = Live(console=console, refresh_per_second=2) if console.is_terminal else None
    printed = [0.0]

    def show(progress: Progress, observer: Observer, sending: bool) -> None:
        figures = _now(plan, progress, observer, sending)
        if live is not None:
            live.update(_table(plan.command, figures))
        elif time.monotonic() - printed[0] >= 5:
            printed[0] = time.monotonic()
            console.print("  ".join(f"{k} {v}" for k, v in figures.items()), soft_wrap=True)

    return show, live


def _now(plan: LoadPlan, progress: Progress, observer: Observer, sending: bool) -> dict[str, str]:
    now = time.time()
    elapsed = now - progress.start_at if progress.start_at else 0.0
    recent = run_metrics.achieved_rate(progress.sends, now)
    ledger = observer.ledger
    last = progress.lags[-1].lag if progress.lags else {}
    return {
        "elapsed": f"{elapsed:.0f}/{plan.shape.duration_s:g} s" if sending else "draining",
        "target": f"{plan.shape.rate_at(elapsed):g}/s",
        "achieved": f"{recent:.0f}/s",
        "sent": f"{progress.accepted}/{progress.scheduled}",
        "in flight": str(len(ledger.in_flight())),
        "ended": str(ledger.terminal()),
        "errors": str(progress.refused),
        "dead letters": str(observer.dead_letters),
        "lag": " ".join(f"{svc}={sum(t.values())}" for svc, t in last.items()),
    }


def _table(command: str, figures: dict[str, str]) -> Table:
    table = Table(title=f"rxsim {command}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in figures.items():
        table.add_row(key, value)
    return table
