"""Bearer tokens: who calls an HTTP API. A token is a JWT (RFC 7519) signed with HS256 under
the stack's secret (`RXSIM_AUTH_SECRET`, made anew at each `rxsim up`), so every service of a
stack checks every token without asking another, and a token of another stack, or of a stack
started again, is refused. The audience says what kind of caller it is, the subject who:

    citizen   a CCCD        issued by the citizen app's simulated VNeID sign-in, 15 minutes
    facility  facility code a hospital system's token, 12 hours
    pharmacy  pharmacy id   a pharmacy's counter, 12 hours
    operator  "operator"    whoever runs the stack: stats, generator runs, records; 12 hours

Plain functions of the secret, the token and the time, so the rules are tested without a
clock or a server; PyJWT does the signing and the checking."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import jwt

from rxsim.domain.reasons import Reason

ALGORITHM = "HS256"
ISSUER = "rxsim"
OPERATOR = "operator"  # the subject of every operator token


class Role(StrEnum):
    CITIZEN = "citizen"
    FACILITY = "facility"
    PHARMACY = "pharmacy"
    OPERATOR = "operator"


LIFETIME: dict[Role, timedelta] = {
    Role.CITIZEN: timedelta(minutes=15),  # a person's session on a phone: short
    Role.FACILITY: timedelta(hours=12),  # a system's credential, for a working day
    Role.PHARMACY: timedelta(hours=12),
    Role.OPERATOR: timedelta(hours=12),
}


@dataclass(frozen=True)
class Caller:
    """Who a valid token says is calling."""

    role: Role
    subject: str  # the CCCD, the facility code, the pharmacy id, or "operator"


class Refused(Exception):
    """The token does not let its bearer in: `status` 401 (no valid token) or 403 (a valid
    token without the right), with the reason code and a message that names neither the token
    nor what was asked for."""

    def __init__(
        self, status: int, reason: Reason, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.retry_after = retry_after  # seconds, with a 429
        self.caller: Caller | None = None  # who, when the token says it (a 403, a 429)
        self.audited = False  # recorded already (rxsim.messaging.audit)


def _audience(role: Role) -> str:
    return f"rxsim:{role.value}"


def issue(secret: str, role: Role, subject: str, now: datetime) -> str:
    """A token for `subject` in `role`, valid from `now` for the role's lifetime."""
    claims = {
        "iss": ISSUER,
        "aud": _audience(role),
        "sub": subject,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME[role]).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _named_by(secret: str, token: str) -> Caller | None:
    """Who a token of this stack names, whatever its audience (to say who was refused)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"verify_aud": False}, issuer=ISSUER
        )
        return Caller(Role(str(claims["aud"]).removeprefix("rxsim:")), str(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def verify(secret: str, token: str, roles: tuple[Role, ...], now: datetime) -> Caller:
    """Who the token names, if it is this stack's, not expired at `now`, and for one of
    `roles`; raises Refused otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=[_audience(role) for role in roles],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "aud", "iss"], "verify_exp": False},
        )
    except jwt.InvalidAudienceError:
        refused = Refused(403, Reason.WRONG_AUDIENCE, Reason.WRONG_AUDIENCE.meaning)
        refused.caller = _named_by(secret, token)
        raise refused from None
    except jwt.PyJWTError:
        raise Refused(401, Reason.TOKEN_INVALID, Reason.TOKEN_INVALID.meaning) from None
    role = next((role for role in roles if _audience(role) == claims["aud"]), None)
    expires = claims["exp"]
    if role is None or not isinstance(expires, int | float):  # not a token this stack makes
        raise Refused(401, Reason.TOKEN_INVALID, Reason.TOKEN_INVALID.meaning)
    # Checked against `now`, not the wall clock PyJWT would read, so a test can step time.
    if expires <= now.timestamp():
        raise Refused(401, Reason.TOKEN_EXPIRED, Reason.TOKEN_EXPIRED.meaning)
    return Caller(role, str(claims["sub"]))


def refuse_other(caller: Caller, role: Role, subject: str, reason: Reason) -> None:
    """A caller in `role` may act only on its own `subject` (its CCCD, facility, pharmacy); an
    operator on any. Raises Refused(403) otherwise."""
    if caller.role == Role.OPERATOR:
        return
    if caller.role != role or caller.subject != subject:
        raise Refused(403, reason, reason.meaning)
