"""Async Kafka for the FastAPI services (hospital, citizen app): a producer of envelopes and a
follower that decodes what it reads, parks what it cannot, and hands the rest to a handler."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import BaseModel

from rxsim.messaging.codec import Undecodable, dead_letter_of, decode, encode_bounded, new_event
from rxsim.messaging.settings import GROUP_SESSION_TIMEOUT_S
from schemas import topics
from schemas.envelope import Envelope
from schemas.topics import Topic

log = logging.getLogger(__name__)
Handler = Callable[[Topic, Envelope, Any], Awaitable[None]]


class Publisher:
    def __init__(self, bootstrap: str, service: str) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so they are made here, not at import.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, linger_ms=5, client_id=f"rxsim-{self.service}"
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer:
            await self._producer.stop()

    async def send_raw(self, topic: str, key: bytes, value: bytes) -> None:
        assert self._producer is not None, "Publisher.start() first"
        await self._producer.send_and_wait(topic, key=key, value=value)

    async def publish(
        self,
        topic: Topic,
        key: str,
        data: BaseModel | dict[str, Any],
        *,
        subject: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> dict[str, Any]:
        topics.check_write(self.service, topic)
        event = new_event(
            topic,
            source=f"rxsim/{self.service}",
            subject=subject,
            data=data,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        await self.send_raw(topic.name, key.encode(), encode_bounded(event))
        return event


class Follower:
    """Consumes `reads` in the service's own consumer group, for as long as the service runs."""

    def __init__(
        self,
        bootstrap: str,
        service: str,
        reads: Iterable[Topic],
        handler: Handler,
        publisher: Publisher,
        fetch_max_wait_ms: int = 50,
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.service = service
        self.handler = handler
        self.publisher = publisher
        self.reads = tuple(reads)
        self.bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return bool(
            self._task and not self._task.done() and self._consumer and self._consumer.assignment()
        )

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *(t.name for t in self.reads),
            bootstrap_servers=self.bootstrap,
            group_id=f"rxsim-{self.service}",
            client_id=f"rxsim-{self.service}",
            auto_offset_reset="earliest",
            enable_auto_commit=True,
            session_timeout_ms=int(GROUP_SESSION_TIMEOUT_S * 1000),
            heartbeat_interval_ms=1_000,
            max_poll_interval_ms=30_000,
            rebalance_timeout_ms=int(GROUP_SESSION_TIMEOUT_S * 1000),
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)

    async def _run(self) -> None:
        assert self._consumer is not None
        async for message in self._consumer:
            topic = topics.BY_NAME[message.topic]
            try:
                envelope, data = decode(topic, message.value)
                await self.handler(topic, envelope, data)
            except Undecodable as exc:
                await self._park(message, exc.reason)
            except Exception as exc:  # a bug must not stop the follower: park the message
                log.exception("handler failed on %s", message.topic)
                await self._park(message, f"handler error: {exc!r}")

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
