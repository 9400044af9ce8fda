"""Async Kafka for the FastAPI services (hospital, citizen app): a producer of envelopes and a
follower that decodes what it reads, parks what it cannot, and hands the rest to a handler."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import BaseModel

from rxsim.messaging import health
from rxsim.messaging.codec import (
    STRUCTURED,
    Undecodable,
    dead_letter_of,
    decode,
    encode_bounded,
    new_event,
)
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.messaging.settings import STOP_TIMEOUT_S
from schemas import topics
from schemas.envelope import Envelope
from schemas.topics import Topic

log = logging.getLogger(__name__)
Handler = Callable[[Topic, Envelope, Any], Awaitable[None]]


async def stop_within(stop: Awaitable[None], what: str) -> None:
    """Await a Kafka client's stop for at most STOP_TIMEOUT_S, and never fail: at
    shutdown an unreachable broker must not keep the process alive (aiokafka's consumer even
    raises CancelledError from its stop then, out of a fetch it cancels while that waits to
    retry). The stop runs as its own task, so that error stays in the task and is not taken
    for a cancellation of the caller, which still propagates as usual."""
    task = asyncio.ensure_future(stop)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved: no warning
    await asyncio.wait({task}, timeout=STOP_TIMEOUT_S)
    if not task.done():
        task.cancel()
        log.warning("%s did not stop in %.0f s (broker unreachable?)", what, STOP_TIMEOUT_S)
    elif task.cancelled():
        log.warning("%s stopped with an error: cancelled (broker unreachable?)", what)
    elif task.exception() is not None:
        log.warning("%s stopped with an error: %r", what, task.exception())


class Consumer(AIOKafkaConsumer):
    """aiokafka's consumer, whose stop ends in time (see `stop_within`)."""

    async def stop(self) -> None:
        await stop_within(super().stop(), "the Kafka consumer")


class Producer(AIOKafkaProducer):
    """aiokafka's producer, whose stop ends in time (see `stop_within`)."""

    async def stop(self) -> None:
        await stop_within(super().stop(), "the Kafka producer")


