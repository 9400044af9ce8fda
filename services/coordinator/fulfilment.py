"""A prescription at the pharmacy: the citizen's choice (citizen.choices) and what the pharmacy
and its courier report (pharmacy.events). Plain functions: the stored record (or None) and the
event in, an Outcome out."""

from rxsim import fhir
from rxsim.domain.reasons import Reason
from rxsim.domain.rules import dispensing
from rxsim.messaging.outgoing import Outgoing
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, OrderPlaced, PharmacyChosen, PharmacyUpdated, State
from services.coordinator.context import Context
from services.coordinator.outcome import Outcome, guard, inbox_entry, move
from services.coordinator.record import PrescriptionRecord
from services.coordinator.refusals import choice_refusal, refuse


def on_choice(
    record: PrescriptionRecord | None, event: Envelope, choice: PharmacyChosen, ctx: Context
) -> Outcome:
    """citizen.choices: route the prescription to the chosen pharmacy, or refuse the choice
    on rx.status, saying why."""
    if record is None or record.saw(event.id):
        return Outcome(
            None, note="unknown prescription" if record is None else "event already applied"
        )
    refusal = choice_refusal(record, choice, ctx)
    if refusal is not None:
        return refuse(record, event, "choice", refusal, ctx)
    why = guard(record, event, choice.prescription_id, State.ORDERED)
    if why is not None:
        return Outcome(None, note=why)
    out: list[Outgoing] = []
    record.remember(event.id)
    record.pharmacy_id, record.fulfilment = choice.pharmacy_id, choice.fulfilment
    record.address = choice.address
    move(record, State.ORDERED, ctx, event, out)
    order = OrderPlaced(
        prescription_id=record.prescription_id,
        pharmacy_id=choice.pharmacy_id,
        fulfilment=choice.fulfilment,
        address=choice.address,
        items=record.remaining(),
        simulated=record.simulated,
        task=fhir.fulfilment_task(record.prescription_id, choice.pharmacy_id, ctx.now),
        medication_requests=record.medication_requests,
        valid_until=record.valid_until,
    )
    # Signed: anyone who can write on pharmacy.orders could otherwise have a pharmacy dispense
    # what no prescriber prescribed, or to another address.
    out.append(
        Outgoing(
            topics.PHARMACY_ORDERS,
            choice.pharmacy_id,
            order,
            record.correlation_id,
            event.id,
            ctx.signer,
        )
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
    why = guard(record, event, update.prescription_id, wanted)
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
        move(
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
        move(record, State.AVAILABLE, ctx, event, out, Reason.PHARMACY_DECLINED, update.reason)
        out.append(inbox_entry(record, event, ctx))
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
        move(
            record, wanted, ctx, event, out, Reason.CANCELLATION_TOO_LATE if late else None, reason
        )
    elif wanted == State.AVAILABLE:  # a partial sale handed over: the rest is still to buy
        left = ", ".join(
            f"{item.quantity:g} {item.unit} {item.name}" for item in record.remaining()
        )
        record.pharmacy_id = record.fulfilment = record.address = None
        move(
            record,
            State.AVAILABLE,
            ctx,
            event,
            out,
            Reason.PARTIALLY_DISPENSED,
            f"Còn lại chưa mua: {left} (still to buy)",
        )
        out.append(inbox_entry(record, event, ctx))
    elif update.kind in ("delivered", "picked_up") and record.remaining():  # rest cancelled
        move(
            record,
            wanted,
            ctx,
            event,
            out,
            Reason.CANCELLED_BY_PRESCRIBER,
            "Đã giao phần đã bán; phần còn lại đã bị bác sĩ hủy "
            "(the part sold was handed over; the prescriber cancelled the rest)",
        )
    else:
        move(record, wanted, ctx, event, out, None, update.reason)
    return Outcome(record, out)


def _pharmacy_move(record: PrescriptionRecord | None, update: PharmacyUpdated) -> State:
    """The state a pharmacy's report moves the prescription to."""
    pending = record is not None and record.state == State.PENDING_CANCELLATION
    if pending and update.kind in ("declined", "returned"):
        return State.CANCELLED
    handed_over = record is not None and record.state in (State.DISPENSED, State.OUT_FOR_DELIVERY)
    partly_sold = (
        record is not None
        and bool(record.dispensed)
        and bool(record.remaining())
        and record.cancelled is None
    )
    if update.kind in ("delivered", "picked_up") and handed_over and partly_sold:
        return State.AVAILABLE
    return PHARMACY_MOVES[update.kind]
