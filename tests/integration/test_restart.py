"""A service killed with SIGKILL in the middle of a run is started again by the supervisor,
recovers its state from the broker, and the run completes: every prescription reaches a
terminal state, none is dispensed twice, and what a hospital sent before the kill is still
answered by the hospital and the citizen app. No assertion depends on how long the restart
takes (that the citizen app re-arms pending choices: tests/unit/test_recovery.py)."""

import asyncio
import random
import signal
from collections.abc import Callable

import httpx
import pytest

from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import synthetic
from rxsim.scenario import load
from rxsim.tools.ledger import Story, dispensed_twice
from rxsim.tools.observer import Observer
from rxsim.tools.stack import Stack
from tests.integration.conftest import TEST_SPEEDUP, NewCode
from tests.support.stack_client import STACK_SCENARIO, StackClient

pytestmark = pytest.mark.integration
COUNT = 40  # prescriptions per run: enough to be mid-run when the kill lands


def generate(stack: Stack, count: int, rate: float) -> None:
    response = httpx.post(
        f"{stack.urls()['hospital']}/generator/runs",
        json={"count": count, "rate": rate},
        headers=stack.auth(),
        timeout=10,
    )
    assert response.status_code == 202, response.text


async def run_to_the_end(stack: Stack, kill_after: int, service: str) -> list[Story]:
    """Issue COUNT prescriptions, kill `service` once `kill_after` have been issued, and follow
    the run until every prescription it issued is terminal (or the wait runs out); the run's
    stories."""
    observer = Observer(stack.bootstrap)
    await observer.start()
    await asyncio.sleep(2)  # the observer reads from the beginning: let it catch up first
    earlier = set(observer.ledger.stories)

    def this_run() -> list[Story]:
        return [s for key, s in observer.ledger.stories.items() if key not in earlier]

    try:
        generate(stack, COUNT, rate=20.0)
        await eventually_async(lambda: len(this_run()) >= kill_after, "the run to start")
        old_pid = stack.signal(service, signal.SIGKILL)
        await eventually_async(
            lambda: stack.processes[service].pid != old_pid, f"{service} to be started again"
        )
        await eventually_async(lambda: stack.ready(service), f"{service} to be ready", 90)
        await eventually_async(
            lambda: len(this_run()) >= COUNT and all(s.final for s in this_run()),
            "every prescription of the run to reach a terminal state",
            120,
            lambda: (
                f"{len(this_run())} issued, still in flight: "
                + ", ".join(f"{s.prescription_id} {s.state}" for s in this_run() if not s.final)
            ),
        )
    finally:
        await observer.stop()
    return this_run()


async def eventually_async(
    until: Callable[[], bool], what: str, timeout: float = 60.0, seen: Callable[[], object] = str
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not until():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}: {seen()}")
        await asyncio.sleep(0.25)


def send_one_by_hand(client: StackClient, new_code: NewCode) -> tuple[str, str, str]:
    """A prescription a hospital's own system sends, seen by its citizen: (submission, code,
    citizen)."""
    scenario = load(str(STACK_SCENARIO), TEST_SPEEDUP)
    hospital = next(h for h in scenario.country.hospitals if h.code == "01001")
    citizen = next(c for c in scenario.country.citizens if c.province == hospital.province)
    code = new_code(hospital.code)
    bundle = synthetic.prescription(
        random.Random(code), code=code, hospital=hospital, citizen=citizen,
        drugs=[DRUG_BY_CODE["VD-25123-18"]], simulated=False,
    )  # fmt: skip
    submission = client.post_prescription(bundle)["submission_id"]
    client.wait_for_citizen(citizen.cccd, code)
    return submission, code, citizen.cccd


@pytest.mark.parametrize("service", ["coordinator", "pharmacy", "hospital", "citizen_app"])
async def test_a_killed_service_is_restarted_and_the_run_completes(
    stack: Stack, service: str, new_code: NewCode
) -> None:
    client = StackClient(stack)
    submission, code, cccd = send_one_by_hand(client, new_code)
    restarts_before = len(stack.restarts)
    stories = await run_to_the_end(stack, kill_after=COUNT // 3, service=service)
    assert [r.service for r in stack.restarts[restarts_before:]] == [service]
    assert [s.prescription_id for s in stories if not s.final] == []
    assert dispensed_twice(stories) == []
    # What a user sent before the kill is still answered after it.
    answer = client["hospital"].get(f"/submissions/{submission}", headers=client.operator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["prescription_id"] == code
    mine = client.citizen(cccd)
    listed = client["citizen_app"].get(f"/citizens/{cccd}/prescriptions", headers=mine).json()
    assert code in [rx["prescription_id"] for rx in listed]
    # Its counts by state were rebuilt with its table, not begun again from nothing.
    total = client["coordinator"].get("/stats", headers=client.operator).json()["total"]
    assert total >= len(stories) + 1
