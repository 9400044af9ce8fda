"""Bearer tokens at the HTTP edge: the standard scheme each kind of caller presents (declared
in every OpenAPI document), the dependency a route takes to know who calls, and the answer to a
refusal: 401 without a valid token, 403 with a valid token without the right, each with a
reason code and never the token or the input."""

import inspect
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from rxsim.domain.reasons import Reason
from rxsim.messaging import tokens
from rxsim.messaging.audit import Auditor
from rxsim.messaging.codec import now
from rxsim.messaging.limits import Limit, RateLimiter
from rxsim.messaging.settings import get_settings
from rxsim.messaging.tokens import Caller, Refused, Role

HOW_TO_GET = {
    Role.CITIZEN: "a citizen's token: POST /auth/otp then POST /auth/token on the citizen app "
    "(the simulated VNeID sign-in)",
    Role.FACILITY: "a facility's token: `rxsim token facility <facility code>` against the "
    "running stack",
    Role.PHARMACY: "a pharmacy's token: `rxsim token pharmacy <pharmacy id>`",
    Role.OPERATOR: "an operator's token: `rxsim token operator`",
}
# One scheme per kind of caller, so a route's OpenAPI entry says which tokens it takes.
SCHEMES = {
    role: HTTPBearer(
        scheme_name=f"{role.value}Token",
        bearerFormat="JWT",
        description=f"Bearer token (RFC 6750): {HOW_TO_GET[role]}.",
        auto_error=False,  # a missing token is answered as every other refusal is
    )
    for role in Role
}


class RefusalBody(BaseModel):
    """What a refused caller is told: the reason code and its meaning, never the token."""

    reason_code: str
    detail: str


REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "no valid token: `reason_code` TOKEN_MISSING, TOKEN_INVALID, …",
        "model": RefusalBody,
    },
    403: {
        "description": "a valid token without the right: `reason_code` says which",
        "model": RefusalBody,
    },
    429: {
        "description": "too many requests from this caller: RATE_LIMITED; see Retry-After",
        "model": RefusalBody,
    },
}
# A read is answered only once it is on record (rxsim.messaging.audit): one that cannot be is
# refused, as the other refusals are.
READ_REFUSALS: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    503: {
        "description": "the read could not be recorded in the audit: AUDIT_UNAVAILABLE",
        "model": RefusalBody,
    },
}

Credentials = HTTPAuthorizationCredentials | None


def caller_of(
    secret: str, *roles: Role, limiter: RateLimiter | None = None
) -> Callable[..., Awaitable[Caller]]:
    """A route dependency: the caller, if it presents a valid token for one of `roles` and has
    not asked too often (429 RATE_LIMITED; `limiter`: by default, the service's settings)."""
    if limiter is None:
        settings = get_settings()
        limiter = RateLimiter(Limit(settings.requests_per_second, settings.request_burst))

    async def caller(**presented: Credentials) -> Caller:
        # Every scheme reads the same Authorization header: the first one is the token.
        token = next((c.credentials for c in presented.values() if c is not None), None)
        if token is None:
            raise Refused(401, Reason.TOKEN_MISSING, Reason.TOKEN_MISSING.meaning)
        found = tokens.verify(secret, token, roles, now())
        try:
            limited(limiter, f"{found.role}:{found.subject}")
        except Refused as refused:
            refused.caller = found
            raise
        return found

    # One parameter per accepted scheme, so that FastAPI declares each on the route.
    caller.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                role.value,
                inspect.Parameter.KEYWORD_ONLY,
                default=Security(SCHEMES[role]),
                annotation=Credentials,
            )
            for role in roles
        ]
    )
    return caller


def limited(limiter: RateLimiter, caller: str) -> None:
    """Count a request of `caller`; raise a 429 Refused if it asked too often."""
    wait = limiter.wait_before(caller, time.monotonic())
    if wait > 0:
        raise Refused(429, Reason.RATE_LIMITED, Reason.RATE_LIMITED.meaning, retry_after=wait)


def _challenge(refused: Refused) -> str:
    """RFC 6750 §3: a token was presented but is no good, or none was."""
    if refused.reason == Reason.TOKEN_MISSING:
        return "Bearer"
    return 'Bearer error="invalid_token"'


def refusal_body(refused: Refused) -> dict[str, str]:
    return {"reason_code": refused.reason.value, "detail": refused.message}


def answer_refusals(
    api: FastAPI,
    auditor: Auditor,
    body: Callable[[Refused], dict[str, Any]] = refusal_body,
    media_type: str = "",
) -> None:
    """Answer every Refused raised by a route or a dependency with its status and reason, and
    record it in the audit if the route did not (a refusal before the route: no token, the
    wrong kind, too many requests); a 401 also says `WWW-Authenticate: Bearer` (RFC 6750),
    with `error="invalid_token"` when a token was presented."""

    async def answer(request: Request, refused: Exception) -> JSONResponse:
        assert isinstance(refused, Refused)
        if not refused.audited:
            await auditor.refused_before_the_route(request, refused)
        headers = {"WWW-Authenticate": _challenge(refused)} if refused.status == 401 else None
        if refused.retry_after is not None:  # RFC 9110: whole seconds
            headers = {"Retry-After": str(max(1, math.ceil(refused.retry_after)))}
        return JSONResponse(
            body(refused),
            status_code=refused.status,
            headers=headers,
            media_type=media_type or None,
        )

    api.add_exception_handler(Refused, answer)
