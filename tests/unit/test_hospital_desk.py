"""The hospital's desk with a fake publisher: what it sends for a prescription, a cancellation
and a generator run, and what it refuses, without a broker."""

import asyncio
from typing import Any

import pytest

from rxsim import fhir
from rxsim.domain.reasons import Reason
from rxsim.fhir import signing
from rxsim.messaging.tokens import Caller, Refused, Role
from rxsim.scenario import load
from schemas import topics
from services.hospital.desk import Desk, NoRunGoing, RunGoing
from services.hospital.status_view import StatusView
from tests.support import factories as make

ISSUER = Caller(Role.FACILITY, make.ONBOARDED_HOSPITAL.code)  # the system of make.bundle()'s


class FakePublisher:
    """Records what would go to the broker, and gives each event an id as the real one does."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any, dict[str, Any]]] = []

    async def publish(self, topic: Any, key: str, data: Any, **envelope: Any) -> dict[str, Any]:
        topics.check_write("hospital", topic)
        self.sent.append((topic.name, key, data, envelope))
        return {"id": f"sub-{len(self.sent)}"}


@pytest.fixture
def desk() -> Desk:
    return Desk(load("pilot"), FakePublisher(), StatusView())  # type: ignore[arg-type]


async def test_a_valid_prescription_is_published_and_followed(desk: Desk) -> None:
    code, submission_id = await desk.submit(make.bundle(), ISSUER)
    [(topic, key, _, envelope)] = desk.publisher.sent  # type: ignore[attr-defined]
    assert (topic, key, envelope["subject"]) == (topics.RX_ISSUED.name, code, code)
    assert desk.view.submissions[submission_id].prescription_id == code


async def test_what_the_edge_accepted_is_signed_as_its_facility(desk: Desk) -> None:
    await desk.submit(make.bundle(), ISSUER)
    [(_, _, data, envelope)] = desk.publisher.sent  # type: ignore[attr-defined]
    keys = desk.scenario.facility_keys()
    issuer = make.ONBOARDED_HOSPITAL.code
    assert signing.verify(data, envelope["signature"], keys, issuer) is None


async def test_an_invalid_prescription_is_refused_and_nothing_is_sent(desk: Desk) -> None:
    with pytest.raises(fhir.InvalidPrescription):
        await desk.submit(make.without(make.bundle(), "Patient"), ISSUER)
    assert desk.publisher.sent == []  # type: ignore[attr-defined]


async def test_a_prescription_of_another_facility_is_refused_and_nothing_is_sent(
    desk: Desk,
) -> None:
    another = Caller(Role.FACILITY, "79001")

    with pytest.raises(Refused) as refused:
        await desk.submit(make.bundle(), another)

    assert (refused.value.status, refused.value.reason) == (403, Reason.OTHER_FACILITY)
    assert desk.publisher.sent == []  # type: ignore[attr-defined]


async def test_a_cancellation_follows_its_submission(desk: Desk) -> None:
    code, submission_id = await desk.submit(make.bundle(), ISSUER)
    await desk.cancel(desk.view.submissions[submission_id], "wrong dose")
    topic, key, data, envelope = desk.publisher.sent[-1]  # type: ignore[attr-defined]
    assert (topic, key, data.reason) == (topics.RX_CANCEL.name, code, "wrong dose")
    assert envelope["correlation_id"] == submission_id


async def test_a_generator_run_issues_its_count_and_a_second_waits_for_it(desk: Desk) -> None:
    await desk.recover()  # nothing to rebuild: a new hospital
    run = await desk.start_run(count=3, rate=1_000.0)
    with pytest.raises(RunGoing):
        await desk.start_run(count=None, rate=None)
    for _ in range(200):  # the run is a background task: let it finish
        if run.finished:
            break
        await asyncio.sleep(0.01)
    sent = [topic for topic, *_ in desk.publisher.sent]  # type: ignore[attr-defined]
    assert run.finished
    assert run.issued == sent.count(topics.RX_ISSUED.name) == 3
    keys = desk.scenario.facility_keys()
    for topic, _, bundle, envelope in desk.publisher.sent:  # type: ignore[attr-defined]
        if topic == topics.RX_ISSUED.name:  # each signed as the facility its Bundle names
            issuer = fhir.parse_prescription(bundle).facility_code
            assert signing.verify(bundle, envelope["signature"], keys, issuer) is None


async def test_runs_on_one_stack_never_repeat_prescription_codes(desk: Desk) -> None:
    await desk.recover()
    codes = []
    for _ in range(2):
        run = await desk.start_run(count=3, rate=1_000.0)
        for _ in range(200):
            if run.finished:
                break
            await asyncio.sleep(0.01)
        sent = desk.publisher.sent  # type: ignore[attr-defined]
        codes.append({key for topic, key, *_ in sent if topic == topics.RX_ISSUED.name})
    first, second = codes[0], codes[1] - codes[0]
    assert desk.current_run is not None and desk.current_run.seed == desk.scenario.seed + 1
    assert len(first) == len(second) == 3  # the second run's three codes are all new


async def test_a_stopped_run_issues_nothing_more_and_is_recorded_stopped(desk: Desk) -> None:
    await desk.recover()
    run = await desk.start_run(count=1_000, rate=20.0)  # 50 s of issuing
    await asyncio.sleep(0.2)

    stopped = await desk.stop_run()
    issued_then = sum(
        topic == topics.RX_ISSUED.name
        for topic, *_ in desk.publisher.sent  # type: ignore[attr-defined]
    )
    await asyncio.sleep(0.3)  # what would have been six more

    sent = desk.publisher.sent  # type: ignore[attr-defined]
    assert stopped is run and run.stopped and run.finished
    assert sum(topic == topics.RX_ISSUED.name for topic, *_ in sent) <= issued_then + 1
    recorded = [data for topic, _, data, _ in sent if topic == topics.HOSPITAL_RUNS.name]
    assert recorded[-1].stopped and recorded[-1].finished  # a restart does not resume it
    with pytest.raises(NoRunGoing):
        await desk.stop_run()
