"""Loss accounting and per-stage latency, from what is on rx.issued and rx.status.

Every submission is followed by its correlation id from issue to a terminal state, so a run
can say exactly how many were issued, how each ended, and which are still in flight.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from hdrh.histogram import HdrHistogram

from rxsim.domain.reasons import Reason
from rxsim.domain.states import TERMINAL
from schemas.envelope import Envelope
from schemas.events import State, StatusChanged


@dataclass
class Step:
    state: State
    at: datetime
    reason_code: str | None


@dataclass
class Story:
    submission_id: str
    prescription_id: str
    issued_at: datetime | None = None
    steps: list[Step] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    @property
    def final(self) -> State | None:
        terminal = [s.state for s in self.steps if s.state in TERMINAL]
        return terminal[-1] if terminal else None

    @property
    def state(self) -> str:
        return self.steps[-1].state.value if self.steps else "ISSUED"

    @property
    def terminal_at(self) -> datetime | None:
        return next((s.at for s in self.steps if s.state in TERMINAL), None)

    def first(self, state: State) -> datetime | None:
        return next((s.at for s in self.steps if s.state == state), None)

    def last(self, state: State) -> datetime | None:
        return next((s.at for s in reversed(self.steps) if s.state == state), None)


def dispensed_twice(stories: list[Story]) -> list[str]:
    """Prescriptions dispensed more often than they were ordered (a partial sale is ordered
    and dispensed again for the rest, so more than one dispense alone is no fault)."""
    twice = []
    for story in stories:
        states = Counter(step.state for step in story.steps)
        if states[State.DISPENSED] > states[State.ORDERED]:
            twice.append(story.prescription_id)
    return twice


# (label, from, to): from None means the hospital's issue time.
STAGES: tuple[tuple[str, State | None, State], ...] = (
    ("issued → in the citizen's app", None, State.AVAILABLE),
    ("in the app → pharmacy chosen", State.AVAILABLE, State.ORDERED),
    ("chosen → accepted by pharmacy", State.ORDERED, State.ACCEPTED),
    ("accepted → dispensed", State.ACCEPTED, State.DISPENSED),
    ("dispensed → delivered", State.DISPENSED, State.DELIVERED),
    ("dispensed → picked up", State.DISPENSED, State.PICKED_UP),
)
# Stages made mostly of a scenario's simulated delays (people deciding, couriers riding);
# the others measure the pipeline itself.
SIMULATED_STAGES = frozenset(
    {
        "in the app → pharmacy chosen",
        "accepted → dispensed",
        "dispensed → delivered",
        "dispensed → picked up",
        "issued → terminal",
    }
)


@dataclass
class Ledger:
    stories: dict[str, Story] = field(default_factory=dict)
    alerts: int = 0  # counterfeit or recalled lots a pharmacy refused to sell
    refused: Counter[str] = field(default_factory=Counter)  # refused requests, by reason code
    # The submissions with no terminal state yet, in the order first seen, kept as statuses
    # come: a run asks what is in flight every second, which must not walk every story of a
    # long run (100,000 stories took a core).
    _open: dict[str, None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._open = dict.fromkeys(k for k, story in self.stories.items() if story.final is None)

    def _story(self, submission_id: str, prescription_id: str) -> Story:
        story = self.stories.get(submission_id)
        if story is None:
            story = self.stories[submission_id] = Story(submission_id, prescription_id)
            self._open[submission_id] = None
        return story

    def issued(self, envelope: Envelope) -> None:
        self._story(envelope.correlationid, envelope.subject).issued_at = envelope.time

    def status(self, envelope: Envelope, status: StatusChanged) -> None:
        story = self._story(envelope.correlationid, status.prescription_id)
        if envelope.id in story.seen:
            return
        story.seen.add(envelope.id)
        if status.refused is not None:  # a request refused: the prescription did not move
            self.refused[f"{status.refused.request} {status.refused.reason_code}"] += 1
            return
        if story.issued_at is None and status.issued_at is not None:
            story.issued_at = status.issued_at
        story.steps.append(Step(status.state, envelope.time, status.reason_code))
        if status.state in TERMINAL:
            self._open.pop(story.submission_id, None)

    @property
    def total(self) -> int:
        return len(self.stories)

    def terminal(self) -> int:
        return len(self.stories) - len(self._open)

    def in_flight(self) -> list[Story]:
        return [self.stories[submission_id] for submission_id in self._open]

    def outcomes(self) -> Counter[str]:
        return Counter(s.final.value for s in self.stories.values() if s.final is not None)

    def rejections(self) -> Counter[str]:
        return Counter(
            next((st.reason_code or "?" for st in s.steps if st.state == State.REJECTED), "?")
            for s in self.stories.values()
            if s.final == State.REJECTED
        )

    def declined_then_rechosen(self) -> int:
        def rechosen(story: Story) -> bool:
            declined = [
                i for i, st in enumerate(story.steps) if st.reason_code == Reason.PHARMACY_DECLINED
            ]
            return bool(declined) and any(
                st.state == State.ORDERED for st in story.steps[declined[0] :]
            )

        return sum(1 for s in self.stories.values() if rechosen(s))

    def passed_through(self, state: State) -> int:
        """How many stories were in this state at some point."""
        return sum(1 for s in self.stories.values() if any(st.state == state for st in s.steps))

    def with_reason(self, reason_code: str) -> int:
        """How many stories passed through a step with this reason code."""
        return sum(
            1 for s in self.stories.values() if any(st.reason_code == reason_code for st in s.steps)
        )

    def declines(self) -> int:
        return sum(
            1
            for s in self.stories.values()
            for st in s.steps
            if st.reason_code == Reason.PHARMACY_DECLINED
        )

    def latencies(self) -> dict[str, HdrHistogram]:
        """Per-stage latency in real milliseconds (1 ms .. 1 h, 3 significant digits)."""
        spans: dict[str, list[tuple[datetime | None, datetime | None]]] = {}
        for story in self.stories.values():
            for label, start, end in STAGES:
                began = story.issued_at if start is None else story.last(start)
                ended = story.first(end) if start is None else story.last(end)
                spans.setdefault(label, []).append((began, ended))
            spans.setdefault("issued → terminal", []).append((story.issued_at, story.terminal_at))
        return {label: _histogram(pairs) for label, pairs in spans.items()}


def _histogram(pairs: list[tuple[datetime | None, datetime | None]]) -> HdrHistogram:
    histogram = HdrHistogram(1, 3_600_000, 3)
    for began, ended in pairs:
        if began is not None and ended is not None and ended >= began:
            ms = int((ended - began).total_seconds() * 1000)
            histogram.record_value(max(1, min(ms, 3_600_000)))
    return histogram
