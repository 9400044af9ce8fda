"""Hostile messages on the services' topics, and the dead letters the services leave for them.

Whatever arrives on a topic, each of its consumers either processes it or parks it in
rx.deadletter with the reason, and goes on: no message may stop a consumer. `rxsim chaos`
sends these to every consumed topic; tests/integration/test_deadletters.py checks the reasons.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer

from rxsim.messaging import codec
from rxsim.messaging.kafka_security import kafka_python_args
from rxsim.tools import examples
from rxsim.tools.live import parse
from rxsim.tools.topic_reader import read
from schemas import topics
from schemas.topics import Topic

HUGE_KEY_BYTES = 600_000  # far over what a dead letter keeps of a key (its first 256 bytes)
# Where a dead letter says a message came from, and who refused it.
DeadLetterAt = tuple[str, int, int, str]  # source topic, partition, offset, consumer


@dataclass(frozen=True)
class Hostile:
    what: str
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Landed:
    """A message the broker has taken, and where."""

    what: str
    topic: str
    partition: int
    offset: int

    def dead_lettered(self, letters: Iterable[DeadLetterAt]) -> list[str]:
        """The services that left a dead letter for it. A service that reads its own writes
        back skips what it cannot decode there when another service consumes the topic
        (parking it is for that consumer), so one dead letter is what every message must
        have."""
        return [
            c for t, p, o, c in letters if (t, p, o) == (self.topic, self.partition, self.offset)
        ]


def hostile_messages(topic: Topic, rng: random.Random) -> list[Hostile]:
    """Malformed, oversized and huge-key messages for one topic, each one a consumer must
    dead-letter: not JSON, cut short, a schema version it does not know, another topic's event,
    over the size limit, and a key far too long to keep."""
    example = {t.name: event for t, event in examples.story()}
    own = example[topic.name]
    other = next(event for name, event in example.items() if name != topic.name)
    newer: dict[str, Any] = {**own, "dataschema": str(own["dataschema"]).replace(":1", ":2")}
    padded = {**own, "data": {**own["data"], "padding": "x" * codec.MAX_MESSAGE_BYTES}}
    garbage = bytes([0xFF, 0x00]) + rng.randbytes(62)
    key = f"chaos-{rng.getrandbits(32):08x}".encode()
    return [
        Hostile("garbage", topic.name, key, garbage),
        Hostile("truncated", topic.name, key, codec.encode(own)[:120]),
        Hostile("unknown schema version", topic.name, key, codec.encode(newer)),
        Hostile("another topic's event", topic.name, key, codec.encode(other)),
        Hostile("oversized", topic.name, key, codec.encode(padded)),
        Hostile("huge key", topic.name, b"k" * HUGE_KEY_BYTES, garbage),
    ]


def produce(bootstrap: str, messages: Iterable[Hostile]) -> list[Landed]:
    """Produce each message and wait until the broker has it; where each one landed."""
    producer = KafkaProducer(
        **kafka_python_args(bootstrap), max_request_size=4 * codec.MAX_MESSAGE_BYTES
    )
    try:
        landed = []
        for message in messages:
            sent = producer.send(message.topic, key=message.key, value=message.value)
            meta = sent.get(timeout=30)
            landed.append(Landed(message.what, message.topic, meta.partition, meta.offset))
        return landed
    finally:
        producer.close()


def dead_letters(bootstrap: str) -> dict[DeadLetterAt, dict[str, Any]]:
    """Every dead letter so far, by where its original was and who refused it."""
    found = {}
    for record in read(bootstrap, [topics.RX_DEADLETTER.name]):
        event = parse(record.value, record.headers) or {}
        data = event.get("data", {})
        found[(data["source_topic"], data["partition"], data["offset"], data["consumer"])] = data
    return found
