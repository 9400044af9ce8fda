"""Pharmacy process (faust-streaming): every simulated pharmacy of the scenario's country takes
orders it can fill from stock, dispenses them, and hands them to a courier or the citizen.

Reads:  pharmacy.orders, pharmacy.cancellations (both keyed by pharmacy id, so one worker
        owns each pharmacy's stock)
Writes: pharmacy.events, pharmacy.alerts, rx.deadletter
State:  table `stock` (pharmacy id -> {drug registration number: units}), changelog-backed;
        the order book (`orders.OrderBook`) and its timers (preparation, courier, pickups)
        live in this process and are lost if it is killed.
"""

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import faust
from fastapi import FastAPI, HTTPException

from rxsim.messaging import streams
from rxsim.messaging.settings import Settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario
from schemas import topics
from services.pharmacy import domain, orders
from services.pharmacy.book import Context, OrderBook, Outcome, Timer, context_for

SERVICE = "pharmacy"
READS = (topics.PHARMACY_ORDERS, topics.PHARMACY_CANCELLATIONS)
WRITES = (topics.PHARMACY_EVENTS, topics.PHARMACY_ALERTS, topics.RX_DEADLETTER)

log = logging.getLogger(__name__)


class Pharmacies:
    """Where the order lifecycle's decisions meet the broker: store, publish, start timers."""

    def __init__(self, app: faust.App, stock: Any, scenario: Scenario) -> None:
        self.app, self.stock, self.scenario = app, stock, scenario
        self.book = OrderBook()

    def context(self) -> Context:
        return context_for(self.scenario, datetime.now(UTC))

    def stock_of(self, pharmacy_id: str) -> domain.Stock:
        return dict(self.stock.get(pharmacy_id) or {})

    async def receive(self, event: Any) -> None:
        """Decode, decide, apply; what cannot be decoded or names no pharmacy is parked."""
        decoded = await streams.decode_or_dead_letter(self.app, SERVICE, event)
        if decoded is None:
            return
        envelope, data = decoded
        pharmacy_id = getattr(data, "pharmacy_id", None)
        if pharmacy_id not in self.scenario.country.pharmacy_by_id:
            await streams.park(self.app, SERVICE, event, f"unknown pharmacy {pharmacy_id}")
            return
        handler = orders.HANDLERS[type(data)]
        await self.apply(
            handler(self.book, envelope, data, self.stock_of(pharmacy_id), self.context())
        )

    async def apply(self, outcome: Outcome) -> None:
        for pharmacy_id, units in outcome.stock.items():
            self.stock[pharmacy_id] = units
        for out in outcome.out:
            await streams.publish(
                self.app, SERVICE, out.topic, out.key, out.data, out.correlation_id, None
            )
        for timer in outcome.timers:
            spawn(self.fire_after(timer))

    async def fire_after(self, timer: Timer) -> None:
        await asyncio.sleep(self.scenario.clock.real_seconds(timer.after))
        on_timer = orders.ON_TIMER[type(timer.then)]
        await self.apply(on_timer(self.book, timer.then, self.context()))


def bootstrap(settings: Settings, scenario: Scenario) -> faust.App:
    """The pharmacy worker, its stock table, its agent and its HTTP side; nothing runs yet."""
    app = streams.make_app(SERVICE, settings)
    stock = app.Table(
        "stock", key_type=str, value_type=dict, default=None, partitions=settings.partitions
    )
    pharmacies = Pharmacies(app, stock, scenario)

    @app.agent(streams.inbound(app, READS), name=f"{__name__}.run_pharmacies")
    async def run_pharmacies(stream: Any) -> None:
        async for event in stream.events():
            await pharmacies.receive(event)

    streams.serve(app, make_api(pharmacies), settings, SERVICE)
    return app


def make_api(pharmacies: Pharmacies) -> FastAPI:
    scenario, book = pharmacies.scenario, pharmacies.book
    api = FastAPI(
        title="rxsim pharmacy",
        version="0.1.0",
        description="Simulated pharmacies: stock, orders awaiting pickup.",
    )
    streams.add_health(api, pharmacies.app)

    @api.get("/pharmacies", tags=["pharmacies"])
    async def list_pharmacies(province: str | None = None) -> list[dict[str, str]]:
        """Every pharmacy of the scenario (filter by province)."""
        return [vars(p) for p in scenario.country.pharmacies if province in (None, p.province)]

    @api.get("/pharmacies/{pharmacy_id}/stock", tags=["pharmacies"])
    async def read_stock(pharmacy_id: str) -> Mapping[str, float]:
        """Units on hand per drug: the catalog's, and any other drug this pharmacy was asked
        for."""
        if pharmacy_id not in scenario.country.pharmacy_by_id:
            raise HTTPException(404, f"no pharmacy {pharmacy_id!r}")
        catalog = list(scenario.catalog.drug_by_code)
        opening = domain.initial_stock(scenario.seed, pharmacy_id, catalog, scenario.behaviour)
        return {**opening, **pharmacies.stock_of(pharmacy_id)}

    @api.post(
        "/pharmacies/{pharmacy_id}/pickups/{prescription_id}",
        status_code=202,
        tags=["pharmacies"],
    )
    async def record_pickup(pharmacy_id: str, prescription_id: str) -> dict[str, str]:
        """The citizen collected a dispensed prescription at the counter."""
        outcome = orders.collect_at_counter(book, pharmacy_id, prescription_id)
        if outcome is None:
            raise HTTPException(
                404,
                f"{pharmacy_id} holds no dispensed prescription {prescription_id!r} "
                "awaiting pickup",
            )
        await pharmacies.apply(outcome)
        return {"prescription_id": prescription_id, "status": "picked_up"}

    return api
