"""Redelivery on purpose: produce again every record of every topic a service consumes, and
wait until the services have worked through it. Every consumer must recognise what it has
already seen, so a replay may change nothing (`rxsim chaos`, tests/integration/test_replay.py).
"""

import time

from kafka import KafkaProducer, TopicPartition

from rxsim.messaging import codec
from rxsim.messaging.kafka_security import kafka_python_args
from rxsim.tools.topic_reader import Record, open_consumer, read
from schemas.topics import ALL_TOPICS

# Topics a service reads ("tools" only read to watch, and take no decision).
CONSUMED = sorted({t.name for t in ALL_TOPICS if set(t.consumers) - {"tools"}})


def replay(bootstrap: str) -> int:
    """Every record of every consumed topic, again, newest first in each partition (so each
    consumer ends on an old event); how many were produced."""
    records: list[Record] = [r for r in read(bootstrap, CONSUMED) if r.value is not None]
    records.sort(key=lambda r: (r.topic, r.partition, -r.offset))
    # Room for the oversized records a hostile producer may have left on the topics.
    producer = KafkaProducer(
        **kafka_python_args(bootstrap), max_request_size=4 * codec.MAX_MESSAGE_BYTES
    )
    try:
        for r in records:
            producer.send(
                r.topic, key=r.key, value=r.value, partition=r.partition, headers=list(r.headers)
            )
        producer.flush(timeout=60)
    finally:
        producer.close()
    return len(records)


def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = open_consumer(bootstrap)
    try:
        parts = [
            TopicPartition(t.name, p)
            for t in ALL_TOPICS
            for p in sorted(consumer.partitions_for_topic(t.name) or ())
        ]
        return dict(consumer.end_offsets(parts))
    finally:
        consumer.close()


class StillGrowing(Exception):
    """The topics did not stop growing in the time given."""


def wait_until_quiet(bootstrap: str, quiet: float = 5.0, timeout: float = 90.0) -> None:
    """Wait (bounded) until no topic has grown for `quiet` seconds: the services have worked
    through what they were sent and whatever it made them publish."""
    deadline, last, since = time.monotonic() + timeout, end_offsets(bootstrap), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise StillGrowing(f"the topics were still growing after {timeout:.0f} s")
        time.sleep(0.5)
        now = end_offsets(bootstrap)
        if now != last:
            last, since = now, time.monotonic()
