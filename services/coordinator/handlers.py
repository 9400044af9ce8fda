"""The coordinator's business: one plain function per incoming event type.

Each handler takes the stored record (or None), the incoming event and a context, and returns
what to store and what to publish. No Kafka here, so every path is tested without a broker.
Every handler is idempotent: a repeated event id or a stale event changes nothing.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from rxsim import fhir
from rxsim.domain import rules as rx_rules
from rxsim.domain.prescription import Issue
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.country import Hospital
from rxsim.domain.rules import dispensing
from rxsim.domain.rules.switches import Rules
from rxsim.domain.states import TERMINAL, can_move
from rxsim.scenario import Scenario
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CancellationRequested,
    DeadlineReached,
    Fulfilment,
    Item,
    OrderCancellationRequested,
    OrderPlaced,
    PharmacyChosen,
    PharmacyUpdated,
    PrescriptionAvailable,
    State,
    StatusChanged,
)
from schemas.topics import Topic
from services.coordinator.record import Expiry, PrescriptionRecord, Step


@dataclass(frozen=True)
class Context:
    now: datetime
    rules: Rules
    known_facilities: frozenset[str]
    onboarded_facilities: frozenset[str]
    known_pharmacies: frozenset[str]
    validity: timedelta  # real time, already scaled by the scenario's clock
    facilities: Mapping[str, Hospital] = field(default_factory=dict)  # by code, with their beds
    catalog: rx_rules.Lookup = field(default_factory=rx_rules.Lookup)


def context_for(scenario: Scenario, now: datetime | None = None) -> Context:
    """The coordinator's view of a scenario; build it once and `replace(ctx, now=...)` per
    event, so the hot path does not rebuild the facility sets."""
    country = scenario.country
    return Context(
        now=now or datetime.now(UTC),
        rules=scenario.rules,
        known_facilities=frozenset(country.hospital_by_code),
        onboarded_facilities=scenario.onboarded_facilities,
        known_pharmacies=frozenset(country.pharmacy_by_id),
        validity=scenario.validity / scenario.speedup,
        facilities=country.hospital_by_code,
        catalog=rx_rules.Lookup(scenario.catalog.drug_by_code, scenario.catalog.diagnosis_by_code),
    )


def _reason(issues: list[Issue]) -> str:
    """Every problem, each naming its element, so the hospital's IT staff can find it."""
    return "; ".join(f"{issue.expression}: {issue.message}" for issue in issues)


@dataclass(frozen=True)
class Outgoing:
    topic: Topic
    key: str
    data: BaseModel
    correlation_id: str
    causation_id: str


@dataclass
class Outcome:
    record: PrescriptionRecord | None  # None: nothing to store
    out: list[Outgoing] = field(default_factory=list)
    note: str | None = None  # why nothing happened, for the log


