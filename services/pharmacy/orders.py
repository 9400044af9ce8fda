"""A pharmacy's order lifecycle as plain functions: take an order (accept or decline), cancel
it, dispense it when prepared, hand it over to the courier or the citizen.

Each function takes the order book (the orders this process holds) and an event or a timer
that fired, changes only the book, and returns an `Outcome`: what to publish, the new stock
to store, and which timers to start. No Kafka and no clock here: the app does the I/O.
"""

import random
from collections.abc import Callable
from typing import Any

from rxsim.domain.prescription import Issue
from rxsim.domain.reasons import Reason
from rxsim.fhir import signing
from rxsim.messaging.outgoing import Outgoing
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CounterfeitSuspected,
    Fulfilment,
    OrderCancellationRequested,
    OrderPlaced,
    PharmacyEventKind,
    PharmacyUpdated,
)
from services.pharmacy import domain
from services.pharmacy.book import (
    AwaitingPickup,
    CitizenCollects,
    Context,
    CourierArrives,
    Holding,
    OrderBook,
    Outcome,
    Plan,
    Prepared,
    Timer,
    asked,
    expired,
)
from services.pharmacy.domain import CourierTrip, Stock


def report(
    order: OrderPlaced,
    kind: PharmacyEventKind,
    correlation_id: str,
    reason: str | None = None,
    dispenses: list[dict[str, Any]] | None = None,
    sold: dict[str, float] | None = None,
    reason_code: Reason | None = None,
) -> Outgoing:
    data = PharmacyUpdated(
        prescription_id=order.prescription_id,
        pharmacy_id=order.pharmacy_id,
        kind=kind,
        reason=reason,
        reason_code=reason_code,
        dispenses=dispenses or [],
        sold=sold or {},
    )
    return Outgoing(topics.PHARMACY_EVENTS, order.prescription_id, data, correlation_id)


def alert(order: OrderPlaced, code: str, lot: str, reason: str, correlation_id: str) -> Outgoing:
    data = CounterfeitSuspected(
        prescription_id=order.prescription_id,
        pharmacy_id=order.pharmacy_id,
        registration_number=code,
        lot=lot,
        reason=reason,
    )
    return Outgoing(topics.PHARMACY_ALERTS, code, data, correlation_id)


def plan_for(order: OrderPlaced, ctx: Context) -> Plan:
    rng = random.Random(f"{ctx.seed}:{order.prescription_id}:{order.pharmacy_id}")
    preparation = domain.minutes(rng, ctx.behaviour.prep_minutes)
    if order.fulfilment == Fulfilment.DELIVERY:
        return Plan(preparation, trips=tuple(domain.courier_trips(rng, ctx.behaviour)))
    if order.simulated:
        return Plan(
            preparation, collected_after=domain.minutes(rng, ctx.behaviour.pickup_delay_minutes)
        )
    return Plan(preparation)  # a real citizen collects at the counter (POST .../pickups)


def not_from_the_coordinator(event: Envelope, ctx: Context, what: str) -> Issue | None:
    """Why `event` (an order, or a cancellation) is not shown to be the coordinator's, as it
    sent it, or None when it is."""
    if not (event.signature or ctx.require_signatures):
        return None  # a pilot that does not require signatures; one that is there is checked
    return signing.verify(event.data, event.signature, ctx.keys, signing.COORDINATOR, what)


