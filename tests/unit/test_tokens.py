"""The token rules, as plain functions of the secret, the token and the time: who a token
names, for how long, and for which kind of caller."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from rxsim.domain.reasons import Reason
from rxsim.messaging import tokens
from rxsim.messaging.tokens import Caller, Refused, Role

SECRET = "a-stack-secret-of-enough-length-for-hs256"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def refusal(token: str, roles: tuple[Role, ...], at: datetime, secret: str = SECRET) -> Refused:
    with pytest.raises(Refused) as refused:
        tokens.verify(secret, token, roles, at)
    return refused.value


def test_a_citizen_token_names_its_cccd() -> None:
    token = tokens.issue(SECRET, Role.CITIZEN, "001085012345", T0)

    assert tokens.verify(SECRET, token, (Role.CITIZEN,), T0) == Caller(Role.CITIZEN, "001085012345")


def test_a_token_is_refused_once_its_lifetime_is_over() -> None:
    token = tokens.issue(SECRET, Role.CITIZEN, "001085012345", T0)
    last_second = T0 + tokens.LIFETIME[Role.CITIZEN] - timedelta(seconds=1)

    assert tokens.verify(SECRET, token, (Role.CITIZEN,), last_second).subject == "001085012345"
    expired = refusal(token, (Role.CITIZEN,), T0 + tokens.LIFETIME[Role.CITIZEN])
    assert (expired.status, expired.reason) == (401, Reason.TOKEN_EXPIRED)


def test_a_token_for_another_kind_of_caller_is_forbidden_not_unknown() -> None:
    citizen = tokens.issue(SECRET, Role.CITIZEN, "001085012345", T0)

    wrong = refusal(citizen, (Role.OPERATOR,), T0)

    assert (wrong.status, wrong.reason) == (403, Reason.WRONG_AUDIENCE)


def test_a_route_taking_several_kinds_says_which_one_called() -> None:
    operator = tokens.issue(SECRET, Role.OPERATOR, tokens.OPERATOR, T0)

    caller = tokens.verify(SECRET, operator, (Role.FACILITY, Role.OPERATOR), T0)

    assert caller == Caller(Role.OPERATOR, "operator")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        tokens.issue("the-secret-of-another-stack-same-length!!!", Role.OPERATOR, "operator", T0),
    ],
)
def test_a_token_this_stack_did_not_sign_is_invalid(token: str) -> None:
    invalid = refusal(token, (Role.OPERATOR,), T0)

    assert (invalid.status, invalid.reason) == (401, Reason.TOKEN_INVALID)


def test_an_unsigned_token_is_invalid() -> None:
    unsigned = jwt.encode(
        {"iss": "rxsim", "aud": "rxsim:operator", "sub": "operator", "exp": 2**40},
        key=None,
        algorithm="none",
    )

    assert refusal(unsigned, (Role.OPERATOR,), T0).reason == Reason.TOKEN_INVALID


def test_a_refusal_never_repeats_the_token() -> None:
    token = tokens.issue(SECRET, Role.CITIZEN, "001085012345", T0)

    refused = refusal(token, (Role.OPERATOR,), T0)

    assert token not in refused.message and "001085012345" not in refused.message


def test_a_caller_acts_on_its_own_subject_only_and_an_operator_on_any() -> None:
    facility = Caller(Role.FACILITY, "01001")

    tokens.refuse_other(facility, Role.FACILITY, "01001", Reason.OTHER_FACILITY)
    operator = Caller(Role.OPERATOR, "operator")
    tokens.refuse_other(operator, Role.FACILITY, "02002", Reason.OTHER_FACILITY)
    with pytest.raises(Refused) as other:
        tokens.refuse_other(facility, Role.FACILITY, "02002", Reason.OTHER_FACILITY)
    assert (other.value.status, other.value.reason) == (403, Reason.OTHER_FACILITY)


@pytest.mark.parametrize(
    "odd",
    [
        {"aud": ["rxsim:operator", "rxsim:citizen"]},  # PyJWT takes a list; this stack never
        {"exp": "tomorrow"},
    ],
)
def test_claims_this_stack_never_writes_are_invalid_not_a_crash(odd: dict[str, object]) -> None:
    claims = {"iss": "rxsim", "aud": "rxsim:operator", "sub": "operator", "exp": 2**40, **odd}
    token = jwt.encode(claims, SECRET, algorithm="HS256")

    assert refusal(token, (Role.OPERATOR,), T0).reason == Reason.TOKEN_INVALID