def _status(
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


def _move(
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
    out.append(_status(record, step, previous, event.id, issues=issues))


def _inbox(record: PrescriptionRecord, event: Envelope, ctx: Context) -> Outgoing:
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


def _reject_submission(
    event: Envelope, code: str, facility: str, issues: list[Issue], ctx: Context
) -> Outcome:
    """A submission refused before it owns a prescription: only a status event is sent."""
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
        reason=_reason(issues),
    )
    status = _status(record, step, State.ISSUED, event.id, event.correlationid, issues)
    return Outcome(None, [status])


def on_issued(record: PrescriptionRecord | None, event: Envelope, ctx: Context) -> Outcome:
    """rx.issued: validate, then make the prescription available to the citizen."""
    if record is not None and record.correlation_id == event.correlationid:
        return Outcome(None, note="replayed submission")
    try:
        rx = fhir.parse_prescription(event.data)
    except fhir.InvalidPrescription as exc:
        return _reject_submission(event, event.subject, "?", exc.issues, ctx)
    if rx.code != event.subject:
        issue = rx_rules.subject_mismatch(event.subject, rx.code)
        return _reject_submission(event, event.subject, rx.facility_code, [issue], ctx)
    if record is not None and record.state != State.REJECTED and ctx.rules.duplicate_code:
        return _reject_submission(
            event, rx.code, rx.facility_code, [rx_rules.duplicate_code(rx.code)], ctx
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
        medication_requests=list(rx.medication_requests),
    )
    out: list[Outgoing] = []
    record.history.append(Step(state=State.ISSUED, at=event.time, event_id=event.id))
    record.remember(event.id)
    issues = rx_rules.check_prescription(rx, ctx)
    if issues:
        _move(record, State.REJECTED, ctx, event, out, issues[0].code, _reason(issues), issues)
        return Outcome(record, out)
    _move(record, State.VALIDATED, ctx, event, out)
    _move(record, State.AVAILABLE, ctx, event, out)
    out.append(_inbox(record, event, ctx))
    return Outcome(record, out)


def _guard(
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


def on_choice(
    record: PrescriptionRecord | None, event: Envelope, choice: PharmacyChosen, ctx: Context
) -> Outcome:
    """citizen.choices: route the prescription to the chosen pharmacy."""
    why = _guard(record, event, choice.prescription_id, State.ORDERED)
    if why is None and choice.pharmacy_id not in ctx.known_pharmacies:
        why = f"unknown pharmacy {choice.pharmacy_id}"
    if why is None and record is not None and choice.citizen_id != record.citizen_id:
        why = "choice made by another citizen"
    if (
        why is None
        and record is not None
        and choice.fulfilment == Fulfilment.DELIVERY
        and not dispensing.home_delivery_allowed(record.type_letter, ctx.rules)
    ):
        why = "home delivery of controlled drugs is refused by policy (pickup only)"
    if why is not None or record is None:
        return Outcome(None, note=why)
    out: list[Outgoing] = []
    record.remember(event.id)
    record.pharmacy_id, record.fulfilment = choice.pharmacy_id, choice.fulfilment
    record.address = choice.address
    _move(record, State.ORDERED, ctx, event, out)
    order = OrderPlaced(
        prescription_id=record.prescription_id,
        pharmacy_id=choice.pharmacy_id,
        fulfilment=choice.fulfilment,
        address=choice.address,
        items=record.remaining(),
        simulated=record.simulated,
        task=fhir.fulfilment_task(record.prescription_id, choice.pharmacy_id, ctx.now),
        medication_requests=record.medication_requests,
    )
    out.append(
        Outgoing(topics.PHARMACY_ORDERS, choice.pharmacy_id, order, record.correlation_id, event.id)
    )
    return Outcome(record, out)


PHARMACY_MOVES: dict[str, State] = {
    "accepted": State.ACCEPTED,
    "declined": State.AVAILABLE,
    "dispensed": State.DISPENSED,
    "out_for_delivery": State.OUT_FOR_DELIVERY,
    "delivery_failed": State.DELIVERY_FAILED,
    "delivered": State.DELIVERED,
    "picked_up": State.PICKED_UP,
    "returned": State.AVAILABLE,
}


# Courier events apply only to home delivery, a pickup only to an order to collect.
FULFILMENT_OF_KIND: dict[str, Fulfilment] = {
    "out_for_delivery": Fulfilment.DELIVERY,
    "delivery_failed": Fulfilment.DELIVERY,
    "delivered": Fulfilment.DELIVERY,
    "picked_up": Fulfilment.PICKUP,
}


def on_pharmacy(
    record: PrescriptionRecord | None, event: Envelope, update: PharmacyUpdated, ctx: Context
) -> Outcome:
    """pharmacy.events: apply what the pharmacy or its courier reports."""
    wanted = _pharmacy_move(record, update)
    why = _guard(record, event, update.prescription_id, wanted)
    if why is None and record is not None and update.pharmacy_id != record.pharmacy_id:
        why = f"pharmacy {update.pharmacy_id} does not hold this prescription"
    needed = FULFILMENT_OF_KIND.get(update.kind)
    if why is None and record is not None and needed and record.fulfilment != needed:
        why = f"{update.kind} does not apply to a {record.fulfilment} order"
    if why is None and record is not None and update.kind == "dispensed":
        prescribed = {item.drug_code: item.quantity for item in record.items}
        why = dispensing.over_dispensed(prescribed, record.dispensed, update.sold)
    if why is not None or record is None:
        return Outcome(None, note=why)
    out: list[Outgoing] = []
    record.remember(event.id)
    if wanted == State.CANCELLED:
        _move(
            record,
            wanted,
            ctx,
            event,
            out,
            Reason.CANCELLED_BY_PRESCRIBER,
            "Nhà thuốc đã trả lại đơn (the pharmacy returned the prescription)",
        )
    elif update.kind in ("declined", "returned"):
        record.declined_by = [*record.declined_by, update.pharmacy_id]
        record.pharmacy_id = record.fulfilment = record.address = None
        _move(record, State.AVAILABLE, ctx, event, out, Reason.PHARMACY_DECLINED, update.reason)
        out.append(_inbox(record, event, ctx))
    elif update.kind == "dispensed":
        late = record.state == State.PENDING_CANCELLATION
        sold = update.sold or {item.drug_code: item.quantity for item in record.remaining()}
        record.dispensed = {
            code: record.dispensed.get(code, 0) + sold.get(code, 0)
            for code in {*record.dispensed, *sold}
        }
        reason = (
            (
                "Đã bán trước khi nhận lệnh hủy (dispensed before the cancellation reached "
                "the pharmacy)"
            )
            if late
            else update.reason
        )
        _move(
            record, wanted, ctx, event, out, Reason.CANCELLATION_TOO_LATE if late else None, reason
        )
    elif wanted == State.AVAILABLE:  # a partial sale handed over: the rest is still to buy
        left = ", ".join(
            f"{item.quantity:g} {item.unit} {item.name}" for item in record.remaining()
        )
        record.pharmacy_id = record.fulfilment = record.address = None
        _move(
            record,
            State.AVAILABLE,
            ctx,
            event,
            out,
            Reason.PARTIALLY_DISPENSED,
            f"Còn lại chưa mua: {left} (still to buy)",
        )
        out.append(_inbox(record, event, ctx))
    else:
        _move(record, wanted, ctx, event, out, None, update.reason)
    return Outcome(record, out)


def _pharmacy_move(record: PrescriptionRecord | None, update: PharmacyUpdated) -> State:
    """The state a pharmacy's report moves the prescription to."""
    pending = record is not None and record.state == State.PENDING_CANCELLATION
    if pending and update.kind in ("declined", "returned"):
        return State.CANCELLED
    handed_over = record is not None and record.state in (State.DISPENSED, State.OUT_FOR_DELIVERY)
    partly_sold = record is not None and bool(record.dispensed) and bool(record.remaining())
    if update.kind in ("delivered", "picked_up") and handed_over and partly_sold:
        return State.AVAILABLE
    return PHARMACY_MOVES[update.kind]


def on_cancel(
    record: PrescriptionRecord | None, event: Envelope, request: CancellationRequested, ctx: Context
) -> Outcome:
    """rx.cancel: the prescriber withdraws a prescription not yet dispensed. One a pharmacy
    holds waits for the pharmacy to return it (or to say it was already dispensed)."""
    held = record is not None and record.state in (State.ORDERED, State.ACCEPTED)
    wanted = State.PENDING_CANCELLATION if held else State.CANCELLED
    why = _guard(record, event, request.prescription_id, wanted)
    if why is not None or record is None:
        return Outcome(None, note=why)
    out: list[Outgoing] = []
    record.remember(event.id)
    _move(record, wanted, ctx, event, out, Reason.CANCELLED_BY_PRESCRIBER, request.reason)
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
            )
        )
    return Outcome(record, out)


def on_deadline(
    record: PrescriptionRecord | None, event: Envelope, deadline: DeadlineReached, ctx: Context
) -> Outcome:
    """coordinator.deadlines: expire a prescription whose validity is over (checked again here,
    so an early or repeated deadline changes nothing)."""
    why = _guard(record, event, deadline.prescription_id, State.EXPIRED)
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
    _move(
        record,
        State.EXPIRED,
        ctx,
        event,
        out,
        Reason.VALIDITY_OVER,
        "Đơn thuốc đã hết hạn mua (quá 5 ngày kể từ ngày kê) (validity period is over)",
    )
    return Outcome(record, out)


def due_for_expiry(record: PrescriptionRecord | Expiry, now: datetime) -> bool:
    return (
        record.state not in TERMINAL
        and record.valid_until is not None
        and now >= record.valid_until
        and can_move(record.state, State.EXPIRED)
    )


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
