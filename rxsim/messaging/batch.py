"""What a worker does with one batch of records, as a plain function: which events to send,
which table changes to write, which offsets to commit, which partitions to hold or read again.
The worker (rxsim/messaging/worker.py) then does it, in that order; nothing here does I/O.

Per partition, records are decided in offset order against the table as the batch has made it
so far (tables.Overlay). A record is never passed over: one further on than the next offset
to handle makes the partition be read again from that offset (`rewinds`), once; if the same
gap comes back, it is taken as real (Kafka allows gaps in a partition's offsets)."""

import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from rxsim.messaging.codec import MessageTooLarge, Record, Undecodable, dead_letter_of, decode
from rxsim.messaging.outgoing import Prepared
from rxsim.messaging.tables import Overlay, Table
from schemas import topics
from schemas.envelope import Envelope
from schemas.topics import Topic

log = logging.getLogger(__name__)

HOLD: Literal["hold"] = "hold"  # not yet: the record's partition waits and is read again later
Hold = Literal["hold"]
# Decide one decoded event: what to send (prepared, ids derived from the event), writing what
# changes to the overlay of the record's partition; or HOLD. May raise: the event is parked.
Decide = Callable[[Topic, Record, Envelope, BaseModel, Overlay], list[Prepared] | Hold]


class Park(Exception):
    """Raised by a decision for an event it must not handle (not a bug: no traceback): the
    event is parked in rx.deadletter with this reason."""


@dataclass
class Plan:
    """What a batch decided, to be done in this order: send `sends` and wait for all; write
    `writes` (partition -> key -> value) to the changelog and wait; commit `commits`
    (partition -> next offset). `holds` and `rewinds` (partition -> offset) are partitions to
    read again from that offset, after a pause for a hold."""

    sends: list[Prepared] = field(default_factory=list)
    writes: dict[int, dict[str, bytes | None]] = field(default_factory=dict)
    commits: dict[Any, int] = field(default_factory=dict)
    holds: dict[Any, int] = field(default_factory=dict)
    rewinds: dict[Any, int] = field(default_factory=dict)
    handled: int = 0


def in_order(
    batch: Mapping[Any, Sequence[Record]], first: Iterable[str] = ()
) -> list[tuple[Any, Sequence[Record]]]:
    """The batch's partitions, those of the topics `first` before the others (an issue before
    the events about it that came in the same batch)."""
    early = frozenset(first)
    return sorted(batch.items(), key=lambda item: (item[0].topic not in early, item[0]))


def plan(
    service: str,
    batch: Mapping[Any, Sequence[Record]],
    table: Table,
    positions: MutableMapping[Any, int | None],
    decide: Decide,
    *,
    first: Iterable[str] = (),
    rewound: MutableMapping[Any, int] | None = None,
) -> Plan:
    """Decide every record of `batch` (partition -> records in offset order) that is next on
    its partition. `positions` (partition -> next offset to handle, None: from wherever the
    partition starts) moves as records are decided, so a decision sees what the batch has
    handled already; `rewound` remembers gaps already read again."""
    rewound = {} if rewound is None else rewound
    result = Plan()
    overlays: dict[int, Overlay] = {}
    for tp, records in in_order(batch, first):
        if tp not in positions:
            continue  # no longer assigned: its new owner handles it
        overlay = overlays.get(tp.partition)
        if overlay is None:
            overlay = overlays[tp.partition] = Overlay(table.partition(tp.partition))
        for record in records:
            expected = positions[tp]
            if expected is not None and record.offset < expected:
                continue  # handled already (read again after a rewind or a hold)
            if expected is not None and record.offset > expected:
                if rewound.get(tp) != expected:
                    rewound[tp] = expected
                    result.rewinds[tp] = expected
                    log.warning(
                        "%s[%s]: got %s while %s is next; reading again from %s",
                        tp.topic, tp.partition, record.offset, expected, expected,
                    )  # fmt: skip
                    break
                log.warning("%s[%s]: no record at %s", tp.topic, tp.partition, expected)
            rewound.pop(tp, None)
            answer = _one(service, record, overlay, decide, result.sends)
            if answer == HOLD:
                result.holds[tp] = record.offset
                positions[tp] = record.offset
                break
            positions[tp] = record.offset + 1
            result.handled += 1
        if positions[tp] is not None:
            result.commits[tp] = positions[tp]  # type: ignore[assignment]
    for number, overlay in overlays.items():
        if overlay.changes:
            result.writes[number] = overlay.changes
    return result


def _one(
    service: str, record: Record, overlay: Overlay, decide: Decide, sends: list[Prepared]
) -> Hold | None:
    """Decide one record, adding what to send to `sends` and its writes to `overlay`; a record
    that cannot be decoded, or whose handler fails, or whose outcome could not be carried, is
    parked in rx.deadletter instead, with the reason, and changes nothing."""
    topic = topics.BY_NAME[record.topic]
    try:
        envelope, data = decode(topic, record.value, record.headers)
    except Undecodable as exc:
        sends.append(_dead_letter(service, record, exc.reason))
        return None
    scratch = overlay.child()
    try:
        out = decide(topic, record, envelope, data, scratch)
    except Park as exc:
        sends.append(_dead_letter(service, record, str(exc)))
        return None
    except MessageTooLarge as exc:  # never a crash: park what led to it
        log.error("%s %s: %s", envelope.type, envelope.subject, exc)
        sends.append(_dead_letter(service, record, f"outcome too large: {exc}"))
        return None
    except Exception as exc:  # a bug must not stop the pipeline: park the message
        log.exception("handler failed")
        sends.append(_dead_letter(service, record, f"handler error: {exc!r}"))
        return None
    if out == HOLD:
        return HOLD
    overlay.absorb(scratch)
    sends.extend(out)
    return None


def _dead_letter(service: str, record: Record, reason: str) -> Prepared:
    key, value = dead_letter_of(record, service, reason)
    return topics.RX_DEADLETTER.name, key, value
