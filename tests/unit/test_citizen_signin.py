"""The simulated VNeID sign-in's one-time codes: used once, for a while, a few tries."""

from datetime import UTC, datetime, timedelta

import pytest

from rxsim.domain.reasons import Reason
from services.citizen_app.signin import CODE_LIFETIME, MAX_ATTEMPTS, CodeRefused, SignIn

CCCD = "001085012345"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def refused(signin: SignIn, code: str, at: datetime = T0, cccd: str = CCCD) -> Reason:
    with pytest.raises(CodeRefused) as refusal:
        signin.redeem(cccd, code, at)
    return refusal.value.reason


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_code_sent_signs_the_citizen_in_once() -> None:
    signin = SignIn()
    code = signin.send_code(CCCD, T0).code

    signin.redeem(CCCD, code, T0 + timedelta(seconds=30))

    assert refused(signin, code) == Reason.CODE_NOT_SENT  # used: void


def test_no_code_was_sent_to_this_cccd() -> None:
    signin = SignIn()
    code = signin.send_code(CCCD, T0).code

    assert refused(signin, code, cccd="079099000000") == Reason.CODE_NOT_SENT


def test_a_code_is_refused_once_its_time_is_over() -> None:
    signin = SignIn()
    code = signin.send_code(CCCD, T0).code

    assert refused(signin, code, T0 + CODE_LIFETIME) == Reason.CODE_EXPIRED
    assert refused(signin, code, T0) == Reason.CODE_NOT_SENT  # and it is gone


def test_a_wrong_code_is_refused_and_the_right_one_still_works() -> None:
    signin = SignIn()
    code = signin.send_code(CCCD, T0).code

    assert refused(signin, wrong(code)) == Reason.CODE_WRONG
    signin.redeem(CCCD, code, T0)


def test_too_many_wrong_codes_void_the_right_one() -> None:
    signin = SignIn()
    code = signin.send_code(CCCD, T0).code

    reasons = [refused(signin, wrong(code)) for _ in range(MAX_ATTEMPTS)]

    assert reasons == [Reason.CODE_WRONG] * (MAX_ATTEMPTS - 1) + [Reason.CODE_ATTEMPTS_EXCEEDED]
    assert refused(signin, code) == Reason.CODE_NOT_SENT


def test_a_new_code_replaces_the_one_before() -> None:
    signin = SignIn()
    first = signin.send_code(CCCD, T0).code
    second = signin.send_code(CCCD, T0).code
    while second == first:  # one chance in a million: then the old code is the new one
        second = signin.send_code(CCCD, T0).code

    assert refused(signin, first) == Reason.CODE_WRONG
    signin.redeem(CCCD, second, T0)
