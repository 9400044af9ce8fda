"""The citizen app's composition root: the VNeID app's prescription screen, where citizens see
their prescriptions and choose a pharmacy, and where simulated citizens make their choices.

It follows the citizens' inboxes and every status, and sends their choices (the topology is
declared once, in schemas/topics.py). Importing this module starts nothing;
`bootstrap(settings)` builds the web app.
State:  the inbox (`inbox.Inbox`) and the simulated citizens' timers, in memory.
"""

import asyncio
from typing import Any

from fastapi import FastAPI

from rxsim.messaging.http import add_health, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import Settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import PharmacyChosen
from schemas.topics import Topic
from services.citizen_app import inbox as decisions
from services.citizen_app.api import add_routes
from services.citizen_app.inbox import Inbox, Outcome, Timer

SERVICE = "citizen_app"


class CitizenApp:
    """Where the inbox's decisions meet the broker: publish choices, start timers."""

    def __init__(self, settings: Settings, scenario: Scenario) -> None:
        self.scenario, self.inbox = scenario, Inbox()
        self.ctx = decisions.context_for(scenario)
        self.publisher = Publisher(settings.bootstrap, SERVICE)
        self.follower = Follower(
            settings.bootstrap,
            SERVICE,
            topics.reads_of(SERVICE),
            self.receive,
            self.publisher,
            settings.fetch_max_wait_ms,
        )

    async def receive(self, topic: Topic, envelope: Envelope, data: Any) -> None:
        handler = decisions.HANDLERS[type(data)]
        await self.apply(handler(self.inbox, envelope, data, self.ctx))

    async def apply(self, outcome: Outcome) -> None:
        for choice in outcome.out:
            await self.send(choice)
        for timer in outcome.timers:
            spawn(self.fire_after(timer))

    async def fire_after(self, timer: Timer) -> None:
        await asyncio.sleep(self.scenario.clock.real_seconds(timer.after))
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
        lifespan=kafka_lifespan(citizens.publisher, citizens.follower),
        description="The VNeID app's prescriptions: see them, choose a pharmacy.",
    )
    add_health(
        api, lambda: citizens.follower.ready, "Ready: following citizen.inbox and rx.status."
    )
    add_routes(api, citizens)
    return api
