"""The pharmacy's composition root: every simulated pharmacy of the scenario's country takes
orders it can fill from stock, dispenses them, and hands them to a courier or the citizen.

It reads orders and cancellations, both keyed by pharmacy id so that one worker owns each
pharmacy's stock (the topology is declared once, in schemas/topics.py). Importing this module
starts nothing; `bootstrap(settings)` wires the worker.
State:  table `stock` (pharmacy id -> {drug registration number: units}), changelog-backed;
        the order book (`orders.OrderBook`) and its timers (preparation, courier, pickups)
        live in this process and are lost if it is killed.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import faust

from rxsim.messaging import streams
from rxsim.messaging.settings import Settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario, load
from schemas import topics
from services.pharmacy import domain, orders
from services.pharmacy.api import make_api
from services.pharmacy.book import Context, OrderBook, Outcome, Timer, context_for

SERVICE = "pharmacy"

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
        for pharmacy_id, back in outcome.restock.items():
            units = self.stock_of(pharmacy_id)
            self.stock[pharmacy_id] = {
                **units,
                **{c: units.get(c, 0.0) + n for c, n in back.items()},
            }
        for out in outcome.out:
            await streams.publish(
                self.app,
                SERVICE,
                out.topic,
                out.key,
                out.data,
                out.correlation_id,
                out.causation_id,
            )
        for timer in outcome.timers:
            spawn(self.fire_after(timer))

    async def fire_after(self, timer: Timer) -> None:
        await asyncio.sleep(self.scenario.clock.real_seconds(timer.after))
        on_timer = orders.ON_TIMER[type(timer.then)]
        await self.apply(on_timer(self.book, timer.then, self.context()))


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> faust.App:
    """The pharmacy worker, its stock table, its agent and its HTTP side; nothing runs yet."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    app = streams.make_app(SERVICE, settings)
    stock = app.Table(
        "stock", key_type=str, value_type=dict, default=None, partitions=settings.partitions
    )
    pharmacies = Pharmacies(app, stock, scenario)

    @app.agent(streams.inbound(app, topics.reads_of(SERVICE)), name=f"{__name__}.run_pharmacies")
    async def run_pharmacies(stream: Any) -> None:
        async for event in stream.events():
            await pharmacies.receive(event)

    streams.serve(app, make_api(pharmacies), settings, SERVICE)
    return app
