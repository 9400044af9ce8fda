"""Where the coordinator keeps each prescription's record: a faust table, so that the broker
(its changelog topic) can rebuild it after a restart.

Keys and values are declared as str and bytes (the app's serializers are raw), and the record
is JSON we encode ourselves: faust then reads its changelog back exactly as it wrote it. (A
table of `dict` values is written fine but cannot be recovered: faust calls `dict.from_data`
and the worker never becomes ready again.)"""

import logging
from collections.abc import MutableMapping
from datetime import datetime

import faust
import orjson

from rxsim.domain.states import TERMINAL
from rxsim.messaging.codec import MAX_MESSAGE_BYTES, MessageTooLarge
from schemas.events import State
from services.coordinator.expiries import ExpiryIndex
from services.coordinator.record import Expiry, PrescriptionRecord, expiry_of

log = logging.getLogger(__name__)


class PrescriptionStore:
    """Prescription id -> PrescriptionRecord, stored as its JSON; with the records' expiries
    indexed by due time and their counts by state (see expiries.py), kept as records are
    stored and rebuilt with the table after a restart."""

    def __init__(self, table: MutableMapping[str, bytes]) -> None:
        self._table = table
        self._expiries = ExpiryIndex()
        # The record last stored under an id, with the bytes it was stored as: the next event
        # about it takes this object instead of validating those bytes again, which was a
        # fifth of what the coordinator spent on a choice or a pharmacy's report. Only records
        # that are not terminal are kept, so this holds what is in flight, not the history.
        self._decoded: dict[str, tuple[bytes, PrescriptionRecord]] = {}

    @classmethod
    def in_app(cls, app: faust.App, partitions: int) -> "PrescriptionStore":
        """The store over the app's `prescriptions` table."""
        table = app.Table(
            "prescriptions",
            key_type=str,
            value_type=bytes,
            default=None,
            partitions=partitions,
        )
        store = cls(table)

        # faust fills a recovered table from its changelog without going through `put`: index
        # what it holds once recovery is over (after every rebalance), before any event is read.
        @table.on_recover
        async def index_recovered() -> None:
            log.info("%d prescriptions recovered and indexed", store.rebuild())

        return store

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        """The record stored under this id, for the caller to change as it likes."""
        stored = self._table.get(prescription_id)
        if not stored:
            return None
        # Taken out, not looked up: handlers change the record they are given, also when they
        # then store nothing, so a kept object is handed out once and only `put` keeps one
        # again. It is used only while the table still holds the very bytes it was stored as
        # (not after a recovery or a rebalance wrote others).
        kept = self._decoded.pop(prescription_id, None)
        if kept is not None and kept[0] == stored:
            return kept[1]
        return PrescriptionRecord.model_validate_json(stored)

    def put(self, prescription_id: str, record: PrescriptionRecord, encoded: bytes) -> None:
        """Store a record, already encoded (see `encode`). The record object is kept for the
        next `get` of this id: the caller must not change it afterwards."""
        self._table[prescription_id] = encoded
        self._expiries.note(
            prescription_id, Expiry(record.state, record.valid_until, record.correlation_id)
        )
        if record.state in TERMINAL:
            self._decoded.pop(prescription_id, None)
        else:
            self._decoded[prescription_id] = (encoded, record)

    @staticmethod
    def encode(record: PrescriptionRecord) -> bytes:
        """A record as stored; raise MessageTooLarge if its changelog message could not be
        carried, so a caller can check it before sending anything."""
        stored = record.model_dump_json().encode()
        if len(stored) > MAX_MESSAGE_BYTES:
            raise MessageTooLarge(len(stored))
        return stored

    def rebuild(self) -> int:
        """Index every record the table holds (each decoded once, without validating it); how
        many."""
        held = [(key, stored) for key, stored in self._table.items() if stored]
        self._expiries.rebuild((key, expiry_of(orjson.loads(stored))) for key, stored in held)
        return len(held)

    def due(self, now: datetime) -> list[tuple[str, Expiry]]:
        """The records whose validity is over at `now` and that may still expire."""
        return self._expiries.due(now)

    def counts(self) -> dict[State, int]:
        """How many records are in each state, as last stored."""
        return self._expiries.counts()
