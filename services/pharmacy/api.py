"""The pharmacies' HTTP API: who they are and whether they have a prescription's drugs (open to
all), their stock (the pharmacy's own, or an operator's), and pickups at the counter (the
pharmacy's own)."""

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from rxsim.domain.reasons import Reason
from rxsim.fhir.audit import Action
from rxsim.messaging import answers, security, tokens
from rxsim.messaging.audit import Auditor
from rxsim.messaging.http import add_health, answer_invalid_requests
from rxsim.messaging.settings import READY_MAX_LAG
from rxsim.messaging.tokens import Caller, Role
from rxsim.messaging.worker import Worker
from services.pharmacy import domain, orders

if TYPE_CHECKING:  # the composition root imports this module, not the other way at run time
    from services.pharmacy.bootstrap import Pharmacies


MAX_NEEDS = 20  # drug lines a prescription may have, and more
NEED = "a drug and the units needed, as DRUG_CODE:QUANTITY (e.g. VD-25123-18:20); repeat it"


def _needs(asked: list[str]) -> dict[str, float]:
    """`need` values as drug code -> units; 422 naming the one that is not DRUG:QUANTITY."""
    needs: dict[str, float] = {}
    for value in asked:
        code, _, quantity = value.rpartition(":")
        try:
            units = float(quantity)
        except ValueError:
            units = -1.0
        if not code or not 0 < units < 1e9:
            # The answer every other invalid request gets (its documented 422), not echoing it.
            why = "each need is DRUG_CODE:QUANTITY, the quantity above 0"
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("query", "need"), "msg": why}]
            )
        needs[code] = needs.get(code, 0.0) + units  # a drug on two lines: both together
    return needs


def make_api(worker: Worker, pharmacies: "Pharmacies", secret: str) -> FastAPI:
    scenario = pharmacies.scenario

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await worker.start()
        yield
        await worker.stop()

    api = FastAPI(
        title="rxsim pharmacy",
        version="0.1.0",
        description="Simulated pharmacies: stock, orders awaiting pickup.",
        lifespan=lifespan,
    )
    add_health(
        api,
        worker.readiness,
        "Ready: partitions assigned, the orders table restored, the consumer running and no "
        f"more than {READY_MAX_LAG} events behind.",
    )

    audit = Auditor(worker.service, worker.deliver)
    security.answer_refusals(api, audit)
    answer_invalid_requests(api)
    pharmacy = Depends(security.caller_of(secret, Role.PHARMACY))
    pharmacy_or_operator = Depends(security.caller_of(secret, Role.PHARMACY, Role.OPERATOR))

    def own(caller: Caller, pharmacy_id: str) -> None:
        tokens.refuse_other(caller, Role.PHARMACY, pharmacy_id, Reason.OTHER_PHARMACY)

    @api.get("/pharmacies", tags=["pharmacies"])
    async def list_pharmacies(province: str | None = None) -> list[dict[str, str]]:
        """Every pharmacy of the scenario (filter by province)."""
        return [vars(p) for p in scenario.country.pharmacies if province in (None, p.province)]

    @api.get(
        "/pharmacies/{pharmacy_id}/availability",
        tags=["pharmacies"],
        responses={404: answers.error("no such pharmacy")},
    )
    async def read_availability(
        pharmacy_id: str,
        need: Annotated[list[str], Query(max_length=MAX_NEEDS, description=NEED)],
    ) -> dict[str, Any]:
        """Whether this pharmacy has each drug in the quantity a prescription needs: yes or no
        per drug, never how many (open to all: the citizen's app shows it before a choice)."""
        if pharmacy_id not in scenario.country.pharmacy_by_id:
            raise HTTPException(404, "no such pharmacy")
        needs = _needs(need)
        stock = pharmacies.store.stock(None, pharmacy_id)
        behaviour = scenario.behaviour
        found = domain.availability(stock, needs, scenario.seed, pharmacy_id, behaviour)
        return {"pharmacy_id": pharmacy_id, "in_stock": found}

    @api.get(
        "/pharmacies/{pharmacy_id}/stock",
        tags=["pharmacies"],
        responses={**security.REFUSALS, 404: answers.error("no such pharmacy")},
    )
    async def read_stock(
        pharmacy_id: str, caller: Caller = pharmacy_or_operator
    ) -> Mapping[str, float]:
        """Units on hand per drug: the catalog's, and any other drug this pharmacy was asked
        for."""
        own(caller, pharmacy_id)
        if pharmacy_id not in scenario.country.pharmacy_by_id:
            raise HTTPException(404, "no such pharmacy")
        catalog = list(scenario.catalog.drug_by_code)
        opening = domain.initial_stock(scenario.seed, pharmacy_id, catalog, scenario.behaviour)
        return {**opening, **pharmacies.store.stock(None, pharmacy_id)}

    @api.post(
        "/pharmacies/{pharmacy_id}/pickups/{prescription_id}",
        status_code=202,
        tags=["pharmacies"],
        responses={
            **security.REFUSALS,
            404: answers.error("this pharmacy holds no such prescription awaiting pickup"),
        },
    )
    async def record_pickup(
        pharmacy_id: str, prescription_id: str, caller: Caller = pharmacy
    ) -> dict[str, str]:
        """The citizen collected a dispensed prescription at the counter (of this pharmacy)."""
        what = "POST /pharmacies/{pharmacy_id}/pickups/{prescription_id}"
        async with audit.recording(caller, Action.UPDATE, what, prescription_id=prescription_id):
            own(caller, pharmacy_id)
            cause = f"pickup/{uuid.uuid4()}"  # a new request each time; a repeat finds nothing held
            partition = pharmacies.store.partition_of(pharmacy_id, prescription_id)
            collected = partition is not None and await worker.decide_here(
                partition,
                lambda view: pharmacies.apply(
                    view,
                    pharmacy_id,
                    prescription_id,
                    cause,
                    lambda order, _, __: orders.collect_at_counter(
                        order.book, pharmacy_id, prescription_id
                    ),
                ),
            )
            if not collected:
                raise HTTPException(404, "this pharmacy holds no such prescription awaiting pickup")
            return {"prescription_id": prescription_id, "status": "picked_up"}

    return api
