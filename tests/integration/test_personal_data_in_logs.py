"""Through the real services: a refused request's answer does not echo what was sent, and the
citizen app's log (its access lines carry CCCDs in URL paths) masks every CCCD."""

from collections.abc import Iterator

import pytest

from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

CITIZEN = load(str(STACK_SCENARIO)).country.citizens[7]


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def test_a_refused_sign_in_does_not_echo_the_cccd(client: StackClient) -> None:
    mistyped = f"{CITIZEN.cccd[:-1]}X"

    answer = client["citizen_app"].post("/auth/otp", json={"cccd": mistyped})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "cccd"]
    assert mistyped not in answer.text


def test_the_citizen_apps_log_masks_the_cccds_in_its_paths(client: StackClient) -> None:
    listed = client["citizen_app"].get(
        f"/citizens/{CITIZEN.cccd}/prescriptions", headers=client.citizen(CITIZEN.cccd)
    )
    assert listed.status_code == 200
    log = client.stack.log_dir / "citizen_app.log"
    masked_path = f"/citizens/{CITIZEN.cccd[:3]}*********/prescriptions"

    eventually(lambda: log.read_text(errors="replace"), lambda text: masked_path in text, "log")
    assert CITIZEN.cccd not in log.read_text(errors="replace")
