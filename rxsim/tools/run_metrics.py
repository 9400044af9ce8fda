"""A load run's figures, as plain data for its JSON result: per-stage latency in HDR
histograms, the timeline second by second, and the loss accounting.

Stages that start at the issue are measured from when each send was due, not from when it
left: a sender that fell behind must not make the pipeline look fast (coordinated omission).
"""

import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hdrh.histogram import HdrHistogram

from rxsim.tools.ledger import Ledger, Story
from schemas.events import State

MAX_MS = 3_600_000  # an hour: longer is recorded as an hour


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    clock: str  # pipeline: the services' own work; scenario: mostly simulated delays
    start: State | None  # None: when the send was due
    end: State | None  # None: the first terminal state


STAGES = (
    Stage("validated", "issued → validated", "pipeline", None, State.VALIDATED),
    Stage("visible", "issued → in the citizen's app", "pipeline", None, State.AVAILABLE),
    Stage("chosen", "in the app → pharmacy chosen", "scenario", State.AVAILABLE, State.ORDERED),
    Stage("accepted", "chosen → accepted by pharmacy", "pipeline", State.ORDERED, State.ACCEPTED),
    Stage("dispensed", "accepted → dispensed", "scenario", State.ACCEPTED, State.DISPENSED),
    Stage("delivered", "dispensed → delivered", "scenario", State.DISPENSED, State.DELIVERED),
    Stage("picked_up", "dispensed → picked up", "scenario", State.DISPENSED, State.PICKED_UP),
    Stage("terminal", "issued → terminal", "scenario", None, None),
)
STAGE_IDS = tuple(stage.id for stage in STAGES)


@dataclass(frozen=True)
class Send:
    """One line of the sender's output."""

    n: int
    due: float  # wall-clock seconds
    sent: float
    acked: float | None
    submission_id: str | None
    error: str | None
    status: int | None = None  # http entry: the hospital's answer

    @property
    def accepted(self) -> bool:
        return self.error is None and self.submission_id is not None and self.status in (None, 202)


def send_of(line: dict[str, Any]) -> Send:
    return Send(
        line["n"], line["due"], line["sent"], line.get("acked"),
        line.get("submission_id"), line.get("error"), line.get("status"),
    )  # fmt: skip


# The live "achieved" rate: sends made over this many seconds, ending this long ago. A send's
# line is written once the broker acknowledged it, and the run reads the lines while it has
# time: over the last second alone, a busy machine showed 0-40/s from a sender on time.
ACHIEVED_WINDOW_S = 5.0
ACHIEVED_SETTLE_S = 1.0


def achieved_rate(sends: list[Send], now: float) -> float:
    """Accepted sends per second over the ACHIEVED_WINDOW_S before the last ACHIEVED_SETTLE_S
    (`sends` as the sender wrote them, in about the order they were sent: the count stops at
    the first one older than the window)."""
    end, start = now - ACHIEVED_SETTLE_S, now - ACHIEVED_SETTLE_S - ACHIEVED_WINDOW_S
    count = 0
    for send in reversed(sends):
        if send.sent <= start:
            break
        if send.sent <= end and send.accepted:
            count += 1
    return count / ACHIEVED_WINDOW_S


def histogram() -> HdrHistogram:
    return HdrHistogram(1, MAX_MS, 3)


def record_ms(hist: HdrHistogram, ms: float) -> None:
    hist.record_value(max(1, min(int(ms), MAX_MS)))


def percentiles(hist: HdrHistogram) -> dict[str, Any]:
    n = hist.get_total_count()
    if not n:
        return {"n": 0, "p50": 0, "p90": 0, "p99": 0, "p999": 0, "max": 0, "mean": 0}
    at = hist.get_value_at_percentile
    return {
        "n": n, "p50": at(50), "p90": at(90), "p99": at(99), "p999": at(99.9),
        "max": hist.get_max_value(), "mean": round(hist.get_mean_value(), 1),
    }  # fmt: skip


def _seconds(at: datetime | None) -> float | None:
    return None if at is None else at.replace(tzinfo=at.tzinfo or UTC).timestamp()


def _began(story: Story, stage: Stage, due: dict[str, float]) -> float | None:
    if stage.start is None:
        issued = _seconds(story.issued_at)
        return due.get(story.submission_id, issued)
    return _seconds(story.last(stage.start))


def _ended(story: Story, stage: Stage) -> float | None:
    if stage.end is None:
        return _seconds(story.terminal_at)
    return _seconds(story.first(stage.end) if stage.start is None else story.last(stage.end))


def simulated_minutes(latency_ms: dict[str, Any], speedup: float) -> dict[str, float]:
    """A stage's real-time percentiles as the scenario's clock counts them (simulated minutes):
    the simulated clock runs `speedup` times as fast as real time, so a real duration is
    `speedup` times as long in simulated time. For the scenario's stages, whose time is mostly
    simulated delays (people deciding, couriers riding); the pipeline's own share is in them
    too, scaled alike, so a pipeline that falls behind makes people look slower."""
    return {p: round(latency_ms[p] * speedup / 60_000, 1) for p in ("p50", "p90", "p99", "max")}


