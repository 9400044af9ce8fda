"""`rxsim report compare A.json B.json`: two runs' figures side by side with the change from A
to B, per stage (p50 and p99) and for throughput, loss, in flight and dead letters."""

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text

from rxsim.tools import report_format as fmt

Result = dict[str, Any]


@dataclass(frozen=True)
class Change:
    measure: str
    unit: str  # "ms", "/s", or "" for a count
    a: float | None  # None: that run has no figure (a stage it did not measure)
    b: float | None
    higher_is_better: bool = False

    @property
    def percent(self) -> float | None:
        if self.a is None or self.b is None:
            return None
        return fmt.percent_change(self.a, self.b)

    def shown(self, value: float | None) -> str:
        if value is None:
            return fmt.NOTHING
        if self.unit == "ms":
            return fmt.ms(value)
        return fmt.rate(value) if self.unit == "/s" else fmt.count(value)

    def change(self) -> str:
        if self.a is None or self.b is None:
            return fmt.NOTHING  # a stage one run did not measure: its own column says so
        if self.a == self.b:
            return "same"
        percent = self.percent
        return f"{percent:+.1f}%" if percent is not None else f"from 0 to {self.shown(self.b)}"

    @property
    def better(self) -> bool | None:
        """Whether B is better than A on this measure; None when they are the same or either
        is missing."""
        if self.a is None or self.b is None or self.a == self.b:
            return None
        return (self.b > self.a) == self.higher_is_better


def changes(a: Result, b: Result) -> list[Change]:
    """Per stage (A's order, then B's own), p50 and p99; then the run's totals."""
    rows: list[Change] = []
    for stage_id, label in _stages_of_both(a, b):
        for name in ("p50", "p99"):
            rows.append(
                Change(
                    f"{label} · {name}",
                    "ms",
                    _stage_figure(a, stage_id, name),
                    _stage_figure(b, stage_id, name),
                )
            )
    return rows + totals(a, b)


def totals(a: Result, b: Result) -> list[Change]:
    return [
        Change(
            "throughput (achieved rate)",
            "/s",
            a["load"]["achieved_rate"],
            b["load"]["achieved_rate"],
            higher_is_better=True,
        ),
        *(
            Change(label, "", a["outcomes"][key], b["outcomes"][key])
            for key, label in (
                ("lost", "lost"),
                ("in_flight", "in flight at the end"),
                ("dead_letters", "dead letters"),
            )
        ),
    ]


def _stages_of_both(a: Result, b: Result) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for result in (a, b):
        for stage in result["stages"]:
            seen.setdefault(stage["id"], stage["label"])
    return list(seen.items())


def _stage_figure(result: Result, stage_id: str, name: str) -> float | None:
    for stage in result["stages"]:
        if stage["id"] == stage_id:
            latency = stage["latency_ms"]
            # A histogram that saw nothing reads 0 everywhere: that is no figure, not 0 ms.
            return float(latency[name]) if latency["n"] else None
    return None


def compare(a: Result, b: Result, names: tuple[str, str] = ("A", "B")) -> Table:
    """The table the terminal shows: one row per measure, A, B and the change from A to B
    (green when B is better, red when worse)."""
    table = Table(
        title=Text(f"{names[0]} → {names[1]}"),
        title_justify="left",
        caption="stages in ms of real time; change from the first run to the second "
        "(green: better, red: worse)",
        caption_justify="left",
    )
    table.add_column("measure")
    for name in names:
        table.add_column(Text(name), justify="right")
    table.add_column("change", justify="right")
    rows = changes(a, b)
    first_total = len(rows) - len(totals(a, b))
    for index, row in enumerate(rows):
        if index == first_total:
            table.add_section()
        style = {True: "green", False: "red", None: ""}[row.better]
        table.add_row(
            Text(row.measure), row.shown(row.a), row.shown(row.b), Text(row.change(), style=style)
        )
    return table
