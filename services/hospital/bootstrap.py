"""The hospital service's composition root: the hospitals' side of the national e-prescription
exchange, over HTTP.

`bootstrap(settings)` wires the publisher, the follower of rx.status (whose one handler keeps
the status view), the desk and the routes into a FastAPI app. Importing this module starts
nothing. What the hospital reads and writes is declared once, in schemas/topics.py.
"""

from typing import Any

from fastapi import FastAPI

from rxsim.messaging.http import add_health, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import Settings
from rxsim.scenario import Scenario, load
from schemas import topics
from schemas.envelope import Envelope
from schemas.topics import Topic
from services.hospital.api import routes
from services.hospital.desk import Desk
from services.hospital.status_view import StatusView

SERVICE = "hospital"


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> FastAPI:
    """The hospital's web app, its Kafka clients started and stopped with it."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    publisher = Publisher(settings.bootstrap, SERVICE)
    view = StatusView()

    async def on_status(topic: Topic, envelope: Envelope, data: Any) -> None:
        view.apply(envelope, data)

    follower = Follower(
        settings.bootstrap,
        SERVICE,
        topics.reads_of(SERVICE),
        on_status,
        publisher,
        settings.fetch_max_wait_ms,
    )
    api = FastAPI(
        title="rxsim hospital",
        version="0.1.0",
        lifespan=kafka_lifespan(publisher, follower),
        description="Send FHIR R4 prescriptions (Bundles) to the national coordinator.",
    )
    add_health(
        api,
        lambda: follower.ready,
        "Ready: the producer is up and the rx.status follower has its partitions.",
    )
    api.include_router(routes(Desk(scenario, publisher, view)))
    return api
