"""What a coordinator decision returns (the record to store, the events to publish) and the
steps every decision shares: guard against stale or repeated events, move the state and say
so on rx.status, offer the prescription in the citizen's inbox."""

from dataclasses import dataclass, field

from rxsim import fhir
from rxsim.domain.prescription import Issue
from rxsim.domain.rules import dispensing
from rxsim.domain.states import can_move
from rxsim.messaging.outgoing import Outgoing
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import PrescriptionAvailable, State, StatusChanged
from services.coordinator.context import Context
from services.coordinator.record import PrescriptionRecord, Step


@dataclass
class Outcome:
    record: PrescriptionRecord | None  # None: nothing to store
    out: list[Outgoing] = field(default_factory=list)
    note: str | None = None  # why nothing happened, for the log


def reason_of(issues: list[Issue]) -> str:
    """Every problem, each naming its element, so the hospital's IT staff can find it."""
    return "; ".join(f"{issue.expression}: {issue.message}" for issue in issues)


def status_of(
    record: PrescriptionRecord,
    step: Step,
    previous: State | None,
    cause: str,
    correlation_id: str | None = None,
    issues: list[Issue] | None = None,
) -> Outgoing:
    data = StatusChanged(
        outcome=fhir.operation_outcome(issues) if issues else None,
        prescription_id=record.prescription_id,
        state=step.state,
        previous_state=previous,
        reason_code=step.reason_code,
        reason=step.reason,
        facility_code=record.facility_code,
        citizen_id=record.citizen_id or None,
        pharmacy_id=record.pharmacy_id,
        fulfilment=record.fulfilment,
        issued_at=record.issued_at,
        task=fhir.status_task(record.prescription_id, step.state, step.at, step.reason),
    )
    return Outgoing(
        topics.RX_STATUS,
        record.prescription_id,
        data,
        correlation_id or record.correlation_id,
        cause,
    )


def move(
    record: PrescriptionRecord,
    state: State,
    ctx: Context,
    event: Envelope,
    out: list[Outgoing],
    reason_code: str | None = None,
    reason: str | None = None,
    issues: list[Issue] | None = None,
) -> None:
    previous = record.state
    step = Step(state=state, at=ctx.now, event_id=event.id, reason_code=reason_code, reason=reason)
    record.state = state
    record.history.append(step)
    out.append(status_of(record, step, previous, event.id, issues=issues))


def inbox_entry(record: PrescriptionRecord, event: Envelope, ctx: Context) -> Outgoing:
    assert record.valid_until is not None
    data = PrescriptionAvailable(
        prescription_id=record.prescription_id,
        citizen_id=record.citizen_id,
        patient_name=record.patient_name,
        facility_code=record.facility_code,
        facility_name=record.facility_name,
        prescriber_name=record.prescriber_name,
        type_letter=record.type_letter,
        items=record.remaining(),
        valid_until=record.valid_until,
        home_delivery_allowed=dispensing.home_delivery_allowed(record.type_letter, ctx.rules),
        declined_by=record.declined_by,
        simulated=record.simulated,
    )
    return Outgoing(topics.CITIZEN_INBOX, record.citizen_id, data, record.correlation_id, event.id)


def guard(
    record: PrescriptionRecord | None, event: Envelope, prescription_id: str, wanted: State
) -> str | None:
    """Why the event must change nothing, or None when it applies."""
    if record is None:
        return "unknown prescription"
    if prescription_id != record.prescription_id:
        return f"event names prescription {prescription_id}, not {record.prescription_id}"
    if record.saw(event.id):
        return "event already applied"
    if not can_move(record.state, wanted):
        return f"stale: {record.state} cannot move to {wanted}"
    return None
