"""The citizen app's HTTP API: the simulated VNeID sign-in, a citizen's prescriptions, and the
choice of a pharmacy. A citizen's token opens that citizen's prescriptions only."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from rxsim.domain.reasons import Reason
from rxsim.fhir.audit import Action
from rxsim.messaging import answers, security, tokens
from rxsim.messaging.codec import now
from rxsim.messaging.limits import Limit, RateLimiter
from rxsim.messaging.tokens import Caller, Role
from schemas.events import Fulfilment, PrescriptionAvailable
from services.citizen_app import inbox as decisions
from services.citizen_app.signin import CODE_LIFETIME, CodeRefused
from services.citizen_app.wording import display

if TYPE_CHECKING:  # the composition root imports this module, not the other way at run time
    from services.citizen_app.bootstrap import CitizenApp

Cccd = Annotated[str, Path(pattern=r"^\d{12}$", description="citizen id (CCCD), 12 digits")]


class CodeRequest(BaseModel):
    cccd: str = Field(pattern=r"^\d{12}$", description="citizen id (CCCD), 12 digits")


class TokenRequest(BaseModel):
    cccd: str = Field(pattern=r"^\d{12}$", description="citizen id (CCCD), 12 digits")
    code: str = Field(pattern=r"^\d{6}$", description="the one-time code sent for this CCCD")


class GrantRefused(BaseModel):
    """A one-time code refused, as OAuth2 says (RFC 6749 §5.2), with rxsim's reason code."""

    error: str = Field(description="invalid_grant")
    reason_code: str
    detail: str


class ChoiceBody(BaseModel):
    pharmacy_id: str = Field(min_length=1)
    fulfilment: Fulfilment
    address: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _address_for_delivery(self) -> "ChoiceBody":
        if self.fulfilment == Fulfilment.DELIVERY and not self.address:
            raise ValueError("home delivery needs an address")
        return self


def shown(view: dict[str, Any]) -> dict[str, Any]:
    """A prescription as the API gives it, with what the citizen's page says of it."""
    return {**view, "display": display(view)}


NOT_FOUND = (
    "no such prescription in this citizen's app (one that ended is forgotten after the retention)"
)
NOT_HERE = answers.error(NOT_FOUND)
# A person asks for a code now and then, not in a stream: ten in a row, then one every 10 s.
CODES_PER_CCCD = Limit(per_second=1 / 10, burst=10)


def add_signin(api: FastAPI, citizens: "CitizenApp", secret: str) -> None:
    """The simulated VNeID sign-in: a one-time code, then an OAuth2-style bearer token."""
    signin = citizens.signin
    codes_asked = RateLimiter(CODES_PER_CCCD)

    @api.post(
        "/auth/otp",
        status_code=202,
        tags=["sign-in"],
        responses={
            429: {
                "description": "too many codes asked for this CCCD: RATE_LIMITED",
                "model": security.RefusalBody,
            }
        },
    )
    async def send_code(body: CodeRequest) -> dict[str, Any]:
        """Send a one-time code to the phone VNeID holds for this CCCD. A simulator has no
        phone: the answer shows the code (`simulated_code`)."""
        security.limited(codes_asked, body.cccd)
        sent = signin.send_code(body.cccd, now())
        return {
            "status": "code sent",
            "sent_to": "the phone registered with VNeID for this CCCD (simulated)",
            "expires_in": int(CODE_LIFETIME.total_seconds()),
            "simulated_code": sent.code,
        }

    @api.post(
        "/auth/token",
        tags=["sign-in"],
        responses={
            400: {
                "description": "invalid_grant, with `reason_code` CODE_WRONG, …",
                "model": GrantRefused,
            }
        },
    )
    async def issue_token(body: TokenRequest) -> Any:
        """Exchange the one-time code, once, for a bearer token bound to this CCCD."""
        try:
            signin.redeem(body.cccd, body.code, now())
        except CodeRefused as refused:
            answer = {
                "error": "invalid_grant",  # RFC 6749 §5.2
                "reason_code": refused.reason.value,
                "detail": refused.reason.meaning,
            }
            return JSONResponse(answer, status_code=400)
        return {
            "access_token": tokens.issue(secret, Role.CITIZEN, body.cccd, now()),
            "token_type": "bearer",
            "expires_in": int(tokens.LIFETIME[Role.CITIZEN].total_seconds()),
        }


