"""`rxsim tail`, `rxsim trace`, `rxsim deadletters`: reading the topics as a person would."""

import base64
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from rxsim.cli.options import BootstrapOpt, console, err
from rxsim.tools.story import (
    about,
    event_name,
    prescription_of,
    service_of,
    story,
    summary,
    time_of,
)
from schemas import topics
from schemas.topics import ALL_TOPICS, BY_NAME


def _clock(at: Any) -> str:
    try:
        return datetime.fromisoformat(str(at)).strftime("%H:%M:%S.%f")[:-3]
    except ValueError:
        return str(at)


def _printable(raw: bytes, width: int = 60) -> str:
    text = raw.decode("utf-8", "replace").replace("\n", " ")
    shown = "".join(ch if ch.isprintable() else "·" for ch in text[:width])
    return shown + ("…" if len(text) > width else "")


def _tail_line(record: Any, event: dict[str, Any] | None, wanted: str | None) -> str | None:
    """tail's one line for a record (None: not shown under --id)."""
    if event is None:
        if wanted is not None:
            return None
        return (
            f"[red]{record.partition}@{record.offset} not JSON:[/] "
            f"{escape(_printable(record.value or b''))}"
        )
    rx = prescription_of(record.topic, event)
    if wanted is not None and rx != wanted:
        return None
    return (
        f"[dim]{_clock(event.get('time'))} {record.partition}@{record.offset}[/] "
        f"[cyan]{escape(str(rx))}[/] [bold]{service_of(event)}[/] "
        f"{escape(event_name(record.topic, event))}: {escape(summary(record.topic, event))}"
    )


def _event_time(record: Any, event: dict[str, Any] | None) -> datetime:
    if event is not None and event.get("time"):
        return time_of(event)
    return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)  # not JSON: when written


def tail(
    topic: Annotated[str, typer.Argument(help=f"one of: {', '.join(BY_NAME)}")],
    bootstrap: BootstrapOpt = None,
    prescription: Annotated[
        str | None, typer.Option("--id", help="only this prescription id")
    ] = None,
    from_beginning: Annotated[bool, typer.Option(help="start at the oldest message")] = False,
    window: Annotated[
        float,
        typer.Option(
            min=0,
            help="seconds each message is held so that one from another partition that "
            "happened earlier, and arrives within this time, is printed before it; 0 prints "
            "them as they arrive, partition by partition",
        ),
    ] = 1.0,
) -> None:
    """Print a topic's messages in event-time order as they arrive, until Ctrl-C.

    Kafka orders messages only within a partition: live, each is held --window seconds so
    that one from another partition that happened earlier is printed first (one arriving
    later than that is printed when it comes); with --from-beginning, what is already there
    is printed in order first."""
    if topic not in BY_NAME:
        err.print(f"[red]no topic {topic!r}:[/] choose one of {', '.join(BY_NAME)}")
        raise typer.Exit(2)
    from rxsim.tools.live import connect, parse  # Kafka clients load only when a command needs them
    from rxsim.tools.time_order import TimeOrder
    from rxsim.tools.topic_reader import polls

    where = connect(bootstrap, err)
    console.print(f"[dim]following {topic} on {where} — Ctrl-C stops[/]")
    held: TimeOrder[str] = TimeOrder(window)
    backlog = True  # what was there when tail began: all of it in order, then live
    try:
        for poll in polls(where, [topic], from_beginning=from_beginning, wait=True):
            arrived = time.monotonic()
            for record in poll.records:
                event = parse(record.value, record.headers)
                line = _tail_line(record, event, prescription)
                if line is not None:
                    held.add(_event_time(record, event), line, arrived=arrived)
            if backlog and not poll.caught_up:
                continue
            for line in held.due(now=time.monotonic(), flush=backlog):
                console.print(line, soft_wrap=True)  # one line a message, to be grepped
            backlog = False
    except KeyboardInterrupt:  # what is held was read: print it rather than lose it
        for line in held.due(now=time.monotonic(), flush=True):
            console.print(line, soft_wrap=True)


