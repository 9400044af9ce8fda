"""The hospital's HTTP API: send a FHIR prescription Bundle, follow it by its status URL,
cancel it, and run the built-in generator of synthetic prescriptions."""

from typing import Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rxsim import fhir
from rxsim.domain.prescription import Issue
from rxsim.domain.reasons import Reason
from rxsim.fhir.audit import Action
from rxsim.messaging import answers, security, tokens
from rxsim.messaging.answers import Responses
from rxsim.messaging.audit import Auditor, Entry
from rxsim.messaging.codec import MAX_MESSAGE_BYTES, MessageTooLarge
from rxsim.messaging.tokens import Caller, Refused, Role
from services.hospital.desk import Desk, NoRunGoing, Recovering, RunGoing
from services.hospital.status_view import Submission

FHIR_JSON = "application/fhir+json"
# What a FHIR server takes for JSON (FHIR R4 §3.1.0.1.9): the FHIR media type or plain JSON,
# with or without parameters such as `fhirVersion` or `charset`.
BUNDLE_MEDIA_TYPES = (FHIR_JSON, "application/json")
BUNDLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media_type: {"schema": {"type": "object", "description": "FHIR R4 Bundle"}}
            for media_type in BUNDLE_MEDIA_TYPES
        },
    }
}


# An OperationOutcome, as this FHIR edge answers every refusal (the hospital's own schema of
# it: enough for a client to find the issues and their reason codes).
OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "required": ["severity", "code"]},
        },
    },
}


def outcome(description: str) -> dict[str, Any]:
    """A status this edge answers with an OperationOutcome."""
    return {"description": description, "content": {FHIR_JSON: {"schema": OUTCOME}}}


# The refusals of every service (security.REFUSALS), as this FHIR edge answers them.
REFUSALS: Responses = {
    status: outcome(answer["description"]) for status, answer in security.REFUSALS.items()
}
READ_REFUSALS: Responses = {
    status: outcome(answer["description"]) for status, answer in security.READ_REFUSALS.items()
}
# FHIR's issue type for each refusal of a caller (http://hl7.org/fhir/issue-type).
REFUSAL_ISSUE_TYPES = {401: "login", 429: "throttled", 503: "transient"}


class CancelBody(BaseModel):
    reason: str = Field(default="cancelled by prescriber", max_length=500)


class RunRequest(BaseModel):
    count: int | None = Field(
        default=None, ge=1, le=1_000_000, description="how many (default: the scenario's)"
    )
    rate: float | None = Field(
        default=None, gt=0, le=10_000, description="per second (default: the scenario's)"
    )
    seed: int | None = Field(
        default=None,
        description="seed of the prescriptions (default: the scenario's for the first run on "
        "this stack, then one more for each run, so runs never repeat prescription codes)",
    )


def outcome_response(status: int, issues: list[Issue]) -> JSONResponse:
    return JSONResponse(fhir.operation_outcome(issues), status_code=status, media_type=FHIR_JSON)


def refusal_outcome(refused: Refused) -> dict[str, Any]:
    """A refused caller, answered as every other refusal of this FHIR edge is."""
    fhir_code = REFUSAL_ISSUE_TYPES.get(refused.status, "forbidden")
    return fhir.operation_outcome(
        [Issue("(authorization)", refused.reason, refused.message, fhir_code)]
    )


FORGOTTEN = "one that ended is forgotten after the retention"
NO_SUCH_PRESCRIPTION = answers.error(f"no such prescription sent or seen here ({FORGOTTEN})")


def _own(caller: Caller, submission: Submission) -> None:
    """A facility sees and cancels its own prescriptions only; an operator sees any."""
    facility = submission.facility_code or ""  # not known yet: an operator's only
    tokens.refuse_other(caller, Role.FACILITY, facility, Reason.OTHER_FACILITY)


