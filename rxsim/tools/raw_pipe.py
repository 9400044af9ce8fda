"""The raw broker pipe: what the broker and the Kafka client carry with no processing at all,
measured on the same broker as the pipeline so that `rxsim bench` can say what share of it the
pipeline uses.

Messages of a given size enter the first of `hops` topics; one consumer per hop reads its topic
and forwards each message to the next, all in one process with aiokafka, as a service's loop
does but without decoding, deciding or storing anything. Throughput is hop-events per second:
messages consumed and forwarded, over all hops.
"""

import asyncio
import os
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from rxsim.messaging.codec import STRUCTURED
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.tools.broker import create_topics

HOPS = 7  # a prescription crosses about seven services' hops from issue to its end


@dataclass(frozen=True)
class PipeResult:
    hop_events: int
    seconds: float
    message_bytes: int
    hops: int

    @property
    def per_second(self) -> float:
        return self.hop_events / self.seconds if self.seconds else 0.0


async def measure(
    bootstrap: str, hop_events: int, message_bytes: int, hops: int = HOPS, partitions: int = 4
) -> PipeResult:
    """Forward `hop_events // hops` messages of `message_bytes` through `hops` topics."""
    run = uuid.uuid4().hex[:8]
    names = [f"bench.raw.{run}.{hop}" for hop in range(hops + 1)]
    await asyncio.to_thread(create_topics, bootstrap, names, partitions)
    entering = max(1, hop_events // hops)
    producer = AIOKafkaProducer(
        **aiokafka_args(bootstrap), linger_ms=5, max_batch_size=256 * 1024, client_id="rxsim-raw"
    )
    await producer.start()
    arrived = asyncio.Event()
    forwarders = [
        asyncio.create_task(_forward(bootstrap, names[h], names[h + 1], producer))
        for h in range(hops)
    ]
    last = asyncio.create_task(_count(bootstrap, names[hops], entering, arrived))
    try:
        await asyncio.sleep(1.0)  # every reader assigned and at the beginning before any write
        payload = os.urandom(message_bytes // 2).hex().encode()[:message_bytes]
        started = time.monotonic()
        for index in range(entering):
            await producer.send(names[0], payload, key=str(index).encode(), headers=STRUCTURED)
        await producer.flush()
        await arrived.wait()
        seconds = time.monotonic() - started
    finally:
        for task in (*forwarders, last):
            task.cancel()
        await asyncio.gather(*forwarders, last, return_exceptions=True)
        await producer.stop()
    return PipeResult(entering * hops, seconds, message_bytes, hops)


async def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        **aiokafka_args(bootstrap), enable_auto_commit=False, client_id="rxsim-raw",
        fetch_max_wait_ms=50, auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    found = consumer.partitions_for_topic(topic)
    while not found:
        await consumer._client.force_metadata_update()
        found = consumer.partitions_for_topic(topic)
    partitions = [TopicPartition(topic, p) for p in sorted(found)]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    return consumer


async def _forward(bootstrap: str, source: str, target: str, producer: AIOKafkaProducer) -> None:
    consumer = await _consumer(bootstrap, source)
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=1000)
            for records in batches.values():
                for record in records:
                    await producer.send(target, record.value, key=record.key, headers=STRUCTURED)
    finally:
        await consumer.stop()


async def _count(bootstrap: str, topic: str, expected: int, arrived: asyncio.Event) -> None:
    consumer = await _consumer(bootstrap, topic)
    seen = 0
    try:
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=100, max_records=1000)
            seen += sum(len(records) for records in batches.values())
        arrived.set()
    finally:
        await consumer.stop()
