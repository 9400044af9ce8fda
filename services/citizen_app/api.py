"""The citizen app's HTTP API: a citizen's prescriptions, and the choice of a pharmacy."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel, Field, model_validator

from schemas.events import Fulfilment
from services.citizen_app import inbox as decisions

if TYPE_CHECKING:  # the composition root imports this module, not the other way at run time
    from services.citizen_app.bootstrap import CitizenApp

Cccd = Annotated[str, Path(pattern=r"^\d{12}$", description="citizen id (CCCD), 12 digits")]


class ChoiceBody(BaseModel):
    pharmacy_id: str = Field(min_length=1)
    fulfilment: Fulfilment
    address: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _address_for_delivery(self) -> "ChoiceBody":
        if self.fulfilment == Fulfilment.DELIVERY and not self.address:
            raise ValueError("home delivery needs an address")
        return self


def add_routes(api: FastAPI, citizens: "CitizenApp") -> None:
    inbox, scenario = citizens.inbox, citizens.scenario

    @api.get("/citizens/{cccd}/prescriptions", tags=["citizens"])
    async def list_prescriptions(cccd: Cccd) -> list[dict[str, Any]]:
        """The citizen's prescriptions, newest state first known."""
        return [inbox.view(rx) for rx in inbox.by_citizen.get(cccd, {}).values()]

    @api.get("/citizens/{cccd}/prescriptions/{prescription_id}", tags=["citizens"])
    async def read_prescription(cccd: Cccd, prescription_id: str) -> dict[str, Any]:
        """One prescription as the citizen sees it."""
        rx = inbox.find(cccd, prescription_id)
        if rx is None:
            raise HTTPException(404, f"citizen {cccd} has no prescription {prescription_id!r}")
        return inbox.view(rx)

    @api.post(
        "/citizens/{cccd}/prescriptions/{prescription_id}/choice",
        status_code=202,
        tags=["citizens"],
        responses={404: {}, 409: {}, 422: {}},
    )
    async def choose_pharmacy(cccd: Cccd, prescription_id: str, body: ChoiceBody) -> dict[str, Any]:
        """Choose any pharmacy, and home delivery (with an address) or pickup."""
        rx = inbox.find(cccd, prescription_id)
        if rx is None:
            raise HTTPException(404, f"citizen {cccd} has no prescription {prescription_id!r}")
        refused = decisions.refusal(inbox, rx, body.pharmacy_id, body.fulfilment, citizens.ctx)
        if refused is not None:
            raise HTTPException(*refused)
        await citizens.send(decisions.chosen(rx, body.pharmacy_id, body.fulfilment, body.address))
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
