"""Where the coordinator keeps each prescription's record: the worker's `prescriptions` table
(per partition), which the broker (its changelog topic) rebuilds after a restart. Records are
encoded here; a batch reads and writes them through its overlay (rxsim/messaging/tables.py),
the HTTP API and the expiry timer through the table.

A record is two keys: `rx/<id>`, the record without its MedicationRequests, written at every
change of state, and `mr/<id>`, the MedicationRequests, written when they change (at the
issue). They were over half of every changelog write (4.3 KB a write, six writes a
prescription), and the embedded broker keeps every write in memory. Both keys have a prefix,
so no prescription id (any string a sender chose) can name the other kind."""

import logging
from datetime import datetime, timedelta

import orjson

from rxsim.domain.states import TERMINAL
from rxsim.messaging.codec import bounded
from rxsim.messaging.tables import Below, Decoded, Overlay, Table
from schemas.events import State
from services.coordinator.expiries import ExpiryIndex
from services.coordinator.record import Expiry, PrescriptionRecord, expiry_of

log = logging.getLogger(__name__)
RECORD, REQUESTS = "rx/", "mr/"


def record_key(prescription_id: str) -> str:
    return RECORD + prescription_id


def requests_key(prescription_id: str) -> str:
    return REQUESTS + prescription_id


class PrescriptionStore:
    """Prescription id -> PrescriptionRecord, stored as JSON under two keys (see above); with
    the records' expiries indexed by due time and their counts by state (see expiries.py),
    kept as the table changes and rebuilt when partitions are restored or dropped. The index
    knows records by their table key (`rx/<id>`), as the worker's forgetting does. `kept`: how
    long after its issue a finished record is forgotten (None: never)."""

    def __init__(self, table: Table, kept: timedelta | None = None) -> None:
        self.table = table
        self._expiries = ExpiryIndex(kept)
        # Records as last written, not validated again by the next event about them; only
        # those not terminal are kept.
        self._decoded: Decoded[PrescriptionRecord] = Decoded()
        table.watch(self)

    def get(self, prescription_id: str, view: Below | None = None) -> PrescriptionRecord | None:
        """A record as stored, or as a batch has made it so far (`view`: its overlay), for the
        caller to change as it likes."""
        below = view or self.table
        stored = below.get(record_key(prescription_id))
        if not stored:
            return None
        kept = self._decoded.take(prescription_id, stored)
        if kept is not None:
            return kept
        record = PrescriptionRecord.model_validate_json(stored)
        requests = below.get(requests_key(prescription_id))
        if requests:
            record.medication_requests = orjson.loads(requests)
        return record

    def put(self, prescription_id: str, record: PrescriptionRecord, view: Overlay) -> None:
        """Write a record to a batch's overlay; it reaches the table with the batch. Raise
        MessageTooLarge if its changelog message could not be carried. The record object is
        kept for the next `get` of this id: the caller must not change it afterwards."""
        encoded = self.encode(record)
        requests = encode_requests(record)
        if view.get(requests_key(prescription_id)) != requests:
            view.put(requests_key(prescription_id), requests)
        view.put(record_key(prescription_id), encoded)
        if record.state in TERMINAL:
            self._decoded.drop(prescription_id)
        else:
            self._decoded.keep(prescription_id, encoded, record)

    @staticmethod
    def encode(record: PrescriptionRecord) -> bytes:
        """A record as stored under `rx/<id>`, without its MedicationRequests; raise
        MessageTooLarge if its changelog message could not be carried, so a caller can check
        it before sending anything."""
        return bounded(record.model_dump_json(exclude={"medication_requests"}).encode())

    # -- the table's watcher (rxsim/messaging/tables.py) ---------------------------------

    def stored(self, partition: int, key: str, value: bytes | None) -> None:
        """A batch stored a record: index its expiry, from the kept object when there is
        one (no decoding)."""
        if not key.startswith(RECORD):
            return
        if value is None:
            self._expiries.forget(key)
            return
        record = self._decoded.peek(key.removeprefix(RECORD), value)
        if record is not None:
            self._expiries.note(
                key,
                Expiry(record.state, record.valid_until, record.correlation_id, record.issued_at),
            )
        else:
            self._expiries.note(key, expiry_of(orjson.loads(value)))

    def reset(self, table: Table) -> None:
        """Partitions were restored or dropped: index every record the table holds (each
        decoded once, without validating it)."""
        self._decoded.clear()
        held = [(key, stored) for key, stored in table.items() if key.startswith(RECORD)]
        self._expiries.rebuild((key, expiry_of(orjson.loads(stored))) for key, stored in held)
        log.info("%d prescriptions indexed", len(held))

    # -- what the timer and the API ask -------------------------------------------------

    def due(self, now: datetime) -> list[tuple[str, Expiry]]:
        """The records whose validity is over at `now` and that may still expire, by
        prescription id."""
        return [(key.removeprefix(RECORD), expiry) for key, expiry in self._expiries.due(now)]

    def forgettable(self, now: datetime) -> list[str]:
        """The finished records due to be forgotten at `now`, by table key (`rx/<id>`), each
        handed out once."""
        return self._expiries.forgettable(now)

    def again(self, key: str) -> None:
        """Hand out again a record whose forgetting was not stored."""
        self._expiries.again(key)

    def forget(self, view: Overlay, keys: list[str], now: datetime) -> bool:
        """Delete from a partition's overlay those of `keys` (table keys, `rx/<id>`) that are
        still finished and due (a batch may have stored a new submission of the code since
        they were handed out), with their MedicationRequests; whether any was."""
        kept = self._expiries.kept
        deleted = False
        for key in keys:
            stored = view.get(key)
            if kept is None or not stored:
                continue
            expiry = expiry_of(orjson.loads(stored))
            if expiry.state in TERMINAL and expiry.issued_at and expiry.issued_at + kept <= now:
                prescription_id = key.removeprefix(RECORD)
                view.put(key, None)
                if view.get(requests_key(prescription_id)) is not None:
                    view.put(requests_key(prescription_id), None)
                self._decoded.drop(prescription_id)
                deleted = True
        return deleted

    def counts(self) -> dict[State, int]:
        """How many records are in each state, as last stored."""
        return self._expiries.counts()


def encode_requests(record: PrescriptionRecord) -> bytes | None:
    """A record's MedicationRequests as stored under `mr/<id>` (None: it has none)."""
    if not record.medication_requests:
        return None
    return bounded(orjson.dumps(record.medication_requests))
