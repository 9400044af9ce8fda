"""What /readyz decides, without a broker: the lag over partitions, the decision, and the
answer's status and body."""

from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from rxsim.messaging import health
from rxsim.messaging.health import READY, STARTING, Readiness
from rxsim.messaging.http import add_health
from rxsim.messaging.settings import READY_MAX_LAG


def test_lag_is_what_is_written_and_not_yet_handled_over_every_partition() -> None:
    ends = {"a": 10, "b": 5, "c": 7}
    assert health.lag(ends, {"a": 4, "b": 5, "c": 0}) == 6 + 0 + 7


def test_a_partition_whose_end_or_position_is_unknown_counts_none() -> None:
    assert health.lag({"a": None, "b": 9}, {"a": 3}) == 0
    assert health.lag({"a": 8, "b": 9}, {"a": None, "b": 2}) == 7


def test_a_position_past_the_last_known_end_is_not_negative_lag() -> None:
    # the end is as of the last fetch answer; what was handled since may be further on
    assert health.lag({"a": 5, "b": 10}, {"a": 7, "b": 4}) == 6


def test_ready_while_running_started_and_within_the_lag() -> None:
    assert health.decide(None, started=True, behind=0) == READY
    assert health.decide(None, started=True, behind=READY_MAX_LAG) == READY


def test_far_behind_is_not_ready_and_says_by_how_much() -> None:
    behind = READY_MAX_LAG + 1
    assert health.decide(None, True, behind) == Readiness(f"behind by {behind} events")


def test_not_started_is_starting_whatever_the_lag() -> None:
    assert health.decide(None, started=False, behind=0) == STARTING
    assert health.decide(None, started=False, behind=READY_MAX_LAG * 2) == STARTING


def test_lag_by_topic_adds_up_each_topics_partitions() -> None:
    @dataclass(frozen=True)
    class TP:
        topic: str
        partition: int

    ends = {TP("a", 0): 10, TP("a", 1): 5, TP("b", 0): 7, TP("c", 0): None}
    positions = {TP("a", 0): 4, TP("a", 1): 5, TP("b", 0): 1, TP("c", 0): 2}
    assert health.lag_by_topic(ends, positions) == {"a": 6, "b": 6, "c": 0}


def test_a_stopped_consumer_is_not_ready_whatever_else() -> None:
    for started in (True, False):
        assert health.decide("consumer stopped", started, 0).reason == "consumer stopped"


async def test_readyz_answers_503_with_the_reason_then_200() -> None:
    now = [Readiness("behind by 1234 events", lag={"rx.issued": 1234})]
    api = FastAPI()
    add_health(api, lambda: now[0], "ready: see the test")
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://rxsim") as client:
        answer = await client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "not ready",
            "reason": "behind by 1234 events",
            "lag": {"rx.issued": 1234},
        }

        now[0] = Readiness(lag={"rx.issued": 3, "rx.status": 0})
        answer = await client.get("/readyz")
        assert answer.status_code == 200
        assert answer.json() == {"status": "ready", "lag": {"rx.issued": 3, "rx.status": 0}}
        assert (await client.get("/healthz")).status_code == 200
