"""Writing a record to the coordinator's store as the worker does: through a batch's overlay,
then applied to the table once the batch is with the broker."""

from rxsim.messaging.tables import Overlay
from services.coordinator.record import PrescriptionRecord
from services.coordinator.store import PrescriptionStore


def write(store: PrescriptionStore, key: str, record: PrescriptionRecord) -> None:
    """One batch that writes `record` under `key` (in partition 0)."""
    view = Overlay(store.table)
    store.put(key, record, view)
    store.table.apply(0, view.changes)
