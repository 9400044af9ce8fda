"""What the coordinator keeps of each prescription (its table value), separate from wire models."""

from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from rxsim.domain.privacy import initials, masked
from schemas.events import Fulfilment, Item, State

SEEN_EVENTS_KEPT = 64
REFUSED_KEPT = 16


class Step(BaseModel):
    state: State
    at: datetime
    event_id: str
    reason_code: str | None = None
    reason: str | None = None


class PrescriptionRecord(BaseModel):
    prescription_id: str
    correlation_id: str
    state: State
    facility_code: str
    facility_name: str = ""
    citizen_id: str = ""
    patient_name: str = ""
    prescriber_name: str = ""
    type_letter: str = "c"
    simulated: bool = False
    issued_at: datetime
    valid_until: datetime | None = None
    items: list[Item] = Field(default_factory=list)
    medication_requests: list[dict[str, Any]] = Field(default_factory=list)
    pharmacy_id: str | None = None
    fulfilment: Fulfilment | None = None
    address: str | None = None
    declined_by: list[str] = Field(default_factory=list)
    dispensed: dict[str, float] = Field(default_factory=dict)  # drug code -> units sold so far
    # The prescriber's reason, once they cancelled: what was sold stays sold, and the rest of a
    # partial sale is not offered again.
    cancelled: str | None = None
    history: list[Step] = Field(default_factory=list)
    seen_events: list[str] = Field(default_factory=list)
    # Submissions of this code refused as a whole (invalid, duplicate): a replay of one of them
    # is not refused again. The latest REFUSED_KEPT, by correlation id.
    refused: list[str] = Field(default_factory=list)

    def refused_before(self, submission_id: str) -> bool:
        return submission_id in self.refused

    def remember_refusal(self, submission_id: str) -> None:
        self.refused = [*self.refused[-(REFUSED_KEPT - 1) :], submission_id]

    def saw(self, event_id: str) -> bool:
        return event_id in self.seen_events

    def remember(self, event_id: str) -> None:
        self.seen_events = [*self.seen_events[-(SEEN_EVENTS_KEPT - 1) :], event_id]

    def remaining(self) -> list[Item]:
        """What is still to be sold: prescribed minus sold so far, per item."""
        if not self.dispensed:  # nothing sold yet: all of it (asked for on most events)
            return list(self.items)
        left = [
            item.model_copy(
                update={"quantity": item.quantity - self.dispensed.get(item.drug_code, 0)}
            )
            for item in self.items
        ]
        return [item for item in left if item.quantity > 0]


# What a pharmacy is not sent of a MedicationRequest: the diagnosis (no national rule of
# dispensing needs it), the narrative and notes (free text may say anything about the
# patient), and supporting information. The coordinator keeps only what it forwards.
NOT_FOR_DISPENSING = frozenset(
    {"reasonCode", "reasonReference", "text", "note", "supportingInformation"}
)


def for_dispensing(request: dict[str, Any]) -> dict[str, Any]:
    """A MedicationRequest as the coordinator keeps and forwards it to a pharmacy: what
    dispensing needs (the drug, the structured dosage, the quantity, who prescribed it for
    whom, by reference), without NOT_FOR_DISPENSING. Its dosage text is its item's
    `instructions` already, so it is not carried twice (a long text would otherwise double
    the record past what a message may be)."""
    lean = {k: v for k, v in request.items() if k not in NOT_FOR_DISPENSING}
    dosage = lean.get("dosageInstruction")
    if isinstance(dosage, list) and any(isinstance(d, dict) and "text" in d for d in dosage):
        lean["dosageInstruction"] = [
            {k: v for k, v in d.items() if k != "text"} if isinstance(d, dict) else d
            for d in dosage
        ]
    return lean


def as_the_operator_sees(record: PrescriptionRecord) -> dict[str, Any]:
    """A record for the operator's API: its states, history, drugs and routing, with the
    citizen's CCCD (but its province), name (but initials) and address masked. The operator
    runs the pipeline; they need to see where a prescription went, not whose it is."""
    shown = record.model_dump(mode="json", exclude={"medication_requests", "seen_events"})
    shown["citizen_id"] = masked(record.citizen_id)
    shown["patient_name"] = initials(record.patient_name)
    if record.address is not None:
        shown["address"] = "(hidden)"
    return shown


class Expiry(NamedTuple):
    """Just what the expiry check, the counts by state and forgetting need of a stored
    record."""

    state: State
    valid_until: datetime | None
    correlation_id: str = ""
    issued_at: datetime | None = None


def expiry_of(stored: dict[str, Any]) -> Expiry:
    """Read the expiry fields of a stored record without validating the whole of it: a
    restored table's records are all indexed at once."""
    until = stored.get("valid_until")
    return Expiry(
        State(stored["state"]),
        datetime.fromisoformat(until) if until else None,
        stored["correlation_id"],
        datetime.fromisoformat(stored["issued_at"]),
    )
