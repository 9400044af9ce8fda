"""Limits through the real services: the operator stops a generator run, and a citizen's
codes are bounded per CCCD (429 RATE_LIMITED), without slowing anyone else. The limit on
every token's calls is tested in tests/unit/test_rate_limits.py: a service on this machine
answers fewer requests a second than its default limit lets through."""

import time
from collections.abc import Iterator

import pytest

from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.support.stack_client import STACK_SCENARIO, StackClient

pytestmark = pytest.mark.integration

COUNTRY = load(str(STACK_SCENARIO)).country


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def test_the_operator_stops_a_generator_run(client: StackClient) -> None:
    hospital, operator = client["hospital"], client.operator
    started = hospital.post("/generator/runs", json={"count": 1000, "rate": 5}, headers=operator)
    assert started.status_code == 202, started.text

    stopped = hospital.delete("/generator/runs/current", headers=operator)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["stopped"] and stopped.json()["finished"]
    issued = stopped.json()["issued"]
    time.sleep(1.0)  # five more would have been issued
    current = hospital.get("/generator/runs/current", headers=operator).json()
    assert current["stopped"] and current["issued"] <= issued + 1
    again = hospital.delete("/generator/runs/current", headers=operator)
    assert again.status_code == 404
    anyone = hospital.delete("/generator/runs/current")
    assert anyone.status_code == 401


def test_a_citizens_codes_are_bounded_per_cccd(client: StackClient) -> None:
    cccd = COUNTRY.citizens[-1].cccd
    app = client["citizen_app"]
    answers = [app.post("/auth/otp", json={"cccd": cccd}) for _ in range(12)]

    assert [a.status_code for a in answers[:10]] == [202] * 10
    assert answers[-1].status_code == 429
    assert answers[-1].json()["reason_code"] == "RATE_LIMITED" and cccd not in answers[-1].text
    other = app.post("/auth/otp", json={"cccd": COUNTRY.citizens[-2].cccd})
    assert other.status_code == 202
