"""Citizen app process (FastAPI): the VNeID app's prescription screen and simulated citizens.

Reads:  citizen.inbox (keyed by CCCD), rx.status
Writes: citizen.choices, rx.deadletter
"""

import asyncio
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel, Field, model_validator

from rxsim.messaging.http import add_health, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import get_settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    Fulfilment,
    PharmacyChosen,
    PrescriptionAvailable,
    State,
    StatusChanged,
)
from schemas.topics import Topic
from services.citizen_app.behaviour import choose

SERVICE = "citizen_app"
READS = (topics.CITIZEN_INBOX, topics.RX_STATUS)
WRITES = (topics.CITIZEN_CHOICES, topics.RX_DEADLETTER)

settings = get_settings()
scenario = load(settings.scenario, settings.speedup)
publisher = Publisher(settings.bootstrap, SERVICE)
inbox: dict[str, dict[str, PrescriptionAvailable]] = {}  # CCCD -> prescription id -> item
correlation: dict[str, str] = {}  # prescription id -> its submission (correlation id)
latest: dict[str, StatusChanged] = {}  # prescription id -> latest status


async def send_choice(
    rx: PrescriptionAvailable, pharmacy_id: str, fulfilment: Fulfilment, address: str | None
) -> None:
    data = PharmacyChosen(
        prescription_id=rx.prescription_id,
        citizen_id=rx.citizen_id,
        pharmacy_id=pharmacy_id,
        fulfilment=fulfilment,
        address=address,
    )
    await publisher.publish(
        topics.CITIZEN_CHOICES,
        rx.prescription_id,
        data,
        subject=rx.prescription_id,
        correlation_id=correlation[rx.prescription_id],
    )


async def simulate_citizen(rx: PrescriptionAvailable) -> None:
    choice = choose(rx, scenario.country, scenario.behaviour, scenario.seed)
    if choice is None:
        return  # this citizen never collects: the prescription will expire
    await asyncio.sleep(scenario.clock.real_seconds(choice.after))
    status = latest.get(rx.prescription_id)
    if status is None or status.state == State.AVAILABLE:
        await send_choice(rx, choice.pharmacy_id, choice.fulfilment, choice.address)


async def on_event(topic: Topic, envelope: Envelope, data: Any) -> None:
    if isinstance(data, PrescriptionAvailable):
        inbox.setdefault(data.citizen_id, {})[data.prescription_id] = data
        correlation[data.prescription_id] = envelope.correlationid
        if data.simulated:
            spawn(simulate_citizen(data))
    elif isinstance(data, StatusChanged) and (
        correlation.get(data.prescription_id, envelope.correlationid) == envelope.correlationid
    ):
        latest[data.prescription_id] = data


follower = Follower(
    settings.bootstrap, SERVICE, READS, on_event, publisher, settings.fetch_max_wait_ms
)


api = FastAPI(
    title="rxsim citizen app",
    version="0.1.0",
    lifespan=kafka_lifespan(publisher, follower),
    description="The VNeID app's prescriptions: see them, choose a pharmacy.",
)
Cccd = Annotated[str, Path(pattern=r"^\d{12}$", description="citizen id (CCCD), 12 digits")]


def view(rx: PrescriptionAvailable) -> dict[str, Any]:
    status = latest.get(rx.prescription_id)
    return {
        **rx.model_dump(mode="json"),
        "state": status.state.value if status else State.AVAILABLE.value,
        "pharmacy_id": status.pharmacy_id if status else None,
        "reason": status.reason if status else None,
    }


add_health(api, lambda: follower.ready, "Ready: following citizen.inbox and rx.status.")


@api.get("/citizens/{cccd}/prescriptions", tags=["citizens"])
async def list_prescriptions(cccd: Cccd) -> list[dict[str, Any]]:
    """The citizen's prescriptions, newest state first known."""
    return [view(rx) for rx in inbox.get(cccd, {}).values()]


@api.get("/citizens/{cccd}/prescriptions/{prescription_id}", tags=["citizens"])
async def read_prescription(cccd: Cccd, prescription_id: str) -> dict[str, Any]:
    """One prescription as the citizen sees it."""
    rx = inbox.get(cccd, {}).get(prescription_id)
    if rx is None:
        raise HTTPException(404, f"citizen {cccd} has no prescription {prescription_id!r}")
    return view(rx)


class ChoiceBody(BaseModel):
    pharmacy_id: str = Field(min_length=1)
    fulfilment: Fulfilment
    address: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _address_for_delivery(self) -> "ChoiceBody":
        if self.fulfilment == Fulfilment.DELIVERY and not self.address:
            raise ValueError("home delivery needs an address")
        return self


@api.post(
    "/citizens/{cccd}/prescriptions/{prescription_id}/choice",
    status_code=202,
    tags=["citizens"],
    responses={404: {}, 409: {}, 422: {}},
)
async def choose_pharmacy(cccd: Cccd, prescription_id: str, body: ChoiceBody) -> dict[str, Any]:
    """Choose any pharmacy, and home delivery (with an address) or pickup."""
    rx = inbox.get(cccd, {}).get(prescription_id)
    if rx is None:
        raise HTTPException(404, f"citizen {cccd} has no prescription {prescription_id!r}")
    state = view(rx)["state"]
    if state != State.AVAILABLE:
        raise HTTPException(
            409,
            f"prescription {prescription_id} is {state}; "
            "a pharmacy can be chosen only while it is AVAILABLE",
        )
    if body.pharmacy_id not in scenario.country.pharmacy_by_id:
        raise HTTPException(422, f"unknown pharmacy {body.pharmacy_id!r}; see GET /pharmacies")
    if body.fulfilment == Fulfilment.DELIVERY and not rx.home_delivery_allowed:
        raise HTTPException(
            422,
            "home delivery is not allowed for this prescription (controlled drugs): choose pickup",
        )
    await send_choice(rx, body.pharmacy_id, body.fulfilment, body.address)
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
