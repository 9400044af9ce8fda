"""Where the coordinator keeps each prescription's record: the worker's `prescriptions` table
(prescription id -> the record's JSON, per partition), which the broker (its changelog topic)
rebuilds after a restart. Records are encoded here; a batch reads and writes them through its
overlay (rxsim/messaging/tables.py), the HTTP API and the expiry timer through the table."""

from collections.abc import Iterator

import orjson

from rxsim.messaging.codec import MAX_MESSAGE_BYTES, MessageTooLarge
from rxsim.messaging.tables import Below, Table
from services.coordinator.record import Expiry, PrescriptionRecord, expiry_of


class PrescriptionStore:
    """Prescription id -> PrescriptionRecord, stored as its JSON."""

    def __init__(self, table: Table) -> None:
        # Each record's expiry fields, with the stored bytes they were read from: the expiry
        # timer scans every record twice a second and decodes only the ones that changed.
        self._expiries: dict[str, tuple[bytes, Expiry]] = {}
        self._table = table

    def get(self, prescription_id: str, view: Below | None = None) -> PrescriptionRecord | None:
        """A record as stored, or as a batch has made it so far (`view`: its overlay)."""
        stored = (view or self._table).get(prescription_id)
        return PrescriptionRecord.model_validate_json(stored) if stored else None

    @staticmethod
    def encode(record: PrescriptionRecord) -> bytes:
        """A record as stored; raise MessageTooLarge if its changelog message could not be
        carried, so a caller can check it before sending anything."""
        stored = record.model_dump_json().encode()
        if len(stored) > MAX_MESSAGE_BYTES:
            raise MessageTooLarge(len(stored))
        return stored

    def expiries(self) -> Iterator[tuple[str, Expiry]]:
        """Every record's state, validity and story, decoded once per version stored (also
        after a restart, when the table was recovered rather than written here)."""
        for key, stored in self._table.items():
            if not stored:
                continue
            known = self._expiries.get(key)
            if known is None or known[0] is not stored:
                known = self._expiries[key] = (stored, expiry_of(orjson.loads(stored)))
            yield key, known[1]
