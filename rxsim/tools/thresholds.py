"""Thresholds, as load testers write them in CI (k6's thresholds are the model): a run declares
what must hold, and it exits non-zero naming each one broken.

    p99(visible) < 200ms     a stage's percentile (p50, p90, p99, p999, max, mean)
    p99(lateness) < 50ms     how late sends left against their schedule
    lost == 0                a figure of the result (see FIGURES)
    achieved_rate >= 450

Latencies take `ms` or `s` (a bare number is milliseconds)."""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
PERCENTILES = ("p50", "p90", "p99", "p999", "max", "mean")
FIGURES: dict[str, Callable[[dict[str, Any]], float]] = {
    "lost": lambda r: r["outcomes"]["lost"],
    "in_flight": lambda r: r["outcomes"]["in_flight"],
    "dead_letters": lambda r: r["outcomes"]["dead_letters"],
    "rejected": lambda r: sum(r["outcomes"]["rejections"].values()),
    "refused_requests": lambda r: sum(r["outcomes"]["refused_requests"].values()),
    "send_errors": lambda r: sum(r["load"]["send_errors"].values()),
    "refused_at_edge": lambda r: sum(r["load"]["refused_at_edge"].values()),
    "sent": lambda r: r["load"]["sent"],
    "achieved_rate": lambda r: r["load"]["achieved_rate"],
}
_SHAPE = re.compile(
    r"^\s*(?:(?P<pct>p50|p90|p99|p999|max|mean)\((?P<stage>[a-z_]+)\)|(?P<figure>[a-z_]+))"
    r"\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<limit>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s)?\s*$"
)


class ThresholdError(ValueError):
    """A threshold that cannot be read: the message says what to write."""


@dataclass(frozen=True)
class Threshold:
    expression: str
    percentile: str | None  # None: a figure
    name: str  # the stage (with a percentile) or the figure
    op: str
    limit: float  # milliseconds for a latency

    def measure(self, result: dict[str, Any]) -> float | None:
        """What the run measured, or None when there was nothing to measure (no sample)."""
        if self.percentile is None:
            return float(FIGURES[self.name](result))
        if self.name == "lateness":
            summary = result["load"]["lateness_ms"]
        else:
            stage = next((s for s in result["stages"] if s["id"] == self.name), None)
            summary = stage["latency_ms"] if stage else None
        if summary is None or summary["n"] == 0:
            return None
        return float(summary[self.percentile])

    def check(self, result: dict[str, Any]) -> dict[str, Any]:
        """The threshold's line in the result: a threshold with nothing to measure is broken
        (a p99 of no prescriptions proves nothing)."""
        value = self.measure(result)
        passed = value is not None and OPERATORS[self.op](value, self.limit)
        return {"expression": self.expression, "value": value, "passed": passed}


def parse_threshold(expression: str, stages: tuple[str, ...]) -> Threshold:
    """Read one threshold; `stages` are the stage ids a percentile may name."""
    shape = _SHAPE.match(expression)
    if shape is None:
        raise ThresholdError(
            f"threshold {expression!r}: write e.g. 'p99(visible) < 200ms' or 'lost == 0'"
        )
    limit = float(shape["limit"]) * (1000 if shape["unit"] == "s" else 1)
    if shape["figure"]:
        if shape["figure"] not in FIGURES:
            raise ThresholdError(
                f"threshold {expression!r}: no figure {shape['figure']!r}; "
                f"choose among {', '.join(FIGURES)}"
            )
        if shape["unit"]:
            raise ThresholdError(f"threshold {expression!r}: {shape['figure']} takes no unit")
        return Threshold(expression.strip(), None, shape["figure"], shape["op"], limit)
    known = (*stages, "lateness")
    if shape["stage"] not in known:
        raise ThresholdError(
            f"threshold {expression!r}: no stage {shape['stage']!r}; choose among "
            f"{', '.join(known)}"
        )
    return Threshold(expression.strip(), shape["pct"], shape["stage"], shape["op"], limit)
