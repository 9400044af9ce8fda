"""Pharmacy process (faust-streaming): every simulated pharmacy of the scenario's country.

Reads:  pharmacy.orders, pharmacy.cancellations (both keyed by pharmacy id, so one worker
        owns each pharmacy's stock)
Writes: pharmacy.events, pharmacy.alerts, rx.deadletter
State:  table `stock` (pharmacy id -> {drug registration number: units}), changelog-backed.
Orders in preparation, the courier and the citizens' pickups are timers in this process
(lost if it is killed).
"""

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException

from rxsim.messaging import streams
from rxsim.messaging.settings import get_settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import load
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

SERVICE = "pharmacy"
READS = (topics.PHARMACY_ORDERS, topics.PHARMACY_CANCELLATIONS)
WRITES = (topics.PHARMACY_EVENTS, topics.PHARMACY_ALERTS, topics.RX_DEADLETTER)

log = logging.getLogger(__name__)
settings = get_settings()
scenario = load(settings.scenario, settings.speedup)
app = streams.make_app(SERVICE, settings)
stock = app.Table(
    "stock", key_type=str, value_type=dict, default=None, partitions=settings.partitions
)


@dataclass
class Holding:
    """An accepted order not yet handed over: its stock is taken, its sale not yet made."""

    order: OrderPlaced
    correlation_id: str
    selling: dict[str, float]
    lots: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    sold: bool = False


in_hand: dict[str, Holding] = {}  # prescription id -> accepted order
cancelled_before_order: set[str] = set()  # the cancellation overtook its order
sold_here: set[str] = set()  # dispensed here: a late cancellation no longer applies
awaiting_pickup: dict[str, tuple[str, str]] = {}  # prescription id -> (pharmacy id, correlation)


async def report(
    order: OrderPlaced,
    kind: PharmacyEventKind,
    correlation_id: str,
    reason: str | None = None,
    dispenses: list[dict[str, Any]] | None = None,
    sold: dict[str, float] | None = None,
) -> None:
    data = PharmacyUpdated(
        prescription_id=order.prescription_id,
        pharmacy_id=order.pharmacy_id,
        kind=kind,
        reason=reason,
        dispenses=dispenses or [],
        sold=sold or {},
    )
    await streams.publish(
        app, SERVICE, topics.PHARMACY_EVENTS, order.prescription_id, data, correlation_id, None
    )


async def sleep_simulated(delay: Any) -> None:
    await asyncio.sleep(scenario.clock.real_seconds(delay))


async def fulfil(holding: Holding) -> None:
    """After acceptance: prepare and dispense (unless cancelled meanwhile), then courier or
    (simulated) pickup."""
    order, correlation_id = holding.order, holding.correlation_id
    rng = random.Random(f"{scenario.seed}:{order.prescription_id}:{order.pharmacy_id}")
    behaviour = scenario.behaviour
    await sleep_simulated(domain.minutes(rng, behaviour.prep_minutes))
    if holding.cancelled:
        in_hand.pop(order.prescription_id, None)
        await report(
            order,
            "returned",
            correlation_id,
            "Trả lại đơn theo yêu cầu hủy của bác sĩ (returned: cancelled by prescriber)",
        )
        return
    holding.sold = True
    in_hand.pop(order.prescription_id, None)
    sold_here.add(order.prescription_id)
    dispensed = domain.dispenses(order, datetime.now(UTC), holding.selling, holding.lots)
    await report(order, "dispensed", correlation_id, dispenses=dispensed, sold=holding.selling)
    if order.fulfilment == Fulfilment.DELIVERY:
        for trip in domain.courier_trips(rng, behaviour):
            await report(order, "out_for_delivery", correlation_id)
            await sleep_simulated(trip.delay)
            if trip.delivered:
                await report(order, "delivered", correlation_id)
            else:
                await report(
                    order,
                    "delivery_failed",
                    correlation_id,
                    reason="Không liên lạc được người nhận (recipient not reachable)",
                )
    elif order.simulated:
        await sleep_simulated(domain.minutes(rng, behaviour.pickup_delay_minutes))
        await report(order, "picked_up", correlation_id)
    else:
        awaiting_pickup[order.prescription_id] = (order.pharmacy_id, correlation_id)


async def alert(order: OrderPlaced, code: str, lot: str, reason: str, correlation_id: str) -> None:
    data = CounterfeitSuspected(
        prescription_id=order.prescription_id,
        pharmacy_id=order.pharmacy_id,
        registration_number=code,
        lot=lot,
        reason=reason,
    )
    await streams.publish(app, SERVICE, topics.PHARMACY_ALERTS, code, data, correlation_id, None)


