"""What every service's HTTP side shares: health and readiness, and how an aiokafka-based
FastAPI service starts its Kafka clients and serves."""

import asyncio
import copy
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from rxsim.domain.privacy import masked
from rxsim.messaging import kafka_security
from rxsim.messaging.answers import ReadinessBody
from rxsim.messaging.health import Readiness
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.periodic import repeat
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
            200: {"description": "ready", "model": ReadinessBody},
            503: {"description": "not ready, and why (`reason`)", "model": ReadinessBody},
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


def kafka_lifespan(
    publisher: Publisher,
    follower: Follower,
    every: Sequence[tuple[float, Callable[[], None]]] = (),
) -> Callable[[FastAPI], Any]:
    """Start the producer, then the follower, then call each job of `every` (seconds, job)
    that often; stop them in the reverse order."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        await follower.start()
        jobs = [asyncio.create_task(repeat(seconds, job, str(job))) for seconds, job in every]
        yield
        for task in jobs:
            task.cancel()
        await follower.stop()
        await publisher.stop()

    return lifespan


class MaskPersonalData(logging.Filter):
    """Masks CCCDs in every line a service logs: access lines carry them in URL paths
    (/citizens/{cccd}/...), and a log is read by more people than may see them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = masked(message)
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


def answer_invalid_requests(api: FastAPI) -> None:
    """A request that breaks its route's schema gets FastAPI's 422, naming each faulty place
    and why, but not echoing what was sent (a CCCD, an address, a whole body): an error
    answer is logged and shown in more places than the request was."""

    async def answer(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    api.add_exception_handler(RequestValidationError, answer)


def serve(service: str, api: FastAPI) -> None:
    """Run a service's web app on its configured host and port, logging without CCCDs."""
    settings = get_settings()
    try:  # one line in the service's log now, rather than a traceback from its first client
        kafka_security.check(kafka_security.from_environment())
    except kafka_security.KafkaSecurityError as exc:
        raise SystemExit(f"{service} cannot start: {exc}") from None
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["filters"] = {"personal_data": {"()": MaskPersonalData}}
    for handler in log_config["handlers"].values():
        handler["filters"] = ["personal_data"]
    # The service's own log, where it has one, and Python's last resort for warnings where not.
    for handler in [*logging.getLogger().handlers, logging.lastResort]:
        if handler is not None:
            handler.addFilter(MaskPersonalData())
    uvicorn.run(
        api,
        host=settings.host,
        port=settings.port_of(service),
        log_level="info",
        log_config=log_config,
        timeout_graceful_shutdown=STOP_TIMEOUT_S,  # a request waiting on a gone broker ends
    )


# A page keeps its caller's token in the tab's sessionStorage, so no script but the page's own
# may run, and no other site may frame it or read where it came from.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def add_page(api: FastAPI, path: str, web: Path, name: str) -> None:
    """Serve a static page shipped in a package (`web`: its index.html and assets) at `path`,
    its assets under `path`/static, and `/` sent there. What the page shows comes from the
    app's JSON routes, with the caller's token: the page holds nothing of its own."""
    api.mount(f"{path}/static", StaticFiles(directory=web), name=f"{name}-static")

    async def page() -> FileResponse:
        return FileResponse(
            web / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
        )

    async def home() -> RedirectResponse:
        return RedirectResponse(path)

    api.add_api_route(path, page, methods=["GET"], include_in_schema=False, name=name)
    api.add_api_route("/", home, methods=["GET"], include_in_schema=False)