def add_routes(api: FastAPI, citizens: "CitizenApp", secret: str) -> None:
    inbox, scenario, audit = citizens.inbox, citizens.scenario, citizens.auditor
    citizen = Depends(security.caller_of(secret, Role.CITIZEN))

    def own(caller: Caller, cccd: str) -> None:
        tokens.refuse_other(caller, Role.CITIZEN, cccd, Reason.OTHER_CITIZEN)

    def theirs(caller: Caller, cccd: str, prescription_id: str) -> PrescriptionAvailable:
        """The citizen's prescription, if the caller is that citizen (403) and has it (404)."""
        own(caller, cccd)
        rx = inbox.find(cccd, prescription_id)
        if rx is None:
            raise HTTPException(404, NOT_FOUND)
        return rx

    @api.get("/citizens/{cccd}/prescriptions", tags=["citizens"], responses=security.READ_REFUSALS)
    async def list_prescriptions(cccd: Cccd, caller: Caller = citizen) -> list[dict[str, Any]]:
        """The citizen's prescriptions, newest state first known (the token's CCCD only)."""
        what = "GET /citizens/{cccd}/prescriptions"
        async with audit.recording(caller, Action.READ, what, citizen_id=cccd):
            own(caller, cccd)
            return [shown(view) for view in inbox.listing(cccd)]

    @api.get(
        "/citizens/{cccd}/prescriptions/{prescription_id}",
        tags=["citizens"],
        responses={**security.READ_REFUSALS, 404: NOT_HERE},
    )
    async def read_prescription(
        cccd: Cccd, prescription_id: str, caller: Caller = citizen
    ) -> dict[str, Any]:
        """One prescription as the citizen sees it."""
        what = "GET /citizens/{cccd}/prescriptions/{prescription_id}"
        async with audit.recording(
            caller, Action.READ, what, prescription_id=prescription_id, citizen_id=cccd
        ):
            own(caller, cccd)
            view = inbox.read(cccd, prescription_id)
            if view is None:
                raise HTTPException(404, NOT_FOUND)
            return shown(view)

    @api.get(
        "/citizens/{cccd}/prescriptions/{prescription_id}/pharmacies",
        tags=["citizens"],
        responses={**security.READ_REFUSALS, 404: NOT_HERE},
    )
    async def list_pharmacies_for(
        cccd: Cccd, prescription_id: str, province: str, caller: Caller = citizen
    ) -> list[dict[str, Any]]:
        """The pharmacies of a province, each with whether it has every drug of this
        prescription in stock (`has_everything`; null when the pharmacy service did not say)
        and which it lacks, by name; never how many units it holds."""
        what = "GET /citizens/{cccd}/prescriptions/{prescription_id}/pharmacies"
        async with audit.recording(
            caller, Action.READ, what, prescription_id=prescription_id, citizen_id=cccd
        ):
            rx = theirs(caller, cccd, prescription_id)
            there = [p for p in scenario.country.pharmacies if p.province == province]
            return await citizens.stock.province(there, rx)

    @api.post(
        "/citizens/{cccd}/prescriptions/{prescription_id}/choice",
        status_code=202,
        tags=["citizens"],
        responses={
            **security.REFUSALS,
            404: NOT_HERE,
            409: answers.error("the prescription is not AVAILABLE: no pharmacy can be chosen"),
            422: {
                "description": "the body breaks its schema (each faulty place), or names an "
                "unknown pharmacy, or home delivery of controlled drugs (one sentence)",
                "model": answers.UnprocessableBody,
            },
        },
    )
    async def choose_pharmacy(
        cccd: Cccd, prescription_id: str, body: ChoiceBody, caller: Caller = citizen
    ) -> dict[str, Any]:
        """Choose any pharmacy, and home delivery (with an address) or pickup. The choice
        carries the token's CCCD: the coordinator takes it only from the patient."""
        what = "POST /citizens/{cccd}/prescriptions/{prescription_id}/choice"
        async with audit.recording(
            caller, Action.UPDATE, what, prescription_id=prescription_id, citizen_id=cccd
        ):
            rx = theirs(caller, cccd, prescription_id)
            refused = decisions.refusal(inbox, rx, body.pharmacy_id, body.fulfilment, citizens.ctx)
            if refused is not None:
                raise HTTPException(*refused)
            by = caller.subject
            await citizens.send(
                decisions.chosen(rx, by, body.pharmacy_id, body.fulfilment, body.address)
            )
        return {
            "prescription_id": prescription_id,
            "pharmacy_id": body.pharmacy_id,
            "fulfilment": body.fulfilment.value,
            "status": "choice sent",
        }

    @api.get("/provinces", tags=["pharmacies"])
    async def list_provinces() -> list[str]:
        """The provinces that have pharmacies, in the country's order."""
        return list(dict.fromkeys(p.province for p in scenario.country.pharmacies))

    @api.get("/pharmacies", tags=["pharmacies"])
    async def list_pharmacies(province: str | None = None) -> list[dict[str, str]]:
        """Pharmacies the citizen may choose (any province)."""
        return [vars(p) for p in scenario.country.pharmacies if province in (None, p.province)]
