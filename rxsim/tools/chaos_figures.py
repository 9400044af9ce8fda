"""What `rxsim chaos` counts, and its verdict: figures kept while the campaigns run, each fault
found named where it was found, one table for people and the same figures as JSON."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

# Figures that name what failed; the campaign passes only when each of them is 0. A kill or a
# stop not survived is named under "kills" or "stops".
EXPECTED_ZERO: dict[str, str] = {
    "lost": "prescriptions lost (not terminal at the end)",
    "dispensed_twice": "dispensed twice",
    "dropped": "silently dropped requests",
    "server_errors": "5xx answers (or no answer)",
    "replay_changes": "changes made by the replay",
    "not_dead_lettered": "hostile messages without a dead letter",
    "consumers_stopped": "services stopped by a hostile message",
}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: int
    expected: str  # "" when any value is right


@dataclass
class Figures:
    runs: int = 0  # generator runs started
    kills: int = 0
    stops: int = 0
    replayed: int = 0  # messages produced again by the replay
    hostile_sent: int = 0
    fhir_inputs: int = 0
    answers: Counter[int] = field(default_factory=Counter)  # FHIR inputs by HTTP status
    issued: int = 0  # prescriptions on rx.issued, from every source
    dead_letters: int = 0
    failed: dict[str, list[str]] = field(default_factory=dict)  # figure -> what failed there

    def fail(self, figure: str, what: str) -> None:
        assert figure in EXPECTED_ZERO or figure in ("kills", "stops"), figure
        self.failed.setdefault(figure, []).append(what)

    def failures(self, figure: str) -> int:
        return len(self.failed.get(figure, ()))

    @property
    def passed(self) -> bool:
        return not any(self.failed.values())

    def rows(self) -> list[Row]:
        kills_survived = self.kills - self.failures("kills")
        stops_survived = self.stops - self.failures("stops")
        counted = [
            Row("runs", "generator runs", self.runs, ""),
            Row("kills_survived", "kills survived (kill -9, restarted, ready)", kills_survived,
                str(self.kills)),
            Row("stops_survived", "stops survived (SIGSTOP, SIGCONT, ready)", stops_survived,
                str(self.stops)),
            Row("replayed", "messages replayed", self.replayed, ""),
            Row("hostile_sent", "hostile messages sent", self.hostile_sent, ""),
            Row("fhir_inputs", "FHIR inputs tried", self.fhir_inputs, ""),
            Row("issued", "prescriptions issued", self.issued, ""),
        ]  # fmt: skip
        failing = [Row(key, label, self.failures(key), "0") for key, label in EXPECTED_ZERO.items()]
        return [*counted, *failing, Row("dead_letters", "dead letters", self.dead_letters, "")]

    def named_failures(self) -> list[str]:
        """One line per fault found: the figure, then which prescription, input or service."""
        return [f"{figure}: {what}" for figure, found in self.failed.items() for what in found]

    def as_json(self) -> dict[str, Any]:
        return {
            "figures": {row.key: row.value for row in self.rows()},
            "kills": self.kills,
            "stops": self.stops,
            "fhir_answers": {str(status): n for status, n in sorted(self.answers.items())},
            "failed": self.failed,
            "passed": self.passed,
        }

    def table(self, title: str) -> Table:
        table = Table(title=title, title_justify="left")
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_column("expected", justify="right")
        for row in self.rows():
            wrong = row.expected and str(row.value) != row.expected
            value = f"[red]{row.value}[/]" if wrong else str(row.value)
            table.add_row(row.label, value, row.expected)
            if row.key == "fhir_inputs":
                for status, n in sorted(self.answers.items()):
                    table.add_row(f"    answered {status}", str(n), "")
        return table
