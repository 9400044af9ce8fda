"""Reading topics for the tools (verify, tail, trace, deadletters) with kafka-python.

Partitions are assigned, never joined as a consumer group: a kafka-python group on the embedded
broker waits a whole rebalance timeout before its first assignment, and a tool must never take
partitions away from the services' own groups (DESIGN.md, section 6).
"""

import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from rxsim.messaging.kafka_security import kafka_python_args


class BrokerUnreachable(Exception):
    """No broker answered at the address given."""


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()


def open_consumer(bootstrap: str) -> KafkaConsumer:
    kafka = kafka_python_args(bootstrap)  # outside the try: wrong settings are not "no broker"
    try:
        return KafkaConsumer(
            **kafka,
            group_id=None,
            enable_auto_commit=False,
            client_id="rxsim-tools",
            fetch_max_wait_ms=100,  # the embedded broker answers a fetch only when this runs out
            request_timeout_ms=10_000,
            bootstrap_timeout_ms=5_000,  # a tool says "no broker" quickly, not after 30 s
        )
    except (KafkaError, ValueError) as exc:
        raise BrokerUnreachable(f"no Kafka broker answers at {bootstrap} ({exc})") from None


@dataclass(frozen=True)
class Poll:
    """What one poll brought (maybe nothing), and whether every partition has reached the end
    it had when reading began (once true, it stays true)."""

    records: list[Record]
    caught_up: bool


def polls(
    bootstrap: str, topics: Iterable[str], *, from_beginning: bool = True, wait: bool = False
) -> Generator[Poll]:
    """Every poll of `topics`, forever (the caller stops), an empty one too, so that a reader
    that holds records back (`rxsim tail` puts them in time order) can let them go in time.
    Records come partition by partition in offset order. With `wait`, wait for a topic just
    created to have partitions; without, read nothing when it has none."""
    consumer = open_consumer(bootstrap)
    try:
        names = list(topics)
        while True:  # a topic created a moment ago may have no partitions in metadata yet
            partitions = [
                TopicPartition(name, p)
                for name in names
                for p in sorted(consumer.partitions_for_topic(name))
            ]
            if partitions or not wait:
                break
            time.sleep(0.5)
        if not partitions:
            return
        consumer.assign(partitions)
        if from_beginning:
            consumer.seek_to_beginning(*partitions)
        else:
            consumer.seek_to_end(*partitions)
        end = consumer.end_offsets(partitions)
        caught_up = False
        while True:
            batch = consumer.poll(timeout_ms=200)
            records = [
                Record(
                    m.topic,
                    part.partition,
                    m.offset,
                    m.key,
                    m.value,
                    m.timestamp,
                    tuple(m.headers or ()),
                )
                for part, messages in batch.items()
                for m in messages
            ]
            # The end is the larger of ListOffsets' and the last fetch answer's: the embedded
            # broker's ListOffsets falls short of a last batch's later records (see
            # rxsim.messaging.kafka_io.read_to_end).
            caught_up = caught_up or all(
                consumer.position(p) >= max(end[p], consumer.highwater(p) or 0) for p in partitions
            )
            yield Poll(records, caught_up)
    finally:
        consumer.close()


def read(
    bootstrap: str,
    topics: Iterable[str],
    *,
    from_beginning: bool = True,
    follow: bool = False,
    idle: float | None = None,
) -> Iterator[Record]:
    """Records of `topics` partition by partition in offset order. Without `follow`, stop at
    the end offsets seen when reading began; with it, go on until `idle` seconds pass without
    a record (or forever when `idle` is None)."""
    last_seen = time.monotonic()
    reading = polls(bootstrap, topics, from_beginning=from_beginning, wait=follow)
    try:
        for poll in reading:
            yield from poll.records
            if poll.records:
                last_seen = time.monotonic()
            if not follow and poll.caught_up:
                return
            if follow and idle is not None and time.monotonic() - last_seen > idle:
                return
    finally:
        reading.close()  # closes the consumer now, not when the generator is collected