async def take_order(envelope: Envelope, order: OrderPlaced) -> None:
    """Check stock and lots; accept (take the stock) and start preparing, or decline."""
    correlation_id = envelope.correlationid
    if order.prescription_id in cancelled_before_order:
        cancelled_before_order.discard(order.prescription_id)
        await report(order, "returned", correlation_id, "cancelled before it arrived")
        return
    current = domain.with_opening_stock(
        stock.get(order.pharmacy_id) or {}, order, scenario.seed, scenario.behaviour
    )
    decision = domain.decide(order, current, scenario.behaviour.partial_dispensing)
    lots = {
        code: domain.lot_for(
            scenario.seed, order.pharmacy_id, code, scenario.behaviour.suspicious_stock_share
        )
        for code in decision.selling
    }
    blocked = {
        code: problem for code, lot in lots.items() if (problem := domain.lot_problem(code, lot))
    }
    if blocked:
        # The bad lot is quarantined (no stock of it left here) and the ministry alerted.
        stock[order.pharmacy_id] = {**current, **dict.fromkeys(blocked, 0.0)}
        for code, problem in blocked.items():
            await alert(order, code, lots[code], problem, correlation_id)
        await report(order, "declined", correlation_id, "; ".join(blocked.values()))
        return
    stock[order.pharmacy_id] = decision.stock
    if not decision.accepted:
        await report(order, "declined", correlation_id, decision.reason)
        return
    await report(order, "accepted", correlation_id, decision.reason)
    holding = Holding(order, correlation_id, decision.selling, lots)
    in_hand[order.prescription_id] = holding
    spawn(fulfil(holding))


def cancel_order(request: OrderCancellationRequested) -> None:
    """Return an order not yet dispensed to stock; one already dispensed stands."""
    holding = in_hand.get(request.prescription_id)
    if holding is None:
        if request.prescription_id not in sold_here:
            cancelled_before_order.add(request.prescription_id)
        return
    if holding.sold or holding.cancelled:
        return
    holding.cancelled = True
    units = dict(stock.get(request.pharmacy_id) or {})
    for code, sold in holding.selling.items():
        units[code] = units.get(code, 0.0) + sold
    stock[request.pharmacy_id] = units


@app.agent(streams.inbound(app, READS))
async def run_pharmacies(stream: Any) -> None:
    async for event in stream.events():
        decoded = await streams.decode_or_dead_letter(app, SERVICE, event)
        if decoded is None:
            continue
        envelope, data = decoded
        pharmacy_id = getattr(data, "pharmacy_id", None)
        if pharmacy_id not in scenario.country.pharmacy_by_id:
            await streams.park(app, SERVICE, event, f"unknown pharmacy {pharmacy_id}")
            continue
        if isinstance(data, OrderPlaced):
            await take_order(envelope, data)
        elif isinstance(data, OrderCancellationRequested):
            cancel_order(data)


api = FastAPI(
    title="rxsim pharmacy",
    version="0.1.0",
    description="Simulated pharmacies: stock, orders awaiting pickup.",
)
streams.add_health(api, app)


@api.get("/pharmacies", tags=["pharmacies"])
async def list_pharmacies(province: str | None = None) -> list[dict[str, str]]:
    """Every pharmacy of the scenario (filter by province)."""
    return [vars(p) for p in scenario.country.pharmacies if province in (None, p.province)]


@api.get("/pharmacies/{pharmacy_id}/stock", tags=["pharmacies"])
async def read_stock(pharmacy_id: str) -> dict[str, float]:
    """Units on hand per drug: the catalog's, and any other drug this pharmacy was asked for."""
    if pharmacy_id not in scenario.country.pharmacy_by_id:
        raise HTTPException(404, f"no pharmacy {pharmacy_id!r}")
    catalog = list(scenario.catalog.drug_by_code)
    opening = domain.initial_stock(scenario.seed, pharmacy_id, catalog, scenario.behaviour)
    return {**opening, **(stock.get(pharmacy_id) or {})}


@api.post(
    "/pharmacies/{pharmacy_id}/pickups/{prescription_id}", status_code=202, tags=["pharmacies"]
)
async def record_pickup(pharmacy_id: str, prescription_id: str) -> dict[str, str]:
    """The citizen collected a dispensed prescription at the counter."""
    held = awaiting_pickup.get(prescription_id)
    if held is None or held[0] != pharmacy_id:
        raise HTTPException(
            404,
            f"{pharmacy_id} holds no dispensed prescription {prescription_id!r} awaiting pickup",
        )
    del awaiting_pickup[prescription_id]
    data = PharmacyUpdated(
        prescription_id=prescription_id, pharmacy_id=pharmacy_id, kind="picked_up"
    )
    await streams.publish(
        app, SERVICE, topics.PHARMACY_EVENTS, prescription_id, data, held[1], None
    )
    return {"prescription_id": prescription_id, "status": "picked_up"}


streams.serve(app, api, settings, SERVICE)
