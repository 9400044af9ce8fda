"""How a prescription enters and leaves the coordinator's care without a pharmacy: issued and
validated (rx.issued), cancelled by its prescriber (rx.cancel), expired (coordinator.deadlines).
Plain functions: the stored record (or None) and the event in, an Outcome out."""

from datetime import datetime

from rxsim import fhir
from rxsim.domain import rules as rx_rules
from rxsim.domain.prescription import Issue
from rxsim.domain.reasons import Reason
from rxsim.domain.states import TERMINAL, can_move
from rxsim.fhir import signing
from rxsim.messaging.outgoing import Outgoing
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CancellationRequested,
    DeadlineReached,
    Item,
    OrderCancellationRequested,
    State,
)
from services.coordinator.context import Context
from services.coordinator.outcome import Outcome, guard, inbox_entry, move, reason_of, status_of
from services.coordinator.record import Expiry, PrescriptionRecord, Step, for_dispensing
from services.coordinator.refusals import HANDED_OVER, cancel_refusal, refuse


def _reject_submission(
    stored: PrescriptionRecord | None,
    event: Envelope,
    code: str,
    facility: str,
    issues: list[Issue],
    ctx: Context,
) -> Outcome:
    """A submission refused before it owns a prescription: a status event is sent, and the
    submission is remembered as refused (on the code's record, or on a small REJECTED one when
    the code has none) so that a replay of it is not refused again."""
    record = PrescriptionRecord(
        prescription_id=code,
        correlation_id=event.correlationid,
        state=State.ISSUED,
        facility_code=facility,
        issued_at=event.time,
    )
    step = Step(
        state=State.REJECTED,
        at=ctx.now,
        event_id=event.id,
        reason_code=issues[0].code,
        reason=reason_of(issues),
    )
    status = status_of(record, step, State.ISSUED, event.id, event.correlationid, issues)
    if stored is None:
        record.state, record.history = State.REJECTED, [step]
        stored = record
    stored.remember_refusal(event.correlationid)
    return Outcome(stored, [status])


def _refused_before(stored: PrescriptionRecord | None) -> list[str]:
    """What a new record of a code keeps of the refusals of its earlier submissions."""
    if stored is None:
        return []
    rejected = [stored.correlation_id] if stored.state == State.REJECTED else []
    return [*stored.refused, *rejected]


def older_than_kept(event: Envelope, ctx: Context) -> bool:
    """Whether a submission was made before what the coordinator keeps: a prescription is
    forgotten once finished and past its validity and retention, so an issue this old that
    it does not know is a replay of one it forgot, not a new prescription."""
    return event.time + ctx.validity + ctx.kept_after_validity <= ctx.now


def on_issued(record: PrescriptionRecord | None, event: Envelope, ctx: Context) -> Outcome:
    """rx.issued: validate, then make the prescription available to the citizen."""
    if record is not None and (
        record.correlation_id == event.correlationid or record.refused_before(event.correlationid)
    ):
        return Outcome(None, note="replayed submission")
    stored = record
    # Validated at the first hop when rxsim's hospital says so in its signature (checked
    # below, before anything is taken further): then only the lean prescription is read.
    validated = signing.trusts_validation(event.signature, ctx.keys)
    try:
        rx = fhir.parse_prescription(event.data, validated=validated)
    except fhir.InvalidPrescription as exc:
        return _reject_submission(stored, event, event.subject, "?", exc.issues, ctx)
    if rx.code != event.subject:
        issue = rx_rules.subject_mismatch(event.subject, rx.code)
        return _reject_submission(stored, event, event.subject, rx.facility_code, [issue], ctx)
    if event.signature or ctx.require_signatures:
        # Before the duplicate check and the rules: nothing a facility did not sign, or that
        # changed since, is taken further (and a forgery cannot burn a real code).
        forged = signing.verify(event.data, event.signature, ctx.keys, rx.facility_code)
        if forged is not None:
            return _reject_submission(stored, event, rx.code, rx.facility_code, [forged], ctx)
    if record is not None and record.state != State.REJECTED and ctx.rules.duplicate_code:
        return _reject_submission(
            stored, event, rx.code, rx.facility_code, [rx_rules.duplicate_code(rx.code)], ctx
        )
    record = PrescriptionRecord(
        prescription_id=rx.code,
        correlation_id=event.correlationid,
        state=State.ISSUED,
        facility_code=rx.facility_code,
        facility_name=rx.facility_name,
        citizen_id=rx.citizen_id,
        patient_name=rx.patient_name,
        prescriber_name=rx.prescriber_name,
        type_letter=rx.type_letter,
        simulated=rx.simulated,
        issued_at=event.time,
        valid_until=event.time + ctx.validity,
        items=[
            Item(
                drug_code=item.drug_code,
                name=item.name,
                quantity=item.quantity,
                unit=item.unit,
                instructions=item.instructions,
            )
            for item in rx.items
        ],
        medication_requests=[for_dispensing(r) for r in rx.medication_requests],
        refused=_refused_before(stored),
    )
    out: list[Outgoing] = []
    record.history.append(Step(state=State.ISSUED, at=event.time, event_id=event.id))
    record.remember(event.id)
    issues = rx_rules.check_prescription(rx, ctx)
    if issues:
        move(record, State.REJECTED, ctx, event, out, issues[0].code, reason_of(issues), issues)
        return Outcome(record, out)
    move(record, State.VALIDATED, ctx, event, out)
    move(record, State.AVAILABLE, ctx, event, out)
    out.append(inbox_entry(record, event, ctx))
    return Outcome(record, out)


