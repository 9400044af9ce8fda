"""Citizen app process (FastAPI): the VNeID app's prescription screen, where citizens see their
prescriptions and choose a pharmacy, and where simulated citizens make their choices.

Reads:  citizen.inbox (keyed by CCCD), rx.status
Writes: citizen.choices, rx.deadletter
State:  the inbox (`inbox.Inbox`) and the simulated citizens' timers, in memory.
"""

import asyncio
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel, Field, model_validator

from rxsim.messaging.http import add_health, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import Settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, PharmacyChosen
from schemas.topics import Topic
from services.citizen_app import inbox as decisions
from services.citizen_app.inbox import Inbox, Outcome, Timer

SERVICE = "citizen_app"
READS = (topics.CITIZEN_INBOX, topics.RX_STATUS)
WRITES = (topics.CITIZEN_CHOICES, topics.RX_DEADLETTER)

Cccd = Annotated[str, Path(pattern=r"^\d{12}$", description="citizen id (CCCD), 12 digits")]


class ChoiceBody(BaseModel):
    pharmacy_id: str = Field(min_length=1)
    fulfilment: Fulfilment
    address: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _address_for_delivery(self) -> "ChoiceBody":
        if self.fulfilment == Fulfilment.DELIVERY and not self.address:
            raise ValueError("home delivery needs an address")
        return self


class CitizenApp:
    """Where the inbox's decisions meet the broker: publish choices, start timers."""

    def __init__(self, settings: Settings, scenario: Scenario) -> None:
        self.scenario, self.inbox = scenario, Inbox()
        self.ctx = decisions.context_for(scenario)
        self.publisher = Publisher(settings.bootstrap, SERVICE)
        self.follower = Follower(
            settings.bootstrap,
            SERVICE,
            READS,
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


def bootstrap(settings: Settings, scenario: Scenario) -> FastAPI:
    """The citizen app's HTTP side with its Kafka clients; they start with the server."""
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


def add_routes(api: FastAPI, citizens: CitizenApp) -> None:
    inbox, scenario = citizens.inbox, citizens.scenario

    @api.get("/citizens/{cccd}/prescriptions", tags=["citizens"])
    async def list_prescriptions(cccd: Cccd) -> list[dict[str, Any]]:
        """The citizen's prescriptions, newest state first known."""
        return [inbox.view(rx) for rx in inbox.by_citizen.get(cccd, {}).values()]

    @api.get("/citizens/{cccd}/prescriptions/{prescription_id}", tags=["citizens"])
    async def read_prescription(cccd: Cccd, prescription_id: str) -> dict[str, Any]:
        """One prescription as the citizen sees it."""
        rx = inbox.find(cccd, prescription_id)
        if rx is None:
            raise HTTPException(404, f"citizen {cccd} has no prescription {prescription_id!r}")
        return inbox.view(rx)

    @api.post(
        "/citizens/{cccd}/prescriptions/{prescription_id}/choice",
        status_code=202,
        tags=["citizens"],
        responses={404: {}, 409: {}, 422: {}},
    )
    async def choose_pharmacy(cccd: Cccd, prescription_id: str, body: ChoiceBody) -> dict[str, Any]:
        """Choose any pharmacy, and home delivery (with an address) or pickup."""
        rx = inbox.find(cccd, prescription_id)
        if rx is None:
            raise HTTPException(404, f"citizen {cccd} has no prescription {prescription_id!r}")
        refused = decisions.refusal(inbox, rx, body.pharmacy_id, body.fulfilment, citizens.ctx)
        if refused is not None:
            raise HTTPException(*refused)
        await citizens.send(decisions.chosen(rx, body.pharmacy_id, body.fulfilment, body.address))
        return {
            "prescription_id": prescription_id,
            "pharmacy_id": body.pharmacy_id,
            "fulfilment": body.fulfilment.value,
            "status": "choice sent",
        }

    @api.get("/pharmacies", tags=["pharmacies"])
    async def list_pharmacies(province: str | None = None) -> list[dict[str, str]]:
        """Pharmacies the citizen may choose (any province)."""
        return [vars(p) for p in scenario.country.pharmacies if province in (None, p.province)]
