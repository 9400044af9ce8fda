"""The dashboard's figures, folded from rx.status, pharmacy.alerts and rx.deadletter one event at
a time into counters and HDR histograms: plain code, tested without a broker.

Memory is bounded however long the stack runs: no event is kept. The only per-prescription
state is the time of each state a prescription in flight has passed through (for the stage
latencies), dropped when it ends and capped at MAX_IN_FLIGHT; every counter keyed by text from
the topics (reasons, facilities) holds at most MAX_KEYS keys, the rest counted under "other"."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hdrh.histogram import HdrHistogram

from rxsim.domain.reasons import Reason
from rxsim.domain.states import TERMINAL
from rxsim.tools.run_metrics import STAGES, histogram, percentiles, record_ms
from schemas.envelope import Envelope
from schemas.events import CounterfeitSuspected, DeadLettered, State, StatusChanged

MAX_IN_FLIGHT = 100_000  # prescriptions followed for latency; the oldest is dropped past it
MAX_KEYS = 200  # per counter of free text
OTHER = "other"
WINDOW_S = 60  # the throughput chart's span, one bar a second
TOP = 5


def count(counter: Counter[str], key: str, by: int = 1) -> None:
    """Add to `key`, or to "other" once the counter holds MAX_KEYS keys."""
    if key not in counter and len(counter) >= MAX_KEYS:
        key = OTHER
    counter[key] += by


@dataclass(frozen=True)
class Facility:
    province: str
    kind: str  # "hospital" | "clinic"
    pilot: bool  # onboarded in the scenario: the pilot wave; the rest await the national rollout
    name: str = ""


@dataclass
class Quality:
    """One facility's submissions as they reached the coordinator."""

    submitted: int = 0
    accepted: int = 0  # validated on arrival, with nothing to correct
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class Figures:
    facilities: dict[str, Facility]  # facility code -> where and what it is
    max_in_flight: int = MAX_IN_FLIGHT
    submitted: int = 0
    ended: Counter[str] = field(default_factory=Counter)  # terminal state -> how many
    refusals: Counter[str] = field(default_factory=Counter)  # "kind|reason code" -> how many
    quality: dict[str, Quality] = field(default_factory=dict)
    adoption: Counter[tuple[str, str]] = field(default_factory=Counter)  # (province, kind)
    prescribing: set[str] = field(default_factory=set)  # facilities with a valid prescription
    alerts: Counter[str] = field(default_factory=Counter)  # why a lot was blocked
    dead_letters: Counter[str] = field(default_factory=Counter)  # "consumer|source topic"
    stages: dict[str, HdrHistogram] = field(
        default_factory=lambda: {stage.id: histogram() for stage in STAGES}
    )
    # Per second (epoch): [submitted, ended]; only the latest WINDOW_S * 2 seconds are kept.
    seconds: dict[int, list[int]] = field(default_factory=dict)
    _newest: int = 0
    _in_flight: dict[str, dict[str, datetime]] = field(default_factory=dict)

    # -- folding events in -------------------------------------------------------------

    def status(self, envelope: Envelope, status: StatusChanged) -> None:
        if status.refused is not None:  # a request refused: nothing moved
            kind = f"{status.refused.request} refused"
            count(self.refusals, f"{kind}|{status.refused.reason_code}")
            return
        at, state = envelope.time, status.state
        if status.previous_state == State.ISSUED:  # a submission, as the coordinator saw it
            self._submitted(status, at)
        if state == State.REJECTED:
            count(self.refusals, f"prescription rejected|{status.reason_code or '?'}")
        elif status.reason_code == Reason.PHARMACY_DECLINED:
            count(self.refusals, f"order declined|{status.reason_code}")
        self._latency(envelope.correlationid, status, at)
        if state in TERMINAL:
            self.ended[state.value] += 1
            self._per_second(at, 1)

    def _submitted(self, status: StatusChanged, at: datetime) -> None:
        self.submitted += 1
        self._per_second(at, 0)
        code = status.facility_code or "?"
        if code not in self.quality and len(self.quality) >= MAX_KEYS * 5:
            code = OTHER
        quality = self.quality.setdefault(code, Quality())
        quality.submitted += 1
        facility = self.facilities.get(code)
        if facility is not None:
            self.adoption[(facility.province, facility.kind)] += 1
        if status.state == State.REJECTED:
            count(quality.reasons, status.reason_code or "?")
            return
        quality.accepted += 1
        if facility is not None:
            self.prescribing.add(code)

    def _latency(self, submission: str, status: StatusChanged, at: datetime) -> None:
        seen = self._in_flight.get(submission)
        if seen is None:
            while len(self._in_flight) >= self.max_in_flight:
                del self._in_flight[next(iter(self._in_flight))]
            seen = self._in_flight[submission] = {}
            if status.issued_at is not None:
                seen["issued"] = status.issued_at
        state = status.state
        for stage in STAGES:
            if stage.end is None and state not in TERMINAL:
                continue
            if stage.end is not None and stage.end != state:
                continue
            began = seen.get("issued" if stage.start is None else stage.start.value)
            first_time = stage.start is not None or state.value not in seen
            if began is not None and at >= began and first_time:
                record_ms(self.stages[stage.id], (at - began).total_seconds() * 1000)
        seen[state.value] = at
        if state in TERMINAL:
            del self._in_flight[submission]

    def _per_second(self, at: datetime, column: int) -> None:
        second = int(at.timestamp())
        newest = max(self._newest, second)
        if second < newest - 2 * WINDOW_S:
            return  # older than what the chart keeps
        self._newest = newest
        self.seconds.setdefault(second, [0, 0])[column] += 1
        if len(self.seconds) > 2 * WINDOW_S + 1:
            for old in [s for s in self.seconds if s < newest - 2 * WINDOW_S]:
                del self.seconds[old]

    def alert(self, alert: CounterfeitSuspected) -> None:
        count(self.alerts, "recalled lot" if "recalled" in alert.reason else "unknown lot")

    def dead_letter(self, letter: DeadLettered) -> None:
        count(self.dead_letters, f"{letter.consumer}|{letter.source_topic}")

    # -- what the page shows -----------------------------------------------------------

    def snapshot(self, now: float) -> dict[str, Any]:
        """Every figure, as JSON for the page; `now`: epoch seconds, the throughput's end."""
        return {
            "submitted": self.submitted,
            "ended": dict(self.ended),
            "in_flight": len(self._in_flight),
            "throughput": self.throughput(now),
            "stages": [
                {"id": s.id, "label": s.label, "clock": s.clock, **percentiles(self.stages[s.id])}
                for s in STAGES
            ],
            "refusals": [
                {"kind": key.split("|")[0], "reason_code": key.split("|")[-1], "count": n}
                for key, n in self.refusals.most_common(8)
            ],
            "quality": self.quality_rows(),
            "adoption": self.adoption_rows(),
            "alerts": {"total": sum(self.alerts.values()), "by_reason": dict(self.alerts)},
            "dead_letters": {
                "total": sum(self.dead_letters.values()),
                "by_consumer": [
                    {"consumer": key.split("|")[0], "topic": key.split("|")[-1], "count": n}
                    for key, n in self.dead_letters.most_common(TOP)
                ],
            },
        }

    def throughput(self, now: float) -> dict[str, Any]:
        """Submissions and ends per second over the last WINDOW_S whole seconds, and their
        mean over the last 10."""
        end = int(now)
        by_second = self.seconds
        span = range(end - WINDOW_S, end)
        submitted = [by_second.get(s, [0, 0])[0] for s in span]
        ended = [by_second.get(s, [0, 0])[1] for s in span]
        return {
            "seconds": WINDOW_S,
            "submitted": submitted,
            "ended": ended,
            "submitted_per_s": round(sum(submitted[-10:]) / 10, 1),
            "ended_per_s": round(sum(ended[-10:]) / 10, 1),
        }

    def quality_rows(self) -> list[dict[str, Any]]:
        """Facilities with most submissions first (at most 50), with the share accepted on
        arrival and their most frequent reasons for rejection."""
        rows = sorted(self.quality.items(), key=lambda kv: (-kv[1].submitted, kv[0]))[:50]
        return [
            {
                "facility": code,
                "name": self.facilities[code].name if code in self.facilities else "",
                "submitted": q.submitted,
                "accepted_first_time": q.accepted,
                "share": round(q.accepted / q.submitted, 3) if q.submitted else None,
                "reasons": [{"reason_code": r, "count": n} for r, n in q.reasons.most_common(3)],
            }
            for code, q in rows
        ]

    def adoption_rows(self) -> list[dict[str, Any]]:
        """Per province and kind of facility: its wave, how many of its facilities have issued
        a valid prescription out of how many there are, and the submissions."""
        places: dict[tuple[str, str], list[str]] = {}
        for code, facility in self.facilities.items():
            places.setdefault((facility.province, facility.kind), []).append(code)
        rows = []
        for (province, kind), codes in places.items():
            submitted = self.adoption[(province, kind)]
            pilot = self.facilities[codes[0]].pilot
            if not submitted and not pilot:
                continue  # the national rollout's many places with nothing yet: left out
            rows.append(
                {
                    "province": province, "kind": kind,
                    "wave": "pilot" if pilot else "national",
                    "facilities": len(codes),
                    "prescribing": sum(1 for c in codes if c in self.prescribing),
                    "submitted": submitted,
                }
            )  # fmt: skip
        return sorted(rows, key=lambda r: (r["wave"] != "pilot", -r["submitted"], r["province"]))
