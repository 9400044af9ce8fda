"""Readers reach the true end of a partition on the real broker. The embedded broker answers
ListOffsets(latest) with the first offset of a partition's last record batch plus one, so
readers that stopped there missed the rest of that batch: a restarted coordinator lost 23 of
6,000 changelog records here (and with them prescriptions it then called unknown), and the
tools (trace, record, replay) missed the last events written."""

import asyncio
import random
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from rxsim.messaging.kafka_io import Consumer, Producer
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.messaging.worker import Worker
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas import topics


def _nothing(*_: object) -> list:
    return []


@pytest.mark.asyncio
async def test_every_partition_comes_back_with_each_keys_last_value(stack: Stack) -> None:
    settings = stack.settings
    worker = Worker(f"restore-{uuid.uuid4().hex[:8]}", settings, [topics.RX_ISSUED], "t", _nothing)
    worker._restorer = Consumer(**aiokafka_args(stack.bootstrap), enable_auto_commit=False)
    await worker._restorer.start()
    producer = Producer(**aiokafka_args(stack.bootstrap), linger_ms=5)
    await producer.start()
    try:
        await worker._ensure_changelog()
        rng = random.Random(7)
        expected: dict[int, dict[str, bytes]] = {}
        sent = []
        # Prescriptions and their split-off parts, rewritten as they move on; some deleted.
        for _ in range(6_000):
            partition = rng.randrange(settings.partitions)
            key = f"rx-{rng.randrange(800)}-{partition}" + rng.choice(["", "#requests"])
            value = None if rng.random() < 0.05 else rng.randbytes(rng.randrange(100, 4_000))
            sent.append(
                await producer.send(
                    worker.changelog, key=key.encode(), value=value, partition=partition
                )
            )
            values = expected.setdefault(partition, {})
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        await asyncio.gather(*sent)

        count = await worker._restore(list(range(settings.partitions)))

        assert count == 6_000
        for number in range(settings.partitions):
            assert worker.table.partitions[number] == expected.get(number, {})

        # A rebalance restores again, with the same consumer: partitions it gave up come back.
        for number in (1, 3):
            worker.table.drop(number)
        await worker._restore([1, 3])
        for number in range(settings.partitions):
            assert worker.table.partitions[number] == expected.get(number, {})
    finally:
        await producer.stop()
        await worker._restorer.stop()


@pytest.mark.asyncio
async def test_the_tools_read_every_record_of_a_last_batch(stack: Stack) -> None:
    name = f"reading-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**aiokafka_args(stack.bootstrap))
    await admin.start()
    await admin.create_topics([NewTopic(name, 1, 1)])
    await admin.close()
    producer = Producer(**aiokafka_args(stack.bootstrap))
    await producer.start()
    try:
        # Two record batches, 0-498 and 499-508: the tools' reader hands out 500 records a
        # poll, so its first poll ends just past the first record of the last batch.
        for first, size in ((0, 499), (499, 10)):
            records = producer.create_batch()
            for n in range(first, first + size):
                records.append(key=b"k", value=str(n).encode(), timestamp=None)
            await (await producer.send_batch(records, name, partition=0))
    finally:
        await producer.stop()

    read_back = await asyncio.to_thread(lambda: list(read(stack.bootstrap, [name])))

    assert [r.value for r in read_back] == [str(n).encode() for n in range(509)]
