"""The coordinator's handler table: which plain function decides what each incoming event
does (`issuing`: issued, cancelled, expired; `fulfilment`: chosen, and the pharmacy's reports).

Each handler takes the stored record (or None), the incoming event and a context, and returns
what to store and what to publish. No Kafka here, so every path is tested without a broker.
Every handler is idempotent: a repeated event id or a stale event changes nothing.
"""

from collections.abc import Callable
from typing import Any

from schemas import topics
from schemas.envelope import Envelope
from services.coordinator.context import Context
from services.coordinator.fulfilment import on_choice, on_pharmacy
from services.coordinator.issuing import due_for_expiry, on_cancel, on_deadline, on_issued
from services.coordinator.outcome import Outcome
from services.coordinator.record import PrescriptionRecord

__all__ = [
    "HANDLERS",
    "due_for_expiry",
    "handle",
    "on_cancel",
    "on_choice",
    "on_deadline",
    "on_issued",
    "on_pharmacy",
]

Handler = Callable[[PrescriptionRecord | None, Envelope, Any, Context], Outcome]
# Who handles what. rx.issued's data is the Bundle itself, which on_issued reads from the
# event (it validates the whole Bundle), so its decoded data is not passed on.
HANDLERS: dict[str, Handler] = {
    topics.RX_ISSUED.name: lambda record, event, _bundle, ctx: on_issued(record, event, ctx),
    topics.CITIZEN_CHOICES.name: on_choice,
    topics.PHARMACY_EVENTS.name: on_pharmacy,
    topics.RX_CANCEL.name: on_cancel,
    topics.COORDINATOR_DEADLINES.name: on_deadline,
}


def handle(
    topic_name: str, record: PrescriptionRecord | None, event: Envelope, data: Any, ctx: Context
) -> Outcome:
    """Dispatch an already-decoded event to its handler."""
    return HANDLERS[topic_name](record, event, data, ctx)
