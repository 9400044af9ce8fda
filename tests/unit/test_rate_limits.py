"""One caller's flood slows that caller only: a token bucket per caller lets a burst through,
then the long-run rate, and says how long to wait; other callers are not touched."""

from typing import Any

import orjson
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from rxsim.messaging import security, tokens
from rxsim.messaging.audit import Auditor
from rxsim.messaging.codec import now
from rxsim.messaging.limits import Limit, RateLimiter
from rxsim.messaging.tokens import Caller, Role


def test_a_burst_passes_then_the_caller_waits_for_its_rate() -> None:
    limiter = RateLimiter(Limit(per_second=2, burst=3))

    assert [limiter.wait_before("a", 0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.wait_before("a", 0.0) == 0.5  # one more token in half a second
    assert limiter.wait_before("a", 0.5) == 0
    assert limiter.wait_before("a", 0.5) > 0


def test_one_callers_flood_does_not_slow_another() -> None:
    limiter = RateLimiter(Limit(per_second=1, burst=1))
    limiter.wait_before("flood", 0.0)
    assert limiter.wait_before("flood", 0.1) > 0

    assert limiter.wait_before("quiet", 0.1) == 0


def test_refused_requests_do_not_count_and_a_quiet_caller_is_full_again() -> None:
    limiter = RateLimiter(Limit(per_second=1, burst=2))
    limiter.wait_before("a", 0.0)
    limiter.wait_before("a", 0.0)
    for _ in range(100):  # hammering while refused does not push the wait further out
        assert 0 < limiter.wait_before("a", 0.5) <= 0.5
    assert [limiter.wait_before("a", 10.0) for _ in range(2)] == [0, 0]  # the burst again


def test_a_route_answers_a_caller_over_its_limit_429_with_retry_after() -> None:
    secret = "s" * 32
    api = FastAPI()
    audited: list[dict[str, Any]] = []

    async def send(_: str, __: bytes, value: bytes) -> None:
        audited.append(orjson.loads(value)["data"]["audit_event"])

    security.answer_refusals(api, Auditor("pharmacy", send))
    pharmacy = Depends(
        security.caller_of(secret, Role.PHARMACY, limiter=RateLimiter(Limit(1, burst=2)))
    )

    @api.get("/stock")
    async def stock(_: Caller = pharmacy) -> dict[str, int]:
        return {}

    http = TestClient(api)
    flooding, quiet = (
        {"Authorization": f"Bearer {tokens.issue(secret, Role.PHARMACY, who, now())}"}
        for who in ("NT001001", "NT001002")
    )
    answers = [http.get("/stock", headers=flooding) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].json()["reason_code"] == "RATE_LIMITED"
    assert answers[-1].headers["Retry-After"] == "1"
    assert http.get("/stock", headers=quiet).status_code == 200
    # and the refusal is audited: whose request, which, why
    [refused] = audited
    assert refused["agent"][0]["who"]["identifier"]["value"] == "NT001001"
    assert (refused["outcome"], refused["outcomeDesc"]) == ("4", "RATE_LIMITED")
