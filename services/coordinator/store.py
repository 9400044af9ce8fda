"""Where the coordinator keeps each prescription's record: a faust table, so that the broker
(its changelog topic) can rebuild it after a restart.

Keys and values are declared as str and bytes (the app's serializers are raw), and the record
is JSON we encode ourselves: faust then reads its changelog back exactly as it wrote it. (A
table of `dict` values is written fine but cannot be recovered: faust calls `dict.from_data`
and the worker never becomes ready again.)"""

from collections.abc import Iterator

import faust
import orjson

from rxsim.messaging.codec import MAX_MESSAGE_BYTES, MessageTooLarge
from services.coordinator.record import Expiry, PrescriptionRecord, expiry_of


class PrescriptionStore:
    """Prescription id -> PrescriptionRecord, stored as its JSON."""

    def __init__(self, app: faust.App, partitions: int) -> None:
        # Each record's expiry fields, with the stored bytes they were read from: the expiry
        # timer scans every record twice a second and decodes only the ones that changed.
        self._expiries: dict[str, tuple[bytes, Expiry]] = {}
        self._table = app.Table(
            "prescriptions",
            key_type=str,
            value_type=bytes,
            default=None,
            partitions=partitions,
        )

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        stored = self._table.get(prescription_id)
        return PrescriptionRecord.model_validate_json(stored) if stored else None

    def put(self, prescription_id: str, encoded: bytes) -> None:
        """Store a record already encoded (see `encode`)."""
        self._table[prescription_id] = encoded

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
        for key, stored in list(self._table.items()):
            if not stored:
                continue
            known = self._expiries.get(key)
            if known is None or known[0] is not stored:
                known = self._expiries[key] = (stored, expiry_of(orjson.loads(stored)))
            yield key, known[1]
