"""Pharmacy process (faust-streaming): every simulated pharmacy of the scenario's country.

Reads:  pharmacy.orders (keyed by pharmacy id, so one worker owns each pharmacy's stock)
Writes: pharmacy.events, rx.deadletter
State:  table `stock` (pharmacy id -> {drug registration number: units}), changelog-backed.
The courier and the citizens' pickups are timers in this process (lost if it is killed).
"""

import asyncio
import logging
import random
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException

from rxsim import streams
from rxsim.country import DRUGS
from rxsim.scenario import load
from rxsim.settings import get_settings
from schemas import topics
from schemas.events import Fulfilment, OrderPlaced, PharmacyEventKind, PharmacyUpdated
from services.pharmacy import domain

SERVICE = "pharmacy"
READS = (topics.PHARMACY_ORDERS,)
WRITES = (topics.PHARMACY_EVENTS, topics.RX_DEADLETTER)

log = logging.getLogger(__name__)
settings = get_settings()
scenario = load(settings.scenario, settings.speedup)
app = streams.make_app(SERVICE, settings)
stock = app.Table(
    "stock", key_type=str, value_type=dict, default=None, partitions=settings.partitions
)
awaiting_pickup: dict[str, tuple[str, str]] = {}  # prescription id -> (pharmacy id, correlation)
_background: set[asyncio.Task[None]] = set()


async def report(
    order: OrderPlaced,
    kind: PharmacyEventKind,
    correlation_id: str,
    reason: str | None = None,
    dispenses: list[dict[str, Any]] | None = None,
) -> None:
    data = PharmacyUpdated(
        prescription_id=order.prescription_id,
        pharmacy_id=order.pharmacy_id,
        kind=kind,
        reason=reason,
        dispenses=dispenses or [],
    )
    await streams.publish(
        app, SERVICE, topics.PHARMACY_EVENTS, order.prescription_id, data, correlation_id, None
    )


async def sleep_simulated(delay: Any) -> None:
    await asyncio.sleep(scenario.clock.real_seconds(delay))


async def fulfil(order: OrderPlaced, correlation_id: str) -> None:
    """After acceptance: prepare and dispense, then courier or (simulated) pickup."""
    rng = random.Random(f"{scenario.seed}:{order.prescription_id}:{order.pharmacy_id}")
    behaviour = scenario.behaviour
    await sleep_simulated(domain.minutes(rng, (5, 30)))
    await report(
        order, "dispensed", correlation_id, dispenses=domain.dispenses(order, datetime.now(UTC))
    )
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


def in_background(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


@app.agent(streams.inbound(app, READS))
async def take_orders(stream: Any) -> None:
    async for event in stream.events():
        decoded = await streams.decode_or_dead_letter(app, SERVICE, event)
        if decoded is None:
            continue
        envelope, order = decoded
        assert isinstance(order, OrderPlaced)
        if order.pharmacy_id not in scenario.country.pharmacy_by_id:
            await streams.park(app, SERVICE, event, f"unknown pharmacy {order.pharmacy_id}")
            continue
        current = domain.with_opening_stock(
            stock.get(order.pharmacy_id) or {}, order, scenario.seed, scenario.behaviour
        )
        decision = domain.decide(order, current)
        stock[order.pharmacy_id] = decision.stock
        if not decision.accepted:
            await report(order, "declined", envelope.correlationid, decision.reason)
            continue
        await report(order, "accepted", envelope.correlationid)
        in_background(fulfil(order, envelope.correlationid))


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
    catalog = [d.registration_number for d in DRUGS]
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