def take_order(
    book: OrderBook, event: Envelope, order: OrderPlaced, stock: Stock, ctx: Context
) -> Outcome:
    """pharmacy.orders: check that the coordinator signed it, then stock and lots; accept
    (take the stock) and start preparing, or decline. A lot the batch registry forbids is
    quarantined and the ministry alerted. An order delivered again, or one this pharmacy
    already took, changes nothing; one whose prescription was cancelled or has expired is
    returned."""
    correlation_id, pharmacy_id = event.correlationid, order.pharmacy_id
    # Checked before the order's id is remembered, so that a forgery sent under the id of the
    # coordinator's order cannot make the genuine one pass for a repeat.
    forged = not_from_the_coordinator(event, ctx, "order")
    if forged is not None:
        why = (
            f"Đơn đặt thuốc không có chữ ký hợp lệ của hệ thống điều phối, không bán "
            f"(declined: not signed by the coordinator as sent: {forged.message})"
        )
        return Outcome([report(order, "declined", correlation_id, why, reason_code=forged.code)])
    if not book.first_time(event.id) or book.already_taken(order):
        return Outcome()
    if order.prescription_id in book.cancelled_before_order:
        book.cancelled_before_order.discard(order.prescription_id)
        return Outcome([report(order, "returned", correlation_id, "cancelled before it arrived")])
    if expired(order, ctx.now):
        return Outcome([report(order, "returned", correlation_id, VALIDITY_OVER)])
    current = domain.with_opening_stock(stock, order, ctx.seed, ctx.behaviour)
    decision = domain.decide(order, current, ctx.behaviour.partial_dispensing)
    share = ctx.behaviour.suspicious_stock_share
    lots = {code: domain.lot_for(ctx.seed, pharmacy_id, code, share) for code in decision.selling}
    blocked = {
        code: problem for code, lot in lots.items() if (problem := domain.lot_problem(code, lot))
    }
    if blocked:
        alerts = [
            alert(order, code, lots[code], why, correlation_id) for code, why in blocked.items()
        ]
        declined = report(order, "declined", correlation_id, "; ".join(blocked.values()))
        quarantined = {**current, **dict.fromkeys(blocked, 0.0)}
        return Outcome([*alerts, declined], stock={pharmacy_id: quarantined})
    if not decision.accepted:
        declined = report(order, "declined", correlation_id, decision.reason)
        return Outcome([declined], stock={pharmacy_id: decision.stock})
    holding = Holding(order, correlation_id, decision.selling, plan_for(order, ctx), lots)
    book.in_hand[order.prescription_id] = holding
    book.taken[order.prescription_id] = asked(order)
    return Outcome(
        [report(order, "accepted", correlation_id, decision.reason)],
        stock={pharmacy_id: decision.stock},
        timers=[Timer(holding.plan.preparation, Prepared(holding))],
    )


def cancel_order(
    book: OrderBook,
    event: Envelope,
    request: OrderCancellationRequested,
    stock: Stock,
    ctx: Context,
) -> Outcome:
    """pharmacy.cancellations: return an order not yet dispensed to stock (it is reported
    `returned` when its preparation ends); one already dispensed stands. The coordinator asks
    this also when the prescription expires; a cancellation delivered again changes nothing,
    and so does one the coordinator did not sign (anyone could otherwise stop any sale)."""
    forged = not_from_the_coordinator(event, ctx, "cancellation")
    if forged is not None:
        return Outcome(note=f"cancellation not taken: {forged.code}: {forged.message}")
    if not book.first_time(event.id):
        return Outcome()
    holding = book.in_hand.get(request.prescription_id)
    if holding is None:
        if request.prescription_id not in book.sold_here:
            book.cancelled_before_order.add(request.prescription_id)
        return Outcome()
    if holding.cancelled:
        return Outcome()
    holding.cancelled, holding.cancel_reason = True, request.reason
    units = dict(stock)
    for code, sold in holding.selling.items():
        units[code] = units.get(code, 0.0) + sold
    return Outcome(stock={request.pharmacy_id: units})


VALIDITY_OVER = "Đơn thuốc đã hết hạn mua, không bán (returned: validity period is over)"


