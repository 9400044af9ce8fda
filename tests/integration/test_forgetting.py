"""Every service forgets a finished prescription once its validity and retention are over, and
what people can still ask about it stays consistent: the hospital, the citizen app and the
coordinator all answer 404 for it, none a 500. A stack of its own, with a retention of a tenth
of a simulated day (the 5-day validity and the retention pass in about 10 s here)."""

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from rxsim.domain.reference.country import DRUGS
from rxsim.fhir import synthetic
from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.integration.conftest import NewCode, stack_settings
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration
COUNTRY = load(str(STACK_SCENARIO)).country


@pytest.fixture(scope="module")
def client(
    kafka_bootstrap: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackClient]:
    folder = tmp_path_factory.mktemp("short-retention")
    scenario = folder / "scenario.toml"
    text = STACK_SCENARIO.read_text().replace(
        "days_after_validity = 36500", "days_after_validity = 0.1"
    )
    assert "days_after_validity = 0.1" in text
    scenario.write_text(text)
    stack = Stack(stack_settings(kafka_bootstrap, scenario), log_dir=Path(folder) / "logs")
    stack.start()
    yield StackClient(stack)
    stack.stop()


def test_a_cancelled_prescription_is_forgotten_everywhere_and_reads_as_not_found(
    client: StackClient, new_code: NewCode
) -> None:
    hospital, citizen = COUNTRY.hospital_by_code["01001"], COUNTRY.citizens[0]
    code = new_code("01001")
    bundle = synthetic.prescription(
        random.Random(3),
        code=code,
        hospital=hospital,
        citizen=citizen,
        drugs=[DRUGS[0]],
        simulated=False,  # a real citizen: nobody chooses a pharmacy
    )
    submission_id = client.post_until_available(bundle, citizen.cccd, code)
    cancel = client["hospital"].post(
        f"/prescriptions/{code}/cancel", json={}, headers=client.as_issuer(bundle)
    )
    assert cancel.status_code == 202
    client.wait_for_state(submission_id, "CANCELLED")
    client.wait_for_citizen(citizen.cccd, code, "CANCELLED")

    def asked() -> dict[str, tuple[int, str]]:
        answers = {
            "hospital submission": client["hospital"].get(
                f"/submissions/{submission_id}", headers=client.operator
            ),
            "hospital prescription": client["hospital"].get(
                f"/prescriptions/{code}", headers=client.as_issuer(bundle)
            ),
            "citizen app": client["citizen_app"].get(
                f"/citizens/{citizen.cccd}/prescriptions/{code}",
                headers=client.citizen(citizen.cccd),
            ),
            "coordinator": client["coordinator"].get(
                f"/prescriptions/{code}", headers=client.operator
            ),
        }
        return {
            where: (a.status_code, a.json()["detail"] if a.status_code == 404 else "")
            for where, a in answers.items()
        }

    forgotten = eventually(
        asked,
        lambda answers: all(status == 404 for status, _ in answers.values()),
        f"{code} to be forgotten by every service",
    )

    for where in ("hospital submission", "hospital prescription", "citizen app"):
        assert "forgotten after the retention" in forgotten[where][1], where
    listed = client["citizen_app"].get(
        f"/citizens/{citizen.cccd}/prescriptions", headers=client.citizen(citizen.cccd)
    )
    assert code not in [rx["prescription_id"] for rx in listed.json()]