def on_cancel(
    record: PrescriptionRecord | None, event: Envelope, request: CancellationRequested, ctx: Context
) -> Outcome:
    """rx.cancel: the prescriber withdraws a prescription not yet dispensed. One a pharmacy
    holds waits for the pharmacy to return it (or to say it was already dispensed). One that
    cannot be cancelled any more is refused on rx.status, saying why."""
    if record is None or record.saw(event.id):
        return Outcome(
            None, note="unknown prescription" if record is None else "event already applied"
        )
    forged = _not_from_the_issuer(record, event, ctx)
    if forged is not None:
        return refuse(record, event, "cancel", forged, ctx)
    if _remainder_to_withdraw(record, request):
        record.cancelled = request.reason
    refusal = cancel_refusal(record, request)
    if refusal is not None:
        return refuse(record, event, "cancel", refusal, ctx)
    held = record.state in (State.ORDERED, State.ACCEPTED)
    wanted = State.PENDING_CANCELLATION if held else State.CANCELLED
    why = guard(record, event, request.prescription_id, wanted)
    if why is not None:
        return Outcome(None, note=why)
    out: list[Outgoing] = []
    record.remember(event.id)
    record.cancelled = request.reason
    move(record, wanted, ctx, event, out, Reason.CANCELLED_BY_PRESCRIBER, request.reason)
    if held and record.pharmacy_id:
        ask = OrderCancellationRequested(
            prescription_id=record.prescription_id,
            pharmacy_id=record.pharmacy_id,
            reason=request.reason,
        )
        out.append(
            Outgoing(
                topics.PHARMACY_CANCELLATIONS,
                record.pharmacy_id,
                ask,
                record.correlation_id,
                event.id,
                ctx.signer,
            )
        )
    return Outcome(record, out)


def _not_from_the_issuer(
    record: PrescriptionRecord, event: Envelope, ctx: Context
) -> tuple[Reason, str] | None:
    """Why a cancellation is not shown to come from the facility that issued the
    prescription (its signature, as on rx.issued), or None: anyone who can write on rx.cancel
    could otherwise withdraw any prescription in the country."""
    if not (event.signature or ctx.require_signatures):
        return None
    issue = signing.verify(event.data, event.signature, ctx.keys, record.facility_code)
    if issue is None:
        return None
    return issue.code, (
        f"Yêu cầu hủy không có chữ ký hợp lệ của cơ sở {record.facility_code} "
        f"(the cancellation is not signed by the prescription's facility: {issue.message})"
    )


def _remainder_to_withdraw(record: PrescriptionRecord, request: CancellationRequested) -> bool:
    """A cancellation too late for what a pharmacy sold still withdraws the rest of a partial
    sale, so it is not offered again once the sold part is handed over."""
    return (
        record.state in HANDED_OVER
        and record.cancelled is None
        and request.prescription_id == record.prescription_id
        and bool(record.remaining())
    )


def on_deadline(
    record: PrescriptionRecord | None, event: Envelope, deadline: DeadlineReached, ctx: Context
) -> Outcome:
    """coordinator.deadlines: expire a prescription whose validity is over (checked again here,
    so an early or repeated deadline changes nothing). A pharmacy holding it is told, so that
    it returns it instead of dispensing it."""
    why = guard(record, event, deadline.prescription_id, State.EXPIRED)
    if (
        why is None
        and record is not None
        and (record.valid_until is None or ctx.now < record.valid_until)
    ):
        why = "still valid"
    if why is not None or record is None:
        return Outcome(None, note=why)
    out: list[Outgoing] = []
    record.remember(event.id)
    held = record.state in (State.ORDERED, State.ACCEPTED)
    why = "Đơn thuốc đã hết hạn mua (quá 5 ngày kể từ ngày kê) (validity period is over)"
    move(record, State.EXPIRED, ctx, event, out, Reason.VALIDITY_OVER, why)
    if held and record.pharmacy_id:
        ask = OrderCancellationRequested(
            prescription_id=record.prescription_id, pharmacy_id=record.pharmacy_id, reason=why
        )
        out.append(
            Outgoing(
                topics.PHARMACY_CANCELLATIONS,
                ask.pharmacy_id,
                ask,
                record.correlation_id,
                event.id,
                ctx.signer,
            )
        )
    return Outcome(record, out)


def due_for_expiry(record: PrescriptionRecord | Expiry, now: datetime) -> bool:
    return (
        record.state not in TERMINAL
        and record.valid_until is not None
        and now >= record.valid_until
        and can_move(record.state, State.EXPIRED)
    )