def finish_preparing(book: OrderBook, step: Prepared, ctx: Context) -> Outcome:
    """Preparation is over: dispense and hand over, unless it was cancelled or its validity
    ran out meanwhile (then it is returned and its units go back to stock)."""
    holding = step.holding
    order, correlation_id = holding.order, holding.correlation_id
    book.in_hand.pop(order.prescription_id, None)
    if holding.cancelled:
        why = holding.cancel_reason or "cancelled by prescriber"
        returned = f"Trả lại đơn theo yêu cầu hủy (returned: {why})"
        return Outcome([report(order, "returned", correlation_id, returned)])
    if expired(order, ctx.now):
        back = {order.pharmacy_id: dict(holding.selling)}
        return Outcome([report(order, "returned", correlation_id, VALIDITY_OVER)], restock=back)
    book.sold_here.add(order.prescription_id)
    dispensed = domain.dispenses(order, ctx.now, holding.selling, holding.lots)
    sale = report(order, "dispensed", correlation_id, dispenses=dispensed, sold=holding.selling)
    outcome = hand_over(book, holding)
    return Outcome([sale, *outcome.out], timers=outcome.timers)


def hand_over(book: OrderBook, holding: Holding) -> Outcome:
    """A dispensed order goes to the courier, to a simulated citizen who comes for it, or
    waits at the counter for the real citizen."""
    order, correlation_id, plan = holding.order, holding.correlation_id, holding.plan
    if plan.trips:
        return _send_courier(order, correlation_id, plan.trips)
    if plan.collected_after is not None:
        return Outcome(timers=[Timer(plan.collected_after, CitizenCollects(order, correlation_id))])
    book.awaiting_pickup[order.prescription_id] = AwaitingPickup(order.pharmacy_id, correlation_id)
    return Outcome()


def _send_courier(
    order: OrderPlaced, correlation_id: str, trips: tuple[CourierTrip, ...]
) -> Outcome:
    leaving = report(order, "out_for_delivery", correlation_id)
    arrival = Timer(trips[0].delay, CourierArrives(order, correlation_id, trips))
    return Outcome([leaving], timers=[arrival])


def courier_arrives(book: OrderBook, step: CourierArrives, ctx: Context) -> Outcome:
    """The courier reaches the address: delivered, or not reachable and out again."""
    trip, *left = step.trips
    if trip.delivered or not left:  # courier_trips makes the last attempt always arrive
        return Outcome([report(step.order, "delivered", step.correlation_id)])
    unreachable = "Không liên lạc được người nhận (recipient not reachable)"
    failed = report(step.order, "delivery_failed", step.correlation_id, unreachable)
    again = _send_courier(step.order, step.correlation_id, tuple(left))
    return Outcome([failed, *again.out], timers=again.timers)


def citizen_collects(book: OrderBook, step: CitizenCollects, ctx: Context) -> Outcome:
    return Outcome([report(step.order, "picked_up", step.correlation_id)])


def collect_at_counter(book: OrderBook, pharmacy_id: str, prescription_id: str) -> Outcome | None:
    """The real citizen collects at the counter; None if this pharmacy holds nothing for them."""
    waiting = book.awaiting_pickup.get(prescription_id)
    if waiting is None or waiting.pharmacy_id != pharmacy_id:
        return None
    del book.awaiting_pickup[prescription_id]
    data = PharmacyUpdated(
        prescription_id=prescription_id, pharmacy_id=pharmacy_id, kind="picked_up"
    )
    return Outcome(
        [Outgoing(topics.PHARMACY_EVENTS, prescription_id, data, waiting.correlation_id)]
    )


Handler = Callable[[OrderBook, Envelope, Any, Stock, Context], Outcome]
# Who handles what, by the type of the decoded event data.
HANDLERS: dict[type, Handler] = {
    OrderPlaced: take_order,
    OrderCancellationRequested: cancel_order,
}

TimerHandler = Callable[[OrderBook, Any, Context], Outcome]
# What each timer does when it fires.
ON_TIMER: dict[type, TimerHandler] = {
    Prepared: finish_preparing,
    CourierArrives: courier_arrives,
    CitizenCollects: citizen_collects,
}
