"""Whether the pharmacies of a province have a prescription's drugs, asked of the pharmacy
service's public availability answer (yes or no per drug, never how many): the app holds no
pharmacy or operator token, so it cannot read, and never shows, anyone's stock."""

import asyncio
from typing import Any

import httpx

from rxsim.domain.reference.country import Pharmacy
from schemas.events import PrescriptionAvailable


def needs_of(rx: PrescriptionAvailable) -> list[str]:
    """The prescription's drugs as the availability answer's `need` values, DRUG:QUANTITY."""
    return [f"{item.drug_code}:{item.quantity:g}" for item in rx.items]


def summary(
    pharmacy: Pharmacy, rx: PrescriptionAvailable, in_stock: dict[str, bool] | None
) -> dict[str, Any]:
    """One pharmacy as the page lists it: which drugs it lacks (by name), or None when its
    answer could not be had (the page says it does not know, rather than guess)."""
    lacking = (
        None
        if in_stock is None
        else [item.name for item in rx.items if not in_stock.get(item.drug_code, False)]
    )
    return {
        **vars(pharmacy),
        "has_everything": None if lacking is None else not lacking,
        "lacking": lacking,
    }


class StockAsker:
    """Asks the pharmacy service, a few pharmacies at once, with a short timeout: a slow or
    stopped pharmacy service makes the answer 'unknown', never an error page."""

    def __init__(self, pharmacy_url: str, timeout: float = 3.0) -> None:
        self.http = httpx.AsyncClient(base_url=pharmacy_url, timeout=timeout)

    async def in_stock(self, pharmacy_id: str, needs: list[str]) -> dict[str, bool] | None:
        try:
            answer = await self.http.get(
                f"/pharmacies/{pharmacy_id}/availability", params={"need": needs}
            )
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            return None
        return dict(answer.json().get("in_stock", {}))

    async def province(
        self, pharmacies: list[Pharmacy], rx: PrescriptionAvailable
    ) -> list[dict[str, Any]]:
        needs = needs_of(rx)
        answers = await asyncio.gather(*(self.in_stock(p.id, needs) for p in pharmacies))
        return [summary(p, rx, a) for p, a in zip(pharmacies, answers, strict=True)]