def routes(desk: Desk, audit: Auditor, secret: str) -> APIRouter:
    router = APIRouter()
    facility = Depends(security.caller_of(secret, Role.FACILITY))
    facility_or_operator = Depends(security.caller_of(secret, Role.FACILITY, Role.OPERATOR))
    operator = Depends(security.caller_of(secret, Role.OPERATOR))

    def refused(entry: Entry, status: int, issues: list[Issue]) -> JSONResponse:
        entry.refuse(issues[0].code.value if issues else str(status))
        return outcome_response(status, issues)

    @router.post(
        "/prescriptions",
        status_code=202,
        tags=["prescriptions"],
        openapi_extra=BUNDLE_BODY,
        responses={
            **REFUSALS,
            400: outcome("not JSON: MALFORMED_JSON"),
            413: outcome("too large, as a body or once in its envelope: TOO_LARGE"),
            415: outcome("neither application/fhir+json nor application/json"),
            422: outcome("not a valid prescription: each problem with its element"),
        },
    )
    async def create_prescription(request: Request, caller: Caller = facility) -> Any:
        """Send a prescription Bundle (MedicationRequest(s), Patient, Practitioner,
        Organization) as the token's facility: the Organization must be that facility."""
        async with audit.recording(caller, Action.CREATE, "POST /prescriptions") as entry:
            answer = await _submit(request, caller, entry)
        return answer

    async def _submit(request: Request, caller: Caller, entry: Entry) -> JSONResponse:
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in BUNDLE_MEDIA_TYPES:  # FHIR's http: a server SHALL answer 415
            unsupported = f"the body is {media_type or 'of no media type'}, not {FHIR_JSON}"
            issue = Issue("(body)", Reason.UNSUPPORTED_MEDIA_TYPE, unsupported, "not-supported")
            return refused(entry, 415, [issue])
        body = await request.body()
        if len(body) > MAX_MESSAGE_BYTES:
            too_large = f"body of {len(body)} bytes, limit {MAX_MESSAGE_BYTES}"
            return refused(entry, 413, [Issue("(body)", Reason.TOO_LARGE, too_large, "too-costly")])
        try:
            bundle = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            not_json = f"the body is not JSON: {exc}"
            return refused(
                entry, 400, [Issue("(body)", Reason.MALFORMED_JSON, not_json, "structure")]
            )
        try:
            rx = fhir.parse_prescription(bundle)
            entry.prescription_id, entry.citizen_id = rx.code, rx.citizen_id or None
            code, submission_id = await desk.submit(bundle, caller, rx)
        except fhir.InvalidPrescription as exc:
            return refused(entry, 422, exc.issues)
        except MessageTooLarge as exc:  # the body fits, but not once in its envelope
            return refused(entry, 413, [Issue("(body)", Reason.TOO_LARGE, str(exc), "too-costly")])
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

    @router.get(
        "/submissions/{submission_id}",
        tags=["prescriptions"],
        responses={**READ_REFUSALS, 404: answers.error("no such submission")},
    )
    async def read_submission(
        submission_id: str, caller: Caller = facility_or_operator
    ) -> dict[str, Any]:
        """What became of one submission: its state, the reason if refused, its history."""
        what = "GET /submissions/{submission_id}"
        async with audit.recording(caller, Action.READ, what) as entry:
            submission = desk.view.submissions.get(submission_id)
            if submission is None:
                raise HTTPException(
                    404, f"no such submission at this hospital service ({FORGOTTEN})"
                )
            entry.prescription_id = submission.prescription_id
            _own(caller, submission)
            return submission.as_dict()

    def own_prescription(caller: Caller, prescription_id: str) -> Submission:
        """The accepted submission of this code, if the caller may act on it (404, 403)."""
        submission = desk.view.by_code(prescription_id)
        if submission is None:
            raise HTTPException(404, f"no such prescription sent or seen here ({FORGOTTEN})")
        _own(caller, submission)
        return submission

    @router.get(
        "/prescriptions/{prescription_id}",
        tags=["prescriptions"],
        responses={**READ_REFUSALS, 404: NO_SUCH_PRESCRIPTION},
    )
    async def read_prescription(
        prescription_id: str, caller: Caller = facility_or_operator
    ) -> dict[str, Any]:
        """The state of the prescription with this code (its accepted submission)."""
        what = "GET /prescriptions/{prescription_id}"
        async with audit.recording(caller, Action.READ, what, prescription_id=prescription_id):
            submission = own_prescription(caller, prescription_id)
            return submission.as_dict()

    @router.post(
        "/prescriptions/{prescription_id}/cancel",
        status_code=202,
        tags=["prescriptions"],
        responses={**REFUSALS, 404: NO_SUCH_PRESCRIPTION},
    )
    async def cancel_prescription(
        prescription_id: str, body: CancelBody | None = None, caller: Caller = facility
    ) -> dict[str, str]:
        """Withdraw a prescription not yet dispensed (a sent prescription is never amended);
        only its own facility may."""
        what = "POST /prescriptions/{prescription_id}/cancel"
        async with audit.recording(caller, Action.UPDATE, what, prescription_id=prescription_id):
            submission = own_prescription(caller, prescription_id)
            await desk.cancel(submission, (body or CancelBody()).reason)
        return {"prescription_id": prescription_id, "status": "cancellation requested"}

    @router.post(
        "/generator/runs",
        status_code=202,
        tags=["generator"],
        responses={
            **REFUSALS,
            409: answers.error("a run is already going"),
            503: answers.error("still catching up with the broker after a start"),
        },
    )
    async def start_generator(
        body: RunRequest | None = None, caller: Caller = operator
    ) -> dict[str, Any]:
        """Issue synthetic prescriptions of the scenario at a fixed rate, in the background."""
        body = body or RunRequest()
        async with audit.recording(caller, Action.EXECUTE, "POST /generator/runs"):
            try:
                return vars(await desk.start_run(body.count, body.rate, body.seed))
            except RunGoing:
                raise HTTPException(
                    409, "a generator run is already going; see /generator/runs/current"
                ) from None
            except Recovering:
                raise HTTPException(503, "catching up with the broker; see /readyz") from None

    @router.delete(
        "/generator/runs/current",
        tags=["generator"],
        responses={**REFUSALS, 404: answers.error("no generator run is going")},
    )
    async def stop_generator(caller: Caller = operator) -> dict[str, Any]:
        """Stop the generator run going: it issues nothing more (what it issued goes on)."""
        async with audit.recording(caller, Action.EXECUTE, "DELETE /generator/runs/current"):
            try:
                return vars(await desk.stop_run())
            except NoRunGoing:
                raise HTTPException(404, "no generator run is going") from None

    @router.get(
        "/generator/runs/current",
        tags=["generator"],
        responses={**REFUSALS, 404: answers.error("no generator run yet")},
    )
    async def read_generator(_: Caller = operator) -> dict[str, Any]:
        """Progress of the latest generator run."""
        if desk.current_run is None:
            raise HTTPException(404, "no generator run yet; POST /generator/runs")
        return vars(desk.current_run)

    return router
