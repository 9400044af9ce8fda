"""Requests from people the coordinator cannot apply: the prescriber's cancellation and the
citizen's choice of a pharmacy. Each is answered on rx.status with `refused` (the request, its
event id, a reason code and a message in Vietnamese with an English gloss), and the
prescription stays as it was. Only a repeat of an event already applied stays silent.

Stale or repeated reports from the pipeline itself (a pharmacy, the deadline timer) are no
one's request: those only leave a note in the log (`outcome.guard`)."""

from typing import Literal

from rxsim import fhir
from rxsim.domain.reasons import Reason
from rxsim.domain.rules import dispensing
from rxsim.messaging.outgoing import Outgoing
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CancellationRequested,
    Fulfilment,
    PharmacyChosen,
    RequestRefused,
    State,
    StatusChanged,
)
from services.coordinator.context import Context
from services.coordinator.outcome import Outcome
from services.coordinator.record import PrescriptionRecord

Request = Literal["cancel", "choice"]
Refusal = tuple[Reason, str]

HANDED_OVER = frozenset({State.DISPENSED, State.OUT_FOR_DELIVERY, State.DELIVERY_FAILED})
SOLD = HANDED_OVER | {State.DELIVERED, State.PICKED_UP}
ENDED = frozenset({State.REJECTED, State.EXPIRED})
CANCELLED = frozenset({State.CANCELLED, State.PENDING_CANCELLATION})


def _mismatch(record: PrescriptionRecord, named: str) -> Refusal:
    return (
        Reason.SUBJECT_MISMATCH,
        f"Yêu cầu ghi mã đơn {named}, không phải {record.prescription_id} "
        f"(the request names prescription {named}, not {record.prescription_id})",
    )


def _ended(record: PrescriptionRecord) -> Refusal:
    return (
        Reason.PRESCRIPTION_ENDED,
        f"Đơn thuốc đã kết thúc ({record.state}) (the prescription has already ended)",
    )


def cancel_refusal(record: PrescriptionRecord, request: CancellationRequested) -> Refusal | None:
    """Why the prescriber's cancellation cannot be applied, or None when it can."""
    if request.prescription_id != record.prescription_id:
        return _mismatch(record, request.prescription_id)
    if record.state in CANCELLED:
        return Reason.ALREADY_CANCELLED, "Đơn thuốc đã được hủy trước đó (already cancelled)"
    if record.state in ENDED:
        return _ended(record)
    if record.state in SOLD:
        rest = (
            "; phần còn lại sẽ không được bán tiếp (the rest will not be offered again)"
            if record.cancelled is not None and record.remaining()
            else ""
        )
        return (
            Reason.CANCEL_TOO_LATE,
            f"Không thể hủy: thuốc đã được bán ({record.state}){rest} "
            "(too late to cancel: the drugs were already sold)",
        )
    return None


def choice_refusal(
    record: PrescriptionRecord, choice: PharmacyChosen, ctx: Context
) -> Refusal | None:
    """Why the citizen's choice of a pharmacy cannot be applied, or None when it can."""
    if choice.prescription_id != record.prescription_id:
        return _mismatch(record, choice.prescription_id)
    if choice.citizen_id != record.citizen_id:
        return (
            Reason.NOT_THE_PATIENT,
            "Chỉ người bệnh được chọn nhà thuốc cho đơn này "
            "(only the patient may choose the pharmacy for this prescription)",
        )
    if record.state in ENDED:
        return _ended(record)
    if record.state != State.AVAILABLE:
        return (
            Reason.CHOICE_NOT_APPLICABLE,
            f"Không thể chọn nhà thuốc: đơn đang ở trạng thái {record.state} "
            "(a pharmacy can be chosen only while the prescription is AVAILABLE)",
        )
    if choice.pharmacy_id not in ctx.known_pharmacies:
        return (
            Reason.UNKNOWN_PHARMACY,
            f"Không tìm thấy nhà thuốc {choice.pharmacy_id} (unknown pharmacy)",
        )
    if choice.fulfilment == Fulfilment.DELIVERY and not dispensing.home_delivery_allowed(
        record.type_letter, ctx.rules
    ):
        return (
            Reason.HOME_DELIVERY_NOT_ALLOWED,
            "Thuốc kiểm soát đặc biệt không được giao tận nhà, hãy nhận tại nhà thuốc "
            "(controlled drugs: pickup only)",
        )
    return None


def refuse(
    record: PrescriptionRecord,
    event: Envelope,
    request: Request,
    refusal: Refusal,
    ctx: Context,
) -> Outcome:
    """Answer a refused request on rx.status; the record only remembers the event, so a repeat
    of it is answered once."""
    code, message = refusal
    record.remember(event.id)
    data = StatusChanged(
        prescription_id=record.prescription_id,
        state=record.state,
        facility_code=record.facility_code,
        citizen_id=record.citizen_id or None,
        pharmacy_id=record.pharmacy_id,
        fulfilment=record.fulfilment,
        issued_at=record.issued_at,
        task=fhir.status_task(record.prescription_id, record.state, ctx.now, None),
        refused=RequestRefused(
            request=request, event_id=event.id, reason_code=code, reason=message
        ),
    )
    answer = Outgoing(
        topics.RX_STATUS, record.prescription_id, data, record.correlation_id, event.id
    )
    return Outcome(record, [answer], note=f"refused {request}: {code}: {message}")
