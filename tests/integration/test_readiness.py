"""/readyz tells the truth about a real consumer: the aiokafka Follower, reading a real broker,
is not ready while it is far behind what it reads (its handler is held up here), ready again
once it has caught up, and not ready once its consumer has stopped. The batched workers decide
with the same function (tests/unit/test_readiness.py); their lag is the next offset each has
to handle against its partition's end."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from rxsim.messaging.codec import encode_bounded, new_event, now
from rxsim.messaging.health import STARTING
from rxsim.messaging.kafka_io import Follower, Publisher
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.messaging.settings import READY_MAX_LAG
from rxsim.tools.broker import EmbeddedBroker, ensure_topics
from schemas import topics
from schemas.events import GeneratorRunRecorded

pytestmark = pytest.mark.integration
RUNS = topics.HOSPITAL_RUNS


@pytest.fixture
async def bootstrap() -> AsyncIterator[str]:
    """A broker of this test alone, every topic with one partition: what the test writes
    lands in one place, in order."""
    broker = EmbeddedBroker()
    address = broker.start()
    ensure_topics(address, partitions=1)
    yield address
    broker.stop()


async def eventually(until: Callable[[], bool], what: str, seen: Callable[[], Any]) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while not until():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen: {seen()!r}")
        await asyncio.sleep(0.1)


async def write_at_once(bootstrap: str, values: list[bytes]) -> None:
    """One record batch: the broker's end moves past all of them in one step, so the
    follower's next fetch answer says how far behind it is, exactly."""
    producer = AIOKafkaProducer(**aiokafka_args(bootstrap), max_batch_size=1024 * 1024)
    await producer.start()
    try:
        batch = producer.create_batch()
        for value in values:
            assert batch.append(key=b"run-1", value=value, timestamp=None) is not None
        batch.close()
        await (await producer.send_batch(batch, RUNS.name, partition=0))
    finally:
        await producer.stop()


async def test_a_follower_far_behind_is_not_ready_until_it_caught_up_and_stopped_is_not(
    bootstrap: str,
) -> None:
    released, holding = asyncio.Event(), asyncio.Event()

    async def held_up(topic: Any, envelope: Any, data: Any) -> None:
        holding.set()
        await released.wait()

    publisher = Publisher(bootstrap, "hospital")
    await publisher.start()
    follower = Follower(bootstrap, "hospital", [RUNS], held_up, publisher, own=[RUNS])
    assert follower.readiness() == STARTING
    await follower.start()
    try:
        await eventually(lambda: follower.readiness().ready, "ready", follower.readiness)

        run = GeneratorRunRecorded(run_id="run-1", target=1, rate=1.0, started_at=now())
        event = new_event(RUNS, source="rxsim/hospital", subject="run-1", data=run)
        # One event its handler is held up on, then more than READY_MAX_LAG it skips (on its
        # own topic, what it cannot decode is skipped) once the handler is released.
        values = [encode_bounded(event)] + [b"not an envelope"] * (READY_MAX_LAG + 10)
        await write_at_once(bootstrap, values)
        await asyncio.wait_for(holding.wait(), 30)
        behind = f"behind by {len(values)} events"
        await eventually(lambda: follower.readiness().reason == behind, behind, follower.readiness)

        released.set()
        await eventually(lambda: follower.readiness().ready, "ready again", follower.readiness)
    finally:
        released.set()
        await follower.stop()
        await publisher.stop()
    assert follower.readiness().reason == "consumer stopped"
