"""The hospital service's composition root: the hospitals' side of the national e-prescription
exchange, over HTTP.

`bootstrap(settings)` wires the publisher, the follower (rx.status for the status view; its own
rx.issued, rx.cancel and generator runs, read again from the beginning on every start, so a
restarted hospital knows what it sent), the desk and the routes into a FastAPI app.
Importing this module starts nothing. What the hospital reads and writes is declared once,
in schemas/topics.py.
"""

from fastapi import FastAPI

from rxsim.messaging.audit import Auditor
from rxsim.messaging.http import add_health, answer_invalid_requests, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.security import answer_refusals
from rxsim.messaging.settings import READY_MAX_LAG, Settings
from rxsim.scenario import Scenario, load
from schemas import topics
from services.hospital.api import FHIR_JSON, refusal_outcome, routes
from services.hospital.desk import Desk
from services.hospital.status_view import StatusView

SERVICE = "hospital"
FORGET_TICK_S = 1.0  # how often submissions ended past their retention are looked for


def bootstrap(settings: Settings, scenario: Scenario | None = None) -> FastAPI:
    """The hospital's web app, its Kafka clients started and stopped with it."""
    scenario = scenario or load(settings.scenario, settings.speedup)
    publisher = Publisher(settings.bootstrap, SERVICE)
    desk = Desk(scenario, publisher, StatusView(kept=scenario.kept_after_issue))
    follower = Follower(
        settings.bootstrap,
        SERVICE,
        topics.reads_of(SERVICE),
        desk.receive,
        publisher,
        settings.fetch_max_wait_ms,
        own=(topics.RX_ISSUED, topics.RX_CANCEL, topics.HOSPITAL_RUNS),
        on_caught_up=desk.recover,
    )
    api = FastAPI(
        title="rxsim hospital",
        version="0.1.0",
        lifespan=kafka_lifespan(publisher, follower, [(FORGET_TICK_S, desk.forget_finished)]),
        description="Send FHIR R4 prescriptions (Bundles) to the national coordinator.",
    )
    add_health(
        api,
        lambda: follower.readiness(started=desk.recovered),
        "Ready: the producer is up, and the hospital has read its submissions, their statuses "
        "and its generator runs from the broker (and resumed what was due); its consumer runs and "
        f"is no more than {READY_MAX_LAG} events behind.",
    )
    auditor = Auditor(SERVICE, publisher.send_raw)
    answer_refusals(api, auditor, refusal_outcome, FHIR_JSON)
    answer_invalid_requests(api)
    api.include_router(routes(desk, auditor, settings.token_secret))
    return api
