"""Hospital process (FastAPI): the hospitals' side of the national e-prescription exchange.

Reads rx.status (to answer status queries), writes rx.issued and rx.cancel: the topology is
declared once, in schemas/topics.py.
HTTP:   POST a FHIR prescription Bundle, follow it by its status URL, cancel it; run the
        built-in generator of synthetic prescriptions.
"""

import asyncio
import random
from datetime import timedelta
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rxsim import fhir
from rxsim.domain.prescription import Issue
from rxsim.messaging.codec import MAX_MESSAGE_BYTES, now
from rxsim.messaging.http import add_health, kafka_lifespan
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.settings import get_settings
from rxsim.messaging.tasks import spawn
from rxsim.scenario import load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import CancellationRequested, StatusChanged
from schemas.topics import Topic
from services.hospital import generator
from services.hospital.status_view import StatusView

SERVICE = "hospital"
FHIR_JSON = "application/fhir+json"

settings = get_settings()
scenario = load(settings.scenario, settings.speedup)
view = StatusView()
publisher = Publisher(settings.bootstrap, SERVICE)
current_run: generator.GeneratorRun | None = None


async def on_status(topic: Topic, envelope: Envelope, data: Any) -> None:
    assert isinstance(data, StatusChanged)
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


def outcome_response(status: int, issues: list[Issue]) -> JSONResponse:
    return JSONResponse(fhir.operation_outcome(issues), status_code=status, media_type=FHIR_JSON)


async def submit(bundle: dict[str, Any]) -> tuple[str, str]:
    """Validate at the edge (raises InvalidPrescription) and publish to rx.issued."""
    rx = fhir.parse_prescription(bundle)
    return rx.code, await publish(bundle, rx.code)


async def publish(bundle: dict[str, Any], code: str) -> str:
    """Publish a prescription to rx.issued; its submission id."""
    event = await publisher.publish(topics.RX_ISSUED, code, bundle, subject=code)
    view.submitted(event["id"], code, now())
    return str(event["id"])


add_health(
    api,
    lambda: follower.ready,
    "Ready: the producer is up and the rx.status follower has its partitions.",
)


BUNDLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FHIR_JSON: {"schema": {"type": "object", "description": "FHIR R4 Bundle"}},
            "application/json": {"schema": {"type": "object", "description": "FHIR R4 Bundle"}},
        },
    }
}


@api.post(
    "/prescriptions",
    status_code=202,
    tags=["prescriptions"],
    openapi_extra=BUNDLE_BODY,
    responses={
        400: {"description": "not JSON (OperationOutcome)"},
        413: {"description": "too large (OperationOutcome)"},
        422: {"description": "not a valid prescription (OperationOutcome)"},
    },
)
async def create_prescription(request: Request) -> Any:
    """Send a prescription Bundle (MedicationRequest(s), Patient, Practitioner, Organization)."""
    body = await request.body()
    if len(body) > MAX_MESSAGE_BYTES:
        return outcome_response(
            413,
            [
                Issue(
                    "(body)",
                    "TOO_LARGE",
                    f"body of {len(body)} bytes, limit {MAX_MESSAGE_BYTES}",
                    "too-costly",
                )
            ],
        )
    try:
        bundle = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return outcome_response(
            400, [Issue("(body)", "MALFORMED_JSON", f"the body is not JSON: {exc}", "structure")]
        )
    try:
        code, submission_id = await submit(bundle)
    except fhir.InvalidPrescription as exc:
        return outcome_response(422, exc.issues)
    status_url = str(request.url_for("read_submission", submission_id=submission_id))
    return JSONResponse(
        {
            "prescription_id": code,
            "submission_id": submission_id,
            "status_url": status_url,
            "state": "SUBMITTED",
        },
        status_code=202,
        headers={"Location": status_url},
    )


