"""What every service's HTTP side shares: health and readiness, and how an aiokafka-based
FastAPI service starts its Kafka clients and serves."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from rxsim.messaging.health import Readiness
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import STOP_TIMEOUT_S, get_settings


def add_health(api: FastAPI, readiness: Callable[[], Readiness], what_ready_means: str) -> None:
    """`/healthz` (the process is up) and `/readyz` (503 with the reason while `readiness()`
    says not ready)."""

    @api.get("/healthz", tags=["health"])
    async def read_health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @api.get(
        "/readyz",
        tags=["health"],
        responses={
            200: {"description": '{"status": "ready", "lag": {topic: events not yet handled}}'},
            503: {"description": 'not ready: {"status": "not ready", "reason": …, "lag": …}'},
        },
        description=what_ready_means,
    )
    async def read_ready() -> Any:
        """Ready to serve: see the description."""
        now = readiness()
        lag = dict(now.lag)
        if not now.ready:
            body = {"status": "not ready", "reason": now.reason, "lag": lag}
            return JSONResponse(body, status_code=503)
        return {"status": "ready", "lag": lag}


def kafka_lifespan(publisher: Publisher, follower: Follower) -> Callable[[FastAPI], Any]:
    """Start the producer, then the follower; stop them in the reverse order."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        await follower.start()
        yield
        await follower.stop()
        await publisher.stop()

    return lifespan


def serve(service: str, api: FastAPI) -> None:
    """Run a service's web app on its configured host and port."""
    settings = get_settings()
    uvicorn.run(
        api,
        host=settings.host,
        port=settings.port_of(service),
        log_level="info",
        timeout_graceful_shutdown=STOP_TIMEOUT_S,  # a request waiting on a gone broker ends
    )
