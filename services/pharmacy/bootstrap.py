"""The pharmacy's composition root: every simulated pharmacy of the scenario's country takes
orders it can fill from stock, dispenses them, and hands them to a courier or the citizen.

It reads orders and cancellations, both keyed by pharmacy id, on the batched worker
(rxsim/messaging/worker.py), so one worker owns each pharmacy (the topology is declared once,
in schemas/topics.py). Importing this module starts nothing; `bootstrap(settings)` wires the
worker, its `orders` table (services/pharmacy/store.py), the step timer and the HTTP API.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

from fastapi import FastAPI
from pydantic import BaseModel

from rxsim.messaging.batch import Hold, Park
from rxsim.messaging.codec import Record
from rxsim.messaging.outgoing import Prepared, prepare_caused
from rxsim.messaging.settings import Settings
from rxsim.messaging.tables import Overlay
from rxsim.messaging.worker import Worker
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import OrderPlaced
from schemas.topics import Topic
from services.pharmacy import orders
from services.pharmacy.api import make_api
from services.pharmacy.book import Context, OrderBook, Outcome, context_for
from services.pharmacy.domain import Stock
from services.pharmacy.record import OrderRecord, Scheduled
from services.pharmacy.store import PharmacyStore, StepDue, order_key

SERVICE = "pharmacy"
STEP_TICK_S = 0.05  # how often due steps are looked for (a heap peek when none is due)
STEP_RETRY_S = 1.0  # a step whose decision failed is taken again this much later
FORGET_TICK_S = 1.0  # how often finished orders past their retention are looked for

log = logging.getLogger(__name__)

# One decision about an order: given its record (book and steps) and the pharmacy's stock; may
# change the record's book. None: nothing to decide.
Decide = Callable[[OrderRecord, Stock, Context], Outcome | None]


class Pharmacies:
    """Where the order lifecycle's decisions (orders.py) meet the table: each decision reads
    an order and its pharmacy's stock as the batch has made them, and writes back the order,
    the stock if it changed, and the steps it scheduled with their due times. What it sends
    has ids derived from its cause, so a decision repeated after a crash sends the same
    events again, which their readers know."""

    def __init__(
        self,
        store: PharmacyStore,
        scenario: Scenario,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.scenario, self.clock = store, scenario, clock
        # A finished order is kept as long as the coordinator keeps its prescription.
        self.kept = scenario.kept_after_issue
        self.kept_after_validity = timedelta(
            seconds=scenario.clock.real_seconds(scenario.kept_after_validity)
        )

    def context(self) -> Context:
        return context_for(self.scenario, self.clock())

    def apply(
        self,
        view: Overlay,
        pharmacy_id: str,
        prescription_id: str,
        cause_id: str,
        decide: Decide,
        done_step: str | None = None,
    ) -> list[Prepared] | None:
        """Run one decision and write what it changed to `view`; what to send, or None if it
        decided nothing. `done_step`: the scheduled step this decision takes, removed from
        the order with it (nothing is decided if the order no longer has it)."""
        order = self.store.order(view, pharmacy_id, prescription_id)
        if done_step is not None and done_step not in order.timers:
            return None  # taken before, or no longer applies
        ctx = self.context()
        current = self.store.stock(view, pharmacy_id)
        outcome = decide(order, current, ctx)
        if outcome is None:
            return None
        if outcome.note:
            log.warning("%s at %s: %s", prescription_id, pharmacy_id, outcome.note)
        assert set(outcome.stock) | set(outcome.restock) <= {pharmacy_id}, outcome
        stock = outcome.stock.get(pharmacy_id, current)
        for code, units in outcome.restock.get(pharmacy_id, {}).items():
            stock = {**stock, code: stock.get(code, 0.0) + units}
        timers = {k: s for k, s in order.timers.items() if k != done_step}
        for index, timer in enumerate(outcome.timers):
            due = ctx.now + timedelta(seconds=self.scenario.clock.real_seconds(timer.after))
            timers[f"{cause_id}/step/{index}"] = Scheduled(due, timer.then)
        ready = prepare_caused(SERVICE, cause_id, outcome.out)
        written = OrderRecord(order.book, timers)
        if written.finished:
            written.forget_at = order.forget_at or ctx.now + self.kept
        # An order that left nothing to remember (a forgery, declined before its id is kept) is
        # not stored: forgeries under ever new codes would otherwise fill the table.
        if timers or written.book != OrderBook():
            self.store.put_order(view, pharmacy_id, prescription_id, written)
        if stock != current:
            self.store.put_stock(view, pharmacy_id, stock)
        return ready

    def receive(self, envelope: Envelope, data: BaseModel, view: Overlay) -> list[Prepared]:
        """An order or a cancellation; one that names no pharmacy of the country is parked."""
        pharmacy_id = getattr(data, "pharmacy_id", None)
        if pharmacy_id not in self.scenario.country.pharmacy_by_id:
            raise Park(f"unknown pharmacy {pharmacy_id}")
        if isinstance(data, OrderPlaced) and self.forgotten(view, data):
            raise Park(
                f"an order valid until {data.valid_until}, older than what the pharmacy keeps "
                f"(its validity and [retention] days_after_validity): a replay of an order it "
                f"has forgotten"
            )
        handler = orders.HANDLERS[type(data)]
        ready = self.apply(
            view,
            pharmacy_id,
            data.prescription_id,  # type: ignore[attr-defined]
            envelope.id,
            lambda order, stock, ctx: handler(order.book, envelope, data, dict(stock), ctx),
        )
        return ready or []

    def forgotten(self, view: Overlay, order: OrderPlaced) -> bool:
        """Whether an order is one the pharmacy may have forgotten: past its validity and the
        retention, and not held. A finished order is forgotten no earlier than that, so this
        is a replay of one, not an order to take."""
        if order.valid_until is None:
            return False
        if order.valid_until + self.kept_after_validity > self.clock():
            return False
        return view.get(order_key(order.pharmacy_id, order.prescription_id)) is None

    def take_step(self, view: Overlay, step: StepDue) -> list[Prepared] | None:
        """A scheduled step that fell due: decided against the order as it is now (a
        preparation sees a cancellation made meanwhile)."""

        def decide(order: OrderRecord, stock: Stock, ctx: Context) -> Outcome:
            then = order.timers[step.step_id].then
            return orders.ON_TIMER[type(then)](order.book, then, ctx)

        return self.apply(
            view, step.pharmacy_id, step.prescription_id, step.step_id, decide, step.step_id
        )

    def take_steps(self, view: Overlay, steps: list[StepDue]) -> list[Prepared]:
        """Several steps of one partition, each on its own: one that fails is logged and
        taken again STEP_RETRY_S later, and leaves nothing behind."""
        sends: list[Prepared] = []
        for step in steps:
            scratch = view.child()
            try:
                ready = self.take_step(scratch, step)
            except Exception:
                log.exception("step %s failed; it is taken again", step.step_id)
                retry = self.clock() + timedelta(seconds=STEP_RETRY_S)
                self.store.steps.again(replace(step, due=retry))
                continue
            if ready is not None:
                view.absorb(scratch)
                sends.extend(ready)
        return sends


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> FastAPI:
    """The pharmacy's web app, whose lifespan runs its worker and step timer."""
    scenario = scenario or load(settings.scenario, settings.speedup)

    def decide(
        topic: Topic, event: Record, envelope: Envelope, data: BaseModel, view: Overlay
    ) -> list[Prepared] | Hold:
        return pharmacies.receive(envelope, data, view)

    worker = Worker(SERVICE, settings, topics.reads_of(SERVICE), "orders", decide)
    store = PharmacyStore(worker.table)
    pharmacies = Pharmacies(store, scenario)

    async def take_due_steps() -> None:
        """Every step due, a partition at a time: one broker round trip for all of them."""
        by_partition: dict[int, list[StepDue]] = defaultdict(list)
        for step in store.steps.due(datetime.now(UTC)):
            by_partition[step.partition].append(step)
        for partition, steps in by_partition.items():
            try:
                await worker.decide_here(partition, partial(pharmacies.take_steps, steps=steps))
            except BaseException:  # not published: nothing stored, so take them again
                for step in steps:
                    store.steps.again(step)
                raise

    async def forget_finished() -> None:
        """Delete the finished orders past their retention."""
        now = datetime.now(UTC)
        forget = partial(store.forget, now=now)
        again = partial(store.forgetting.set, due=now)
        await worker.forget(store.forgetting.due(now), forget, again=again)

    worker.every(STEP_TICK_S, take_due_steps)
    worker.every(FORGET_TICK_S, forget_finished)
    return make_api(worker, pharmacies, settings.token_secret)