@api.get("/submissions/{submission_id}", tags=["prescriptions"])
async def read_submission(submission_id: str) -> dict[str, Any]:
    """What became of one submission: its state, the reason if refused, and its history."""
    submission = view.submissions.get(submission_id)
    if submission is None:
        raise HTTPException(404, f"no submission {submission_id!r} at this hospital service")
    return submission.as_dict()


@api.get("/prescriptions/{prescription_id}", tags=["prescriptions"])
async def read_prescription(prescription_id: str) -> dict[str, Any]:
    """The state of the prescription with this code (its accepted submission)."""
    submission = view.by_code(prescription_id)
    if submission is None:
        raise HTTPException(404, f"no prescription {prescription_id!r} sent or seen here")
    return submission.as_dict()


class CancelBody(BaseModel):
    reason: str = Field(default="cancelled by prescriber", max_length=500)


@api.post("/prescriptions/{prescription_id}/cancel", status_code=202, tags=["prescriptions"])
async def cancel_prescription(
    prescription_id: str, body: CancelBody | None = None
) -> dict[str, str]:
    """Withdraw a prescription not yet dispensed (a sent prescription is never amended)."""
    submission = view.by_code(prescription_id)
    if submission is None:
        raise HTTPException(404, f"no prescription {prescription_id!r} sent or seen here")
    data = CancellationRequested(
        prescription_id=prescription_id, reason=(body or CancelBody()).reason
    )
    await publisher.publish(
        topics.RX_CANCEL,
        prescription_id,
        data,
        subject=prescription_id,
        correlation_id=submission.submission_id,
    )
    return {"prescription_id": prescription_id, "status": "cancellation requested"}


class RunRequest(BaseModel):
    count: int | None = Field(
        default=None, ge=1, le=1_000_000, description="how many (default: the scenario's)"
    )
    rate: float | None = Field(
        default=None, gt=0, le=10_000, description="per second (default: the scenario's)"
    )


async def _generated(bundle: dict[str, Any]) -> bool:
    # The generator's Bundles are valid FHIR by construction (its faults break national
    # rules, not structure), so they are not parsed here a first time.
    code = fhir.prescription_code(bundle)
    if code is None:
        return False
    submission_id = await publish(bundle, code)
    rng = random.Random(f"{scenario.seed}:cancel:{submission_id}")
    if rng.random() < scenario.behaviour.cancel_share:
        delay = timedelta(minutes=rng.uniform(*scenario.behaviour.cancel_after_minutes))
        spawn(_cancel_later(code, submission_id, scenario.clock.real_seconds(delay)))
    return True


async def _cancel_later(code: str, submission_id: str, seconds: float) -> None:
    """A simulated prescriber changes their mind: the prescription is never amended, only
    cancelled (and a new one issued)."""
    await asyncio.sleep(seconds)
    data = CancellationRequested(
        prescription_id=code, reason="Bác sĩ đổi chỉ định (prescriber changed the treatment)"
    )
    await publisher.publish(
        topics.RX_CANCEL, code, data, subject=code, correlation_id=submission_id
    )


@api.post(
    "/generator/runs",
    status_code=202,
    tags=["generator"],
    responses={409: {"description": "a run is already going"}},
)
async def start_generator(body: RunRequest | None = None) -> dict[str, Any]:
    """Issue synthetic prescriptions of the scenario at a fixed rate, in the background."""
    global current_run
    if current_run is not None and not current_run.finished:
        raise HTTPException(409, "a generator run is already going; see /generator/runs/current")
    body = body or RunRequest()
    current_run = generator.GeneratorRun(
        target=body.count or scenario.load.prescriptions,
        rate=body.rate or scenario.load.rate_per_second,
    )
    spawn(generator.run(current_run, scenario, _generated))
    return vars(current_run)


@api.get("/generator/runs/current", tags=["generator"])
async def read_generator() -> dict[str, Any]:
    """Progress of the latest generator run."""
    if current_run is None:
        raise HTTPException(404, "no generator run yet; POST /generator/runs")
    return vars(current_run)
