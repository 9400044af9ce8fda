"""A load run's shape in real time: the rate it asks for at each second, and the open-loop
schedule of sends that follows it.

`constant` holds the rate for the whole run; `linear:FROM` climbs from FROM per second to the
rate; `steps:N` climbs in N equal steps, each held for an equal share of the run (the last at
the rate). The schedule never depends on what the pipeline does: that is what makes the load
open loop, and a send that leaves late is recorded as late, not rescheduled.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

TICK_S = 0.01  # the schedule integrates the rate this finely: 1% of a send at 1/s


class ProfileError(ValueError):
    """An impossible shape: the message says what and how to write it."""


@dataclass(frozen=True)
class Profile:
    kind: str  # constant | linear | steps
    rate: float  # per second: the rate held, reached or climbed to
    duration_s: float
    start_rate: float = 0.0  # linear only
    steps: int = 1  # steps only

    def rate_at(self, t: float) -> float:
        """Sends per second asked for `t` seconds after the start (0 after the end)."""
        if not 0 <= t < self.duration_s:
            return 0.0
        if self.kind == "linear":
            return self.start_rate + (self.rate - self.start_rate) * t / self.duration_s
        if self.kind == "steps":
            step = int(t / self.duration_s * self.steps)  # 0 .. steps-1
            return self.rate * (step + 1) / self.steps
        return self.rate

    def expected(self) -> int:
        """How many sends the whole run asks for."""
        return sum(1 for _ in self.due_times())

    def points(self) -> list[tuple[float, float]]:
        """(second, rate) corners of the shape, for a report's plot."""
        if self.kind == "linear":
            return [(0.0, self.start_rate), (self.duration_s, self.rate)]
        if self.kind == "steps":
            width = self.duration_s / self.steps
            return [
                corner
                for step in range(self.steps)
                for corner in (
                    (step * width, self.rate_at(step * width)),
                    ((step + 1) * width, self.rate_at(step * width)),
                )
            ]
        return [(0.0, self.rate), (self.duration_s, self.rate)]

    def due_times(self) -> Iterator[float]:
        """Seconds after the start at which the 0th, 1st, 2nd... send is due."""
        if self.kind == "constant":  # exact, and no drift over a long run
            count = int(self.rate * self.duration_s + 1e-9)
            yield from (index / self.rate for index in range(count))
            return
        owed, index, t = 0.0, 0, 0.0
        while t < self.duration_s:
            per_second = self.rate_at(t + TICK_S / 2)
            owed_after = owed + per_second * TICK_S
            while index < owed_after - 1e-9:
                yield t + (index - owed) / per_second
                index += 1
            owed, t = owed_after, t + TICK_S

    def describe(self) -> str:
        if self.kind == "linear":
            return f"{self.start_rate:g}/s rising to {self.rate:g}/s over {self.duration_s:g} s"
        if self.kind == "steps":
            return f"{self.steps} steps up to {self.rate:g}/s over {self.duration_s:g} s"
        return f"{self.rate:g}/s for {self.duration_s:g} s"


@dataclass(frozen=True)
class Replayed:
    """A trace's shape at a replay's speed: how many sends fall in each real second."""

    per_second: tuple[int, ...]
    speed: float
    expected_sends: int
    kind: str = "trace"
    description: str = ""  # said instead of the trace's own description

    @classmethod
    def of(cls, times: Iterable[float], speed: float) -> "Replayed":
        counts: list[int] = []
        total = 0
        for at in times:
            second = int(at / speed)
            counts.extend([0] * (second + 1 - len(counts)))
            counts[second] += 1
            total += 1
        return cls(tuple(counts), speed, total)

    @property
    def rate(self) -> float:
        """The busiest second's sends."""
        return float(max(self.per_second, default=0))

    @property
    def duration_s(self) -> float:
        return float(max(1, len(self.per_second)))

    def rate_at(self, t: float) -> float:
        second = math.floor(t)
        return float(self.per_second[second]) if 0 <= second < len(self.per_second) else 0.0

    def expected(self) -> int:
        return self.expected_sends

    def points(self) -> list[tuple[float, float]]:
        return [(float(second), float(n)) for second, n in enumerate(self.per_second)]

    def describe(self) -> str:
        if self.description:
            return self.description
        return (
            f"a trace of {self.expected_sends:,} at ×{self.speed:g} over "
            f"{self.duration_s:g} s (busiest second: {self.rate:g})"
        )


def parse_profile(spec: str, rate: float, duration_s: float) -> Profile:
    """`constant`, `linear:FROM` or `steps:N`, at `rate` per second for `duration_s`."""
    if not rate > 0:
        raise ProfileError(f"--rate must be more than 0 per second (got {rate:g})")
    if not duration_s > 0:
        raise ProfileError(f"--duration must be more than 0 seconds (got {duration_s:g})")
    kind, _, arg = spec.partition(":")
    if kind == "constant" and not arg:
        return Profile("constant", rate, duration_s)
    if kind == "linear":
        start = _number(arg or "0", spec, "linear:FROM, FROM a rate per second, e.g. linear:10")
        if not start >= 0:
            raise ProfileError(f"--profile {spec}: FROM must be 0 or more")
        return Profile("linear", rate, duration_s, start_rate=start)
    if kind == "steps":
        steps = _number(arg or "4", spec, "steps:N, N a whole number of steps, e.g. steps:4")
        if steps != int(steps) or not 1 <= steps <= 100:
            raise ProfileError(f"--profile {spec}: N must be a whole number from 1 to 100")
        return Profile("steps", rate, duration_s, steps=int(steps))
    raise ProfileError(f"--profile {spec!r}: write constant, linear:FROM or steps:N")


def _number(text: str, spec: str, form: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ProfileError(f"--profile {spec}: write {form}") from None


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `5m` or `1h`."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise ProfileError(
            f"--duration {text!r}: write seconds, or a number with s, m or h (e.g. 5m)"
        ) from None
    if not seconds > 0:
        raise ProfileError(f"--duration must be more than 0 seconds (got {text})")
    return seconds
