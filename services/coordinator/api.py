"""The coordinator's HTTP API: a prescription's state and history, and counts by state."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException

from rxsim.fhir.audit import Action
from rxsim.messaging import answers, security
from rxsim.messaging.audit import Auditor
from rxsim.messaging.http import add_health, answer_invalid_requests
from rxsim.messaging.settings import READY_MAX_LAG
from rxsim.messaging.tokens import Caller, Role
from rxsim.messaging.worker import Worker
from services.coordinator.record import as_the_operator_sees
from services.coordinator.store import PrescriptionStore


def make_api(worker: Worker, store: PrescriptionStore, secret: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await worker.start()
        yield
        await worker.stop()

    api = FastAPI(
        title="rxsim coordinator",
        version="0.1.0",
        description="The national health-data coordinator: prescription state and history. "
        "Every route but health is an operator's: the records hold the citizen's personal data.",
        lifespan=lifespan,
    )
    add_health(
        api,
        worker.readiness,
        "Ready: partitions assigned, the prescriptions table restored, the consumer running "
        f"and no more than {READY_MAX_LAG} events behind.",
    )

    audit = Auditor(worker.service, worker.deliver)
    security.answer_refusals(api, audit)
    answer_invalid_requests(api)
    operator = Depends(security.caller_of(secret, Role.OPERATOR))

    @api.get(
        "/prescriptions/{prescription_id}",
        tags=["prescriptions"],
        responses={**security.READ_REFUSALS, 404: answers.error("no such prescription")},
    )
    async def read_prescription(prescription_id: str, caller: Caller = operator) -> dict[str, Any]:
        """The prescription's current state and its whole history with timestamps; the
        citizen's CCCD, name and address masked."""
        what = "GET /prescriptions/{prescription_id}"
        async with audit.recording(
            caller, Action.READ, what, prescription_id=prescription_id
        ) as entry:
            record = store.get(prescription_id)
            if record is None:
                raise HTTPException(404, "no such prescription at the coordinator")
            entry.citizen_id = record.citizen_id or None
            return as_the_operator_sees(record)

    @api.get("/stats", tags=["prescriptions"], responses=security.REFUSALS)
    async def read_stats(_: Caller = operator) -> dict[str, Any]:
        """How many prescriptions are in each state."""
        counts = {state.value: count for state, count in store.counts().items()}
        return {"by_state": counts, "total": sum(counts.values())}

    return api
