"""Live traffic: reaching the broker, and `contracts verify` (every message on every topic
against its contract, counted per message type)."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from rxsim.messaging.codec import Headers, Undecodable, binary_mode_event, decode
from rxsim.messaging.kafka_security import KafkaSecurityError
from rxsim.tools.contracts import validation
from rxsim.tools.stack import running_bootstrap
from rxsim.tools.topic_reader import BrokerUnreachable, Record, open_consumer, read
from schemas.topics import ALL_TOPICS, BY_NAME

HOW_TO_POINT = "start `rxsim up`, or set KAFKA_BOOTSTRAP_SERVERS or pass --bootstrap HOST:PORT"


def connect(bootstrap: str | None, err: Console) -> str:
    """The broker's address once it answers; otherwise one line saying what to do, exit 2."""
    bootstrap = bootstrap or running_bootstrap()
    if not bootstrap:
        err.print(f"[red]no broker given:[/] {HOW_TO_POINT}")
        raise typer.Exit(2)
    try:
        open_consumer(bootstrap).close()
    except BrokerUnreachable as exc:
        err.print(f"[red]{exc}:[/] {HOW_TO_POINT}")
        raise typer.Exit(2) from None
    except KafkaSecurityError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    return bootstrap


def parse(value: bytes | None, headers: Headers = ()) -> dict[str, Any] | None:
    """The envelope as a dict, or None when the bytes are not a JSON object (for display).
    A record in the CloudEvents binding's binary mode (`headers`) is shown as its event."""
    try:
        binary = binary_mode_event(value or b"", headers) if headers else None
    except Undecodable:
        return None
    if binary is not None:
        return binary
    try:
        obj = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def problem_of(record: Record) -> tuple[str, str | None]:
    """(message type, first problem or None): the published JSON Schema first, then the
    consumers' own decoder, so a gap between the two shows up too."""
    topic = BY_NAME[record.topic]
    event = parse(record.value, record.headers)
    kind = str(event.get("type", "?")) if event else "(not a JSON object)"
    if event is None:
        try:
            decode(topic, record.value, record.headers)
        except Undecodable as exc:
            return kind, exc.reason
    problems = validation.validate(topic, event)
    if problems:
        return kind, problems[0]
    try:
        decode(topic, record.value, record.headers)
    except Undecodable as exc:
        return kind, f"the consumers' decoder refuses it: {exc.reason}"
    return kind, None


@dataclass
class Report:
    valid: Counter[tuple[str, str]] = field(default_factory=Counter)
    invalid: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.valid.values()) + sum(self.invalid.values())

    def add(self, record: Record) -> None:
        kind, problem = problem_of(record)
        if problem is None:
            self.valid[(record.topic, kind)] += 1
            return
        self.invalid[(record.topic, kind)] += 1
        key = (record.key or b"").decode("utf-8", "replace")
        where = f"{record.topic}[{record.partition}]@{record.offset} key={key!r}"
        self.failures.append(f"{where} {kind}: {problem}")

    def table(self) -> Table:
        table = Table(title=f"contracts verify: {self.total} messages", title_justify="left")
        for column in ("topic", "message type", "valid", "invalid"):
            right = column in ("valid", "invalid")
            table.add_column(column, justify="right" if right else "left", overflow="fold")
        for topic, kind in sorted(set(self.valid) | set(self.invalid)):
            bad = self.invalid[(topic, kind)]
            shown = f"[red]{bad}[/]" if bad else "0"
            table.add_row(topic, kind, str(self.valid[(topic, kind)]), shown)
        return table


def verify_traffic(bootstrap: str, idle: float, from_now: bool, console: Console) -> Report:
    """Read every topic until `idle` seconds pass without a message."""
    report = Report()
    names = [t.name for t in ALL_TOPICS]
    with console.status("reading…") as status:
        for record in read(bootstrap, names, from_beginning=not from_now, follow=True, idle=idle):
            report.add(record)
            if report.total % 50 == 0:
                status.update(f"{report.total} messages, {sum(report.invalid.values())} invalid")
    return report
