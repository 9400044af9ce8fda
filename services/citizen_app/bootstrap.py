"""The citizen app's composition root: the VNeID app's prescription screen, where citizens see
their prescriptions and choose a pharmacy, and where simulated citizens make their choices.

It follows the citizens' inboxes and every status, and sends their choices (the topology is
declared once, in schemas/topics.py). Importing this module starts nothing;
`bootstrap(settings)` builds the web app.
State:  the inbox (`inbox.Inbox`) and the simulated citizens' timers, in memory, rebuilt from
        the broker on every start; what ended is forgotten after the scenario's retention, as
        the coordinator forgets it (once caught up); the one-time codes of the sign-in
        (`signin.SignIn`), in memory only (a restart voids them: the citizen asks for another).
"""

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from rxsim.messaging.audit import Auditor
from rxsim.messaging.codec import now
from rxsim.messaging.health import Readiness
from rxsim.messaging.http import add_health, answer_invalid_requests, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.security import answer_refusals
from rxsim.messaging.settings import READY_MAX_LAG, Settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import PharmacyChosen, PrescriptionAvailable
from schemas.topics import Topic
from services.citizen_app import inbox as decisions
from services.citizen_app.api import add_routes, add_signin
from services.citizen_app.inbox import Inbox, Outcome, Timer
from services.citizen_app.page import add_page
from services.citizen_app.signin import SignIn
from services.citizen_app.stock import StockAsker

SERVICE = "citizen_app"
FORGET_TICK_S = 1.0  # how often prescriptions ended past their retention are looked for


class CitizenApp:
    """Where the inbox's decisions meet the broker: publish choices, start timers. The inbox is
    rebuilt from the beginning of the app's topics on every start; the simulated choices that
    replay asks for are held until it has caught up, then those still pending are armed again,
    each due at its offer's time plus the citizen's delay."""

    def __init__(self, settings: Settings, scenario: Scenario) -> None:
        self.scenario, self.signin = scenario, SignIn()
        self.inbox = Inbox(kept=scenario.kept_after_issue)
        self.ctx = decisions.context_for(scenario)
        self.stock = StockAsker(settings.pharmacy_api)
        self.held: dict[str, Timer] = {}  # prescription id -> its latest offer's timer, in replay
        self.rearmed = False
        self.publisher = Publisher(settings.bootstrap, SERVICE)
        self.auditor = Auditor(SERVICE, self.publisher.send_raw)
        self.follower = Follower(
            settings.bootstrap,
            SERVICE,
            topics.reads_of(SERVICE),
            self.receive,
            self.publisher,
            settings.fetch_max_wait_ms,
            own=(topics.CITIZEN_CHOICES,),
            on_caught_up=self.rearm,
        )

    def readiness(self) -> Readiness:
        return self.follower.readiness(started=self.rearmed)

    async def receive(self, topic: Topic, envelope: Envelope, data: Any) -> None:
        handler = decisions.HANDLERS[type(data)]
        outcome = handler(self.inbox, envelope, data, self.ctx)
        if not self.follower.caught_up:  # a replay: what it asks for may be done already
            offered = self.inbox.offered_at
            if isinstance(data, PrescriptionAvailable) and offered.get(data.prescription_id) == (
                envelope.time
            ):  # a newer offer replaces its timer
                self.held.pop(data.prescription_id, None)
            for timer in outcome.timers:
                self.held[timer.then.rx.prescription_id] = timer
            return
        await self.apply(outcome)

    async def rearm(self) -> None:
        """Caught up: arm the simulated choices still pending, due from their offer's time."""
        for timer in decisions.still_pending(self.inbox, list(self.held.values())):
            offered = self.inbox.offered_at[timer.then.rx.prescription_id]
            due = offered + timedelta(seconds=self.scenario.clock.real_seconds(timer.after))
            spawn(self.fire_at(max(0.0, (due - now()).total_seconds()), timer))
        self.held.clear()
        self.rearmed = True

    def forget_finished(self) -> None:
        """Forget what ended past its retention; only once caught up, when every status read
        again is in."""
        if self.rearmed:
            self.inbox.forget_finished(now())

    async def apply(self, outcome: Outcome) -> None:
        for choice in outcome.out:
            await self.send(choice)
        for timer in outcome.timers:
            spawn(self.fire_at(self.scenario.clock.real_seconds(timer.after), timer))

    async def fire_at(self, seconds: float, timer: Timer) -> None:
        await asyncio.sleep(seconds)
        await self.apply(decisions.choice_due(self.inbox, timer.then, self.ctx))

    async def send(self, choice: PharmacyChosen) -> None:
        await self.publisher.publish(
            topics.CITIZEN_CHOICES,
            choice.prescription_id,
            choice,
            subject=choice.prescription_id,
            correlation_id=self.inbox.correlation[choice.prescription_id],
        )


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> FastAPI:
    """The citizen app's HTTP side with its Kafka clients; they start with the server."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    citizens = CitizenApp(settings, scenario)
    api = FastAPI(
        title="rxsim citizen app",
        version="0.1.0",
        lifespan=kafka_lifespan(
            citizens.publisher, citizens.follower, [(FORGET_TICK_S, citizens.forget_finished)]
        ),
        description="The VNeID app's prescriptions: see them, choose a pharmacy.",
    )
    add_health(
        api,
        citizens.readiness,
        "Ready: the inbox rebuilt from citizen.inbox, rx.status and citizen.choices, and the "
        "simulated citizens' pending choices armed again; its consumer runs and is no more "
        f"than {READY_MAX_LAG} events behind.",
    )
    answer_refusals(api, citizens.auditor)
    answer_invalid_requests(api)
    add_signin(api, citizens, settings.token_secret)
    add_routes(api, citizens, settings.token_secret)
    add_page(api)
    return api