def trace(
    wanted: Annotated[
        str,
        typer.Argument(
            metavar="CODE_OR_SUBMISSION_ID",
            help="the prescription code, or the submission id the hospital answered with "
            "(the CloudEvents correlationid of every event the submission caused)",
        ),
    ],
    bootstrap: BootstrapOpt = None,
) -> None:
    """One prescription's (or submission's) whole story across every topic, in time order.

    Each event is named and told in plain words, with the prescription's state after it."""
    from rxsim.tools.live import connect, parse  # Kafka clients load only when a command needs them
    from rxsim.tools.topic_reader import read

    where = connect(bootstrap, err)
    found = []
    for record in read(where, [t.name for t in ALL_TOPICS]):
        event = parse(record.value, record.headers)
        if event is not None and about(record.topic, event, wanted):
            found.append((record.topic, event))
    if not found:
        console.print(f"no event about {wanted} on {where}")
        raise typer.Exit(1)
    codes = {prescription_of(topic, event) for topic, event in found} - {None, wanted}
    title = f"submission {wanted} (prescription {', '.join(sorted(map(str, codes)))})"
    table = Table(title=title if codes else f"prescription {wanted}", title_justify="left")
    for column in ("time (UTC)", "service", "topic", "event", "what happened", "state after"):
        table.add_column(column, overflow="fold")
    for step in story(found):
        state = (
            f"[bold green]{step.state}[/]" if step.state_changed else f"[dim]{step.state or '—'}[/]"
        )
        table.add_row(_clock(step.at), step.service, step.topic, step.event, step.summary, state)
    console.print(table)


def deadletters(
    bootstrap: BootstrapOpt = None,
    follow: Annotated[bool, typer.Option(help="keep printing new ones")] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="print the whole original as kept (its first 256 KiB), not only its start",
        ),
    ] = False,
) -> None:
    """List the messages consumers refused: who, from where, why, and the original bytes.

    The reason names every problem the consumer found; --full prints the whole original."""
    from rxsim.tools.live import connect, parse
    from rxsim.tools.topic_reader import read

    where = connect(bootstrap, err)
    count = 0
    try:
        for record in read(where, [topics.RX_DEADLETTER.name], follow=follow):
            event = parse(record.value, record.headers) or {}
            data = event.get("data", {}) if isinstance(event.get("data"), dict) else {}
            original = base64.b64decode(data.get("original_b64", "") or "")
            source = f"{data.get('source_topic')}[{data.get('partition')}]@{data.get('offset')}"
            count += 1
            # a block per letter, not a table: reasons and raw bytes are long and need the width
            console.print(
                f"[dim]{_clock(event.get('time'))}[/] [bold]{data.get('consumer', '?')}[/] "
                f"refused {source} key={data.get('original_key') or '—'}",
                soft_wrap=True,
            )
            console.print(f"    reason:   [red]{data.get('reason', '?')}[/]", soft_wrap=True)
            shown = _printable(original, len(original) if full else 60)
            console.print(f"    original: {len(original)} bytes: {shown}", soft_wrap=True)
    except KeyboardInterrupt:
        pass
    if not follow:
        console.print(f"{count} dead letter(s) on {where}")


def audit(
    prescription: Annotated[
        str | None, typer.Option("--prescription", help="the prescription id (code)")
    ] = None,
    citizen: Annotated[str | None, typer.Option("--citizen", help="the citizen's CCCD")] = None,
    bootstrap: BootstrapOpt = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="also write the trail as a FHIR Bundle of AuditEvents"),
    ] = None,
) -> None:
    """Who read or changed a prescription's or a citizen's data, when, and the outcome:
    every request to the services' APIs and every state change, as FHIR AuditEvents."""
    if prescription is None and citizen is None:
        err.print("[red]say whose trail:[/] --prescription CODE or --citizen CCCD (or both)")
        raise typer.Exit(2)
    if json_out is not None and not json_out.parent.is_dir():
        err.print(f"[red]no folder {escape(str(json_out.parent))}[/] to write {json_out.name} in")
        raise typer.Exit(2)
    from rxsim.tools import audit as trails
    from rxsim.tools.live import connect, parse
    from rxsim.tools.topic_reader import read

    where = connect(bootstrap, err)
    wanted = trails.Wanted(prescription, citizen)
    records = read(where, trails.READS)
    events = trails.trail(
        ((r.topic, e) for r in records if (e := parse(r.value, r.headers)) is not None), wanted
    )
    if json_out is not None:
        json_out.write_bytes(orjson.dumps(trails.as_bundle(events), option=orjson.OPT_INDENT_2))
        console.print(f"written: {json_out}")
    whose = " and ".join(
        f"{kind} {value}"
        for kind, value in (("prescription", prescription), ("citizen", citizen))
        if value
    )
    if not events:
        console.print(f"no audit record about {whose} on {where}")
        raise typer.Exit(1)
    table = Table(title=f"audit trail of {whose}", title_justify="left")
    for column in ("time (UTC)", "service", "who", "action", "what", "outcome"):
        table.add_column(column, overflow="fold")
    for event in events:
        table.add_row(
            _clock(event.get("recorded")),
            str(event.get("source", {}).get("observer", {}).get("display", "?")),
            trails.who(event),
            str(event.get("subtype", [{}])[0].get("code", event.get("action"))),
            trails.what(event),
            trails.outcome(event),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(tail)
    app.command()(trace)
    app.command()(deadletters)
    app.command()(audit)
