"""The operations dashboard's process: one page for the operator (web/) and the JSON it polls.

What only the topics hold (throughput, stage latencies, refusals, data quality, adoption,
alerts, dead letters) it folds into `Figures` as it reads rx.status, pharmacy.alerts and
rx.deadletter by assignment, from the beginning, like every other reader of the stack; what the
services own it asks them for: the prescriptions by state from the coordinator's /stats (with
an operator token it makes from the stack's key), and each service's lag from its /readyz. A
search reads every topic on demand, as `rxsim trace` does. Every route but the page, its
assets and health takes the operator's token, and every search is recorded on rx.audit."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Query

from rxsim.fhir.audit import Action
from rxsim.messaging import security, tokens
from rxsim.messaging.audit import Auditor
from rxsim.messaging.codec import now
from rxsim.messaging.http import add_health, add_page, answer_invalid_requests, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import DASHBOARD, SERVICES, Settings
from rxsim.messaging.tokens import Caller, Role
from rxsim.scenario import Scenario, load
from rxsim.tools.dashboard import timeline
from rxsim.tools.dashboard.figures import Facility, Figures
from rxsim.tools.lag import Lags, told
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import CounterfeitSuspected, DeadLettered, StatusChanged
from schemas.topics import Topic
from services.citizen_app.wording import STATE_LABEL

# The programme's words for each state, as the citizen's app says them.
STATE_LABELS = {"ISSUED": "Mới phát hành", "VALIDATED": "Đã kiểm tra hợp lệ", **STATE_LABEL}

log = logging.getLogger(__name__)

NAME = DASHBOARD
WEB = Path(__file__).with_name("web")
PAGE_PATH = "/dashboard"
READS = (topics.RX_STATUS, topics.PHARMACY_ALERTS, topics.RX_DEADLETTER)
ASK_EVERY_S = 2.0  # how often the services are asked for their counts and lag


def facilities_of(scenario: Scenario) -> dict[str, Facility]:
    onboarded = scenario.onboarded_facilities
    return {
        f.code: Facility(f.province, f.kind, f.code in onboarded, f.name)
        for f in scenario.country.facilities
    }


class Dashboard:
    """The figures, what the services last said, and the reader that keeps the figures."""

    def __init__(self, settings: Settings, scenario: Scenario) -> None:
        self.settings = settings
        self.figures = Figures(facilities_of(scenario))
        self.by_state: dict[str, int] | None = None  # the coordinator's, None until it answers
        self.lag: Lags = {}  # each service as it last told
        self.asked_at: float | None = None
        self.publisher = Publisher(settings.bootstrap, NAME)
        # A message it cannot decode is skipped: parking it is for the services that read it.
        self.reader = Follower(
            settings.bootstrap, NAME, READS, self.receive, self.publisher,
            settings.fetch_max_wait_ms, own=READS,
        )  # fmt: skip
        self.searching = asyncio.Lock()  # a search reads every topic: one at a time

    async def receive(self, _: Topic, envelope: Envelope, data: Any) -> None:
        if isinstance(data, StatusChanged):
            self.figures.status(envelope, data)
        elif isinstance(data, CounterfeitSuspected):
            self.figures.alert(data)
        elif isinstance(data, DeadLettered):
            self.figures.dead_letter(data)

    async def ask_services(self) -> None:
        """Every ASK_EVERY_S: the coordinator's counts by state, and each service's lag. A
        service that does not answer keeps what it last said."""
        async with httpx.AsyncClient(timeout=ASK_EVERY_S) as client:
            while True:
                await self._ask(client)
                await asyncio.sleep(ASK_EVERY_S)

    async def _ask(self, client: httpx.AsyncClient) -> None:
        token = tokens.issue(self.settings.token_secret, Role.OPERATOR, tokens.OPERATOR, now())
        try:
            answer = await client.get(
                f"{self.settings.url_of('coordinator')}/stats",
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code == 200:
                self.by_state = dict(answer.json()["by_state"])
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        urls = {name: self.settings.url_of(name) for name in SERVICES}
        self.lag.update(await told(client, urls, ASK_EVERY_S))
        self.asked_at = time.time()

    def overview(self) -> dict[str, Any]:
        own_lag = dict(self.reader.readiness().lag)
        return {
            **self.figures.snapshot(time.time()),
            "by_state": self.by_state,
            "state_labels": STATE_LABELS,
            "lag": {**self.lag, NAME: own_lag},
            "asked_at": self.asked_at,
            "generated_at": time.time(),
        }


def make_api(settings: Settings, dashboard: Dashboard) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with kafka_lifespan(dashboard.publisher, dashboard.reader)(app):
            asking = asyncio.create_task(dashboard.ask_services())
            yield
            asking.cancel()

    api = FastAPI(
        title="rxsim operations dashboard",
        version="0.1.0",
        description="The operator's live figures and a prescription's history. Every route "
        "but the page and health takes the operator's token.",
        lifespan=lifespan,
    )
    add_health(api, dashboard.reader.readiness, "Ready: reading the topics it shows.")
    audit = Auditor(NAME, dashboard.publisher.send_raw)
    security.answer_refusals(api, audit)
    answer_invalid_requests(api)
    operator = Depends(security.caller_of(settings.token_secret, Role.OPERATOR))

    @api.get("/api/overview", tags=["dashboard"], responses=security.REFUSALS)
    async def read_overview(_: Caller = operator) -> dict[str, Any]:
        """Every figure the page shows (no one's personal data: counts and reason codes)."""
        return dashboard.overview()

    @api.get("/api/history", tags=["dashboard"], responses=security.REFUSALS)
    async def read_history(
        q: str = Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"),
        caller: Caller = operator,
    ) -> dict[str, Any]:
        """Every event about a prescription code or a submission id, across every topic, in
        time order; the patient's name as initials, CCCDs masked, no address."""
        async with audit.recording(
            caller, Action.READ, "GET /api/history", prescription_id=q
        ) as entry:
            async with dashboard.searching:
                found, citizen = await asyncio.to_thread(timeline.search, settings.bootstrap, q)
            entry.citizen_id = citizen
            return found

    add_page(api, PAGE_PATH, WEB, "dashboard")

    return api


def bootstrap(settings: Settings) -> FastAPI:
    return make_api(settings, Dashboard(settings, load(settings.scenario, settings.speedup)))
