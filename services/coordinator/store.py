"""Where the coordinator keeps each prescription's record: a faust table, so that the broker
(its changelog topic) can rebuild it after a restart."""

from collections.abc import Iterator
from typing import Any

import faust

from services.coordinator.record import PrescriptionRecord


class PrescriptionStore:
    """Prescription id -> PrescriptionRecord, stored as JSON-ready dicts in the table."""

    def __init__(self, app: faust.App, partitions: int) -> None:
        self._table = app.Table(
            "prescriptions", key_type=str, value_type=dict, default=None, partitions=partitions
        )

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        raw = self._table.get(prescription_id)
        return PrescriptionRecord.model_validate(raw) if raw else None

    def put(self, prescription_id: str, record: PrescriptionRecord) -> None:
        self._table[prescription_id] = record.model_dump(mode="json")

    def raw_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every stored record as stored, unvalidated: for scans that read a field or two."""
        for key, raw in list(self._table.items()):
            if raw:
                yield key, raw
