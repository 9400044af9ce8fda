"""The pharmacy's composition root: every simulated pharmacy of the scenario's country takes
orders it can fill from stock, dispenses them, and hands them to a courier or the citizen.

It reads orders and cancellations, both keyed by pharmacy id so that one worker owns each
pharmacy (the topology is declared once, in schemas/topics.py). Importing this module starts
nothing; `bootstrap(settings)` wires the worker.
State:  table `pharmacies` (pharmacy id -> its `record.PharmacyRecord`: stock, order book and
        the steps it scheduled with their due times), changelog-backed, so a killed worker
        recovers it and re-arms every pending step (see `Pharmacies`).
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust

from rxsim.messaging import stalls, streams
from rxsim.messaging.codec import MessageTooLarge
from rxsim.messaging.outgoing import prepare_caused
from rxsim.messaging.settings import Settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario, load
from schemas import topics
from services.pharmacy import domain, orders, record
from services.pharmacy.api import make_api
from services.pharmacy.book import Context, Outcome, context_for
from services.pharmacy.record import PharmacyRecord, Scheduled

SERVICE = "pharmacy"

log = logging.getLogger(__name__)

Decide = Callable[[PharmacyRecord, Context], Outcome | None]  # may change the record's book


class Pharmacies:
    """Where the order lifecycle's decisions meet the broker.

    Every decision about one pharmacy (an event, a step that fell due, a pickup at the
    counter) runs alone (one lock per pharmacy): read its record, decide, publish what was
    decided with ids derived from the cause and wait until the broker has them, and only then
    store the new record. A crash in between repeats the same events, never loses them. Steps
    are stored with their due time and armed from the table (`arm_pending`), so after a
    restart they run once the table is recovered; a step no longer in the record is done."""

    def __init__(self, app: faust.App, table: Any, scenario: Scenario) -> None:
        self.app, self.table, self.scenario = app, table, scenario
        self._cache: dict[str, tuple[bytes, PharmacyRecord]] = {}  # decoded, as last read
        self._locks: dict[str, asyncio.Lock] = {}
        self._armed: set[str] = set()  # step ids with a task waiting for them

    def context(self) -> Context:
        return context_for(self.scenario, datetime.now(UTC))

    def record_of(self, pharmacy_id: str) -> PharmacyRecord:
        stored = self.table.get(pharmacy_id)
        if not stored:
            return PharmacyRecord()
        cached = self._cache.get(pharmacy_id)
        if cached is None or cached[0] is not stored:
            cached = (stored, record.decode(stored))
            self._cache[pharmacy_id] = cached
        return cached[1]

    def stock_of(self, pharmacy_id: str) -> domain.Stock:
        return dict(self.record_of(pharmacy_id).stock)

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
        try:
            await self.decide(
                pharmacy_id,
                envelope.id,
                lambda now, ctx: handler(now.book, envelope, data, dict(now.stock), ctx),
            )
        except MessageTooLarge as exc:  # never a crash: park what led to it
            await streams.park(self.app, SERVICE, event, f"outcome too large: {exc}")

    async def decide(
        self, pharmacy_id: str, cause_id: str, decide: Decide, done_step: str | None = None
    ) -> bool:
        """Run one decision about a pharmacy and apply it (see the class); False if it decided
        nothing. `done_step` is the scheduled step this decision takes, removed from the
        record with it."""
        async with self._locks.setdefault(pharmacy_id, asyncio.Lock()):
            current = self.record_of(pharmacy_id)
            try:
                return await self._apply(pharmacy_id, cause_id, current, decide, done_step)
            except BaseException:  # the decision changed the cached book, not the table
                self._cache.pop(pharmacy_id, None)
                raise

    async def _apply(
        self,
        pharmacy_id: str,
        cause_id: str,
        current: PharmacyRecord,
        decide: Decide,
        done_step: str | None,
    ) -> bool:
        if done_step is not None and done_step not in current.timers:
            return False  # taken before (a step armed twice, or one that no longer applies)
        ctx = self.context()
        outcome = decide(current, ctx)
        if outcome is None:
            return False
        assert set(outcome.stock) | set(outcome.restock) <= {pharmacy_id}, outcome
        stock = outcome.stock.get(pharmacy_id, current.stock)
        for code, units in outcome.restock.get(pharmacy_id, {}).items():
            stock = {**stock, code: stock.get(code, 0.0) + units}
        timers = {k: s for k, s in current.timers.items() if k != done_step}
        for index, timer in enumerate(outcome.timers):
            due = ctx.now + timedelta(seconds=self.scenario.clock.real_seconds(timer.after))
            timers[f"{cause_id}/step/{index}"] = Scheduled(due, timer.then)
        new = PharmacyRecord(stock, current.book, timers)
        stored = record.encode(new)
        ready = prepare_caused(SERVICE, cause_id, outcome.out)
        await streams.deliver(self.app, ready)
        self.table[pharmacy_id] = stored
        self._cache[pharmacy_id] = (stored, new)
        self.arm(pharmacy_id, new)
        return True

    def arm(self, pharmacy_id: str, current: PharmacyRecord) -> None:
        """Start a task for every step of this pharmacy not already waiting."""
        for step_id, scheduled in current.timers.items():
            if step_id not in self._armed:
                self._armed.add(step_id)
                spawn(self.take_step(pharmacy_id, step_id, scheduled))

    def arm_pending(self) -> None:
        """Every stored step gets its task: after a restart, once the table is recovered."""
        for pharmacy_id in list(self.table.keys()):
            self.arm(pharmacy_id, self.record_of(pharmacy_id))

    async def take_step(self, pharmacy_id: str, step_id: str, scheduled: Scheduled) -> None:
        """Wait until the step is due (not at all if that is past), then take it, once."""
        try:
            await asyncio.sleep(max(0.0, (scheduled.due - datetime.now(UTC)).total_seconds()))
            on_timer = orders.ON_TIMER[type(scheduled.then)]

            def step(now: PharmacyRecord, ctx: Context) -> Outcome:
                return on_timer(now.book, now.timers[step_id].then, ctx)  # the book's, now

            await self.decide(pharmacy_id, step_id, step, done_step=step_id)
        except Exception:
            log.exception("step %s of %s failed; it is taken again", step_id, pharmacy_id)
        finally:
            self._armed.discard(step_id)


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> faust.App:
    """The pharmacy worker, its table, its agent, its step timer and HTTP side; nothing runs."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    app = streams.make_app(SERVICE, settings)
    # Written also outside the stream (steps, pickups): partitioned by key, the pharmacy id,
    # as the topics it reads are, so the worker that owns a pharmacy's orders owns its record.
    table = app.Table(
        "pharmacies",
        key_type=str,
        value_type=bytes,
        default=None,
        partitions=settings.partitions,
        use_partitioner=True,
    )
    pharmacies = Pharmacies(app, table, scenario)
    progress = stalls.Progress()  # where handling stands, per partition
    streams.watch_for_stalls(app, progress)

    @app.agent(streams.inbound(app, topics.reads_of(SERVICE)), name=f"{__name__}.run_pharmacies")
    async def run_pharmacies(stream: Any) -> None:
        await streams.each_in_order(app, stream, progress, receive)

    async def receive(event: Any) -> bool:
        await pharmacies.receive(event)
        return True  # a pharmacy can always decide (an unknown one's order is parked)

    @app.timer(interval=1.0)
    async def arm_pending() -> None:
        """Arm the steps the recovered table holds (a step already armed is left alone)."""
        if streams.is_ready(app):
            pharmacies.arm_pending()

    streams.serve(app, make_api(pharmacies), settings, SERVICE)
    return app