class Publisher:
    def __init__(self, bootstrap: str, service: str) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self._producer: Producer | None = None

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so they are made here, not at import.
        self._producer = Producer(
            **aiokafka_args(self.bootstrap), linger_ms=5, client_id=f"rxsim-{self.service}"
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer:
            await self._producer.stop()

    async def send_raw(self, topic: str, key: bytes, value: bytes) -> None:
        assert self._producer is not None, "Publisher.start() first"
        await self._producer.send_and_wait(topic, key=key, value=value, headers=STRUCTURED)

    async def publish(
        self,
        topic: Topic,
        key: str,
        data: BaseModel | dict[str, Any],
        *,
        subject: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        signature: str | None = None,
    ) -> dict[str, Any]:
        topics.check_write(self.service, topic)
        event = new_event(
            topic,
            source=f"rxsim/{self.service}",
            subject=subject,
            data=data,
            correlation_id=correlation_id,
            causation_id=causation_id,
            signature=signature,
        )
        await self.send_raw(topic.name, key.encode(), encode_bounded(event))
        return event


class Follower:
    """Reads `reads` from the beginning, every partition by assignment (no consumer group, so a
    restart waits for no rebalance), for as long as the service runs: the service rebuilds its
    view from the broker on every start. `ready` once it has read what was there when it
    started; `on_caught_up` is awaited then, once (to arm what the rebuilt view says is due).
    What it cannot decode on a topic of `own` (where it reads back its own writes) is skipped
    when another service consumes that topic too: parking it is for that consumer. On a topic
    only its writer reads (the hospital's generator runs), the writer parks it itself."""

    def __init__(
        self,
        bootstrap: str,
        service: str,
        reads: Iterable[Topic],
        handler: Handler,
        publisher: Publisher,
        fetch_max_wait_ms: int = 50,
        *,
        own: Iterable[Topic] = (),
        on_caught_up: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.service = service
        self.handler = handler
        self.publisher = publisher
        self.reads = tuple(reads)
        self.own = frozenset(t.name for t in own if set(t.consumers) - {service})
        self.on_caught_up = on_caught_up
        self.bootstrap = bootstrap
        self.caught_up = False
        self._behind: dict[TopicPartition, int] = {}  # partition -> its end offset at start
        self._fetched: set[TopicPartition] = set()  # partitions whose end a fetch has told
        self._next: dict[TopicPartition, int] = {}  # partition -> offset the handler gets next
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    def readiness(self, started: bool = True) -> health.Readiness:
        """Ready while it reads, has caught up (and `started`: the service has done what
        catching up asked for), and is not far behind. Cheap: the ends are what the broker
        said with its last fetch answer, the positions what the handler has been given."""
        if self._task is None or self._consumer is None:
            return health.STARTING
        stopped, behind = self._stopped(), {}
        if stopped is None:
            ends = {tp: self._consumer.highwater(tp) for tp in self._next}
            behind = health.lag_by_topic(ends, self._next)
        readiness = health.decide(stopped, self.caught_up and started, sum(behind.values()))
        return replace(readiness, lag=behind)

    def _stopped(self) -> str | None:
        """Why the reading loop ended (None while it runs): a bug it could not park, or stop."""
        if self._task is None or not self._task.done():
            return None
        if not self._task.cancelled() and self._task.exception() is not None:
            return f"consumer stopped: {self._task.exception()!r}"
        return "consumer stopped"

    async def start(self) -> None:
        consumer = Consumer(
            **aiokafka_args(self.bootstrap),
            client_id=f"rxsim-{self.service}",
            enable_auto_commit=False,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await consumer.start()
        partitions = await partitions_of(consumer, self.reads)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions) if partitions else {}
        self._behind = {tp: end for tp, end in ends.items() if end > 0}
        self._next = dict.fromkeys(partitions, 0)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        await self._check_caught_up()
        async for message in self._consumer:
            topic = topics.BY_NAME[message.topic]
            try:
                envelope, data = decode(topic, message.value, message.headers)
                await self.handler(topic, envelope, data)
            except Undecodable as exc:
                if message.topic not in self.own:
                    await self._park(message, exc.reason)
            except Exception as exc:  # a bug must not stop the follower: park the message
                log.exception("handler failed on %s", message.topic)
                await self._park(message, f"handler error: {exc!r}")
            tp = TopicPartition(message.topic, message.partition)
            self._next[tp] = message.offset + 1
            if not self.caught_up:
                if message.offset + 1 >= self._end_at_start(tp):
                    self._behind.pop(tp, None)
                await self._check_caught_up()

    def _end_at_start(self, tp: TopicPartition) -> int:
        """The partition's end when the follower started, as the first fetch answer that
        reached it said (ListOffsets can fall short on the embedded broker: see
        `read_to_end`); kept from then on, so that catching up ends under live traffic."""
        listed = self._behind.get(tp, 0)
        if tp not in self._fetched and self._consumer is not None:
            self._fetched.add(tp)
            listed = max(listed, self._consumer.highwater(tp) or 0)
            if listed:
                self._behind[tp] = listed
        return listed

    async def _check_caught_up(self) -> None:
        if self.caught_up or self._behind:
            return
        self.caught_up = True
        log.info("%s caught up with %s", self.service, ", ".join(t.name for t in self.reads))
        if self.on_caught_up is not None:
            try:
                await self.on_caught_up()
            except Exception:
                log.exception("%s: what was due on catching up failed", self.service)

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)

    async def _park(self, message: Any, reason: str) -> None:
        """Dead-letter a message; if even that fails, log it and go on: one message must never
        stop the follower (the whole message is still at its topic, partition and offset)."""
        try:
            key, value = dead_letter_of(message, self.service, reason)
            await self.publisher.send_raw(topics.RX_DEADLETTER.name, key, value)
        except Exception:
            log.exception(
                "could not dead-letter %s[%s]@%s", message.topic, message.partition, message.offset
            )


async def read_to_end(consumer: AIOKafkaConsumer, tp: TopicPartition) -> bool:
    """Whether `consumer` has handed out every record of `tp` that the broker held at its last
    fetch answer. The end comes from that answer (its high watermark), not from ListOffsets:
    the embedded broker answers ListOffsets(latest) with the first offset of the partition's
    last record batch plus one, short of the records after the first in that batch, so a
    reader stopping there missed the last records written (measured: 23 of 6,000 changelog
    records; tests/integration/test_worker_restore.py)."""
    end = consumer.highwater(tp)
    return end is not None and await consumer.position(tp) >= end


async def partitions_of(consumer: AIOKafkaConsumer, reads: Iterable[Topic]) -> list[TopicPartition]:
    """Every partition of `reads`, asking the broker again for a topic not yet in metadata."""
    partitions = []
    for topic in reads:
        found = consumer.partitions_for_topic(topic.name)
        if not found:
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(topic.name) or set()
        partitions += [TopicPartition(topic.name, p) for p in sorted(found)]
    return partitions


async def stop_reading(
    task: "asyncio.Task[None] | None", consumer: AIOKafkaConsumer | None
) -> None:
    """Cancel a loop that reads a consumer, then close the consumer."""
    if task:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if consumer:
        await consumer.stop()
