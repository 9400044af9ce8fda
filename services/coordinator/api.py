"""The coordinator's HTTP API: a prescription's state and history, and counts by state."""

from typing import Any

import faust
from fastapi import FastAPI, HTTPException

from rxsim.messaging import streams
from services.coordinator.store import PrescriptionStore


def make_api(app: faust.App, store: PrescriptionStore) -> FastAPI:
    api = FastAPI(
        title="rxsim coordinator",
        version="0.1.0",
        description="The national health-data coordinator: prescription state and history.",
    )
    streams.add_health(api, app)

    @api.get("/prescriptions/{prescription_id}", tags=["prescriptions"])
    async def read_prescription(prescription_id: str) -> dict[str, Any]:
        """The prescription's current state and its whole history with timestamps."""
        record = store.get(prescription_id)
        if record is None:
            raise HTTPException(404, f"no prescription {prescription_id!r} at the coordinator")
        return record.model_dump(mode="json", exclude={"medication_requests", "seen_events"})

    @api.get("/stats", tags=["prescriptions"])
    async def read_stats() -> dict[str, Any]:
        """How many prescriptions are in each state."""
        counts = {state.value: count for state, count in store.counts().items()}
        return {"by_state": counts, "total": sum(counts.values())}

    return api