def stage_latencies(
    ledger: Ledger, due: dict[str, float], speedup: float | None = None
) -> list[dict[str, Any]]:
    """Each stage's percentiles; `due`: when each submission's send was due; `speedup`: the
    scenario's clock, for the scenario stages' simulated minutes."""
    out = []
    for stage in STAGES:
        hist = histogram()
        for story in ledger.stories.values():
            began, ended = _began(story, stage, due), _ended(story, stage)
            if began is not None and ended is not None and ended >= began:
                record_ms(hist, (ended - began) * 1000)
        figures: dict[str, Any] = {
            "id": stage.id, "label": stage.label, "clock": stage.clock,
            "latency_ms": percentiles(hist),
        }  # fmt: skip
        if stage.clock == "scenario" and speedup is not None:
            figures["simulated_minutes"] = simulated_minutes(figures["latency_ms"], speedup)
        out.append(figures)
    return out


def outcomes(ledger: Ledger, sends: list[Send], dead_letters: int) -> dict[str, Any]:
    """issued = terminal + in flight; lost: accepted sends the pipeline never showed."""
    accepted = {s.submission_id for s in sends if s.accepted and s.submission_id is not None}
    lost = accepted - set(ledger.stories)
    stuck = ledger.in_flight()
    return {
        "issued": ledger.total,
        "terminal": ledger.terminal(),
        "in_flight": len(stuck),
        "lost": len(lost),
        "by_state": dict(ledger.outcomes()),
        "rejections": dict(ledger.rejections()),
        "refused_requests": dict(ledger.refused),
        "dead_letters": dead_letters,
        "alerts": ledger.alerts,
        "stuck": [
            {"prescription_id": s.prescription_id, "submission_id": s.submission_id,
             "state": s.state}
            for s in stuck
        ] + [
            {"prescription_id": "?", "submission_id": sid, "state": "never seen"}
            for sid in sorted(lost)
        ],
    }  # fmt: skip


def load_figures(sends: list[Send], scheduled: int, duration_s: float) -> dict[str, Any]:
    lateness = histogram()
    errors: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for send in sends:
        record_ms(lateness, (send.sent - send.due) * 1000)
        if send.error is not None:
            errors[send.error] += 1
        elif send.status not in (None, 202):
            refused[str(send.status)] += 1
    unsent = scheduled - len(sends)
    if unsent > 0:  # the sender stopped before its schedule's end (it crashed, or was killed)
        errors["never sent"] += unsent
    sent = sum(1 for s in sends if s.accepted)
    return {
        "scheduled": scheduled,
        "sent": sent,
        "send_errors": dict(errors),
        "refused_at_edge": dict(refused),
        "achieved_rate": round(sent / duration_s, 2),
        "lateness_ms": percentiles(lateness),
    }


@dataclass(frozen=True)
class LagSample:
    at: float  # wall-clock seconds
    lag: dict[str, dict[str, int]]  # service -> topic -> events not yet handled

    @property
    def total(self) -> int:
        """Events not yet handled, over every service and topic."""
        return sum(sum(topics.values()) for topics in self.lag.values())


def timeline(
    ledger: Ledger,
    sends: list[Send],
    lags: list[LagSample],
    start_at: float,
    rate_at: Any,
    until: float,
) -> list[dict[str, Any]]:
    """One point per second from the first due send to `until`."""
    due = {s.submission_id: s.due for s in sends if s.submission_id}
    seconds = max(1, int(until - start_at) + 1)
    sent = Counter(int(s.sent - start_at) for s in sends if s.accepted)
    visible_at: Counter[int] = Counter()
    terminal_at: Counter[int] = Counter()
    issued_times, ended_times = [], []
    by_second: dict[int, HdrHistogram] = {}
    for story in ledger.stories.values():
        began = due.get(story.submission_id, _seconds(story.issued_at))
        visible = _seconds(story.first(State.AVAILABLE))
        ended = _seconds(story.terminal_at)
        if began is not None:
            issued_times.append(began)
            if visible is not None and visible >= began:
                second = int(began - start_at)
                record_ms(by_second.setdefault(second, histogram()), (visible - began) * 1000)
        if visible is not None:
            visible_at[int(visible - start_at)] += 1
        if ended is not None:
            terminal_at[int(ended - start_at)] += 1
            ended_times.append(ended)
    issued_times.sort()
    ended_times.sort()
    taken = [sample.at for sample in lags]
    points = []
    for second in range(seconds):
        end = start_at + second + 1
        hist = by_second.get(second)
        sample = _nearest(lags, taken, end)
        points.append(
            {
                "t_s": second,
                "target_rate": round(rate_at(second + 0.5), 3),
                "sent": sent[second],
                "visible": visible_at[second],
                "terminal": terminal_at[second],
                "in_flight": max(
                    0,
                    bisect.bisect_right(issued_times, end) - bisect.bisect_right(ended_times, end),
                ),
                "visible_p50_ms": hist.get_value_at_percentile(50) if hist else None,
                "visible_p99_ms": hist.get_value_at_percentile(99) if hist else None,
                "lag": sample.lag if sample else {},
            }
        )
    return points


def _nearest(lags: list[LagSample], taken: list[float], at: float) -> LagSample | None:
    """The last sample taken by `at` (within two seconds), if any; `taken`: the samples'
    times, in the order they were taken, so a bisection finds it."""
    index = bisect.bisect_right(taken, at + 0.5) - 1
    return lags[index] if index >= 0 and at - taken[index] < 2 else None
