"""`rxsim tail`, `rxsim trace`, `rxsim deadletters`: reading the topics as a person would."""

import base64
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from rxsim.cli.options import BootstrapOpt, console, err
from rxsim.tools.story import prescription_of, service_of, story, summary
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


def tail(
    topic: Annotated[str, typer.Argument(help=f"one of: {', '.join(BY_NAME)}")],
    bootstrap: BootstrapOpt = None,
    prescription: Annotated[
        str | None, typer.Option("--id", help="only this prescription id")
    ] = None,
    from_beginning: Annotated[bool, typer.Option(help="start at the oldest message")] = False,
) -> None:
    """Print a topic's messages as they arrive, until Ctrl-C."""
    if topic not in BY_NAME:
        err.print(f"[red]no topic {topic!r}:[/] choose one of {', '.join(BY_NAME)}")
        raise typer.Exit(2)
    from rxsim.tools.live import connect, parse  # Kafka clients load only when a command needs them
    from rxsim.tools.topic_reader import read

    where = connect(bootstrap, err)
    console.print(f"[dim]following {topic} on {where} — Ctrl-C stops[/]")
    try:
        for record in read(where, [topic], from_beginning=from_beginning, follow=True):
            event = parse(record.value, record.headers)
            if event is None:
                if prescription is None:
                    console.print(
                        f"[red]{record.partition}@{record.offset} not JSON:[/] "
                        f"{_printable(record.value or b'')}"
                    )
                continue
            rx = prescription_of(topic, event)
            if prescription is not None and rx != prescription:
                continue
            console.print(
                f"[dim]{_clock(event.get('time'))} {record.partition}@{record.offset}[/] "
                f"[cyan]{rx}[/] [bold]{service_of(event)}[/] {summary(topic, event)}",
                soft_wrap=True,  # one line per message, so tail's output can be grepped
            )
    except KeyboardInterrupt:
        pass


def trace(
    prescription: Annotated[str, typer.Argument(help="the prescription id (code)")],
    bootstrap: BootstrapOpt = None,
) -> None:
    """One prescription's whole story across every topic, in time order."""
    from rxsim.tools.live import connect, parse  # Kafka clients load only when a command needs them
    from rxsim.tools.topic_reader import read

    where = connect(bootstrap, err)
    found = []
    for record in read(where, [t.name for t in ALL_TOPICS]):
        event = parse(record.value, record.headers)
        if event is not None and prescription_of(record.topic, event) == prescription:
            found.append((record.topic, event))
    if not found:
        console.print(f"no event about {prescription} on {where}")
        raise typer.Exit(1)
    table = Table(title=f"prescription {prescription}", title_justify="left")
    for column in ("time (UTC)", "service", "topic", "event", "what happened", "state after"):
        table.add_column(column, overflow="fold")
    for step in story(found):
        state = (
            f"[bold green]{step.state}[/]" if step.state_changed else f"[dim]{step.state or '—'}[/]"
        )
        event_name = step.event_type.removeprefix("vn.rxsim.")
        table.add_row(_clock(step.at), step.service, step.topic, event_name, step.summary, state)
    console.print(table)


def deadletters(
    bootstrap: BootstrapOpt = None,
    follow: Annotated[bool, typer.Option(help="keep printing new ones")] = False,
) -> None:
    """List the messages consumers refused: who, from where, why, and the original bytes."""
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
            console.print(
                f"    original: {len(original)} bytes: {_printable(original)}", soft_wrap=True
            )
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
