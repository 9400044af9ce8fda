"""Follows rx.issued, rx.status, pharmacy alerts and dead letters from the beginning, by
assignment (no consumer group, so it never disturbs the services' groups), feeding a Ledger."""

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from rxsim.messaging.codec import Undecodable, decode
from rxsim.messaging.kafka_io import stop_reading
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.tools.ledger import Ledger
from schemas import topics
from schemas.events import CounterfeitSuspected, StatusChanged


class Observer:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.ledger = Ledger()
        self.dead_letters = 0  # messages a consumer refused and parked on rx.deadletter
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            **aiokafka_args(self.bootstrap),
            enable_auto_commit=False,
            client_id="rxsim-observer",
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        partitions = []
        followed = (
            topics.RX_ISSUED,
            topics.RX_STATUS,
            topics.PHARMACY_ALERTS,
            topics.RX_DEADLETTER,
        )
        for topic in followed:
            found = consumer.partitions_for_topic(topic.name)
            if found is None:
                await consumer._client.force_metadata_update()
                found = consumer.partitions_for_topic(topic.name) or set()
            partitions += [TopicPartition(topic.name, p) for p in sorted(found)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        async for message in self._consumer:
            if message.topic == topics.RX_DEADLETTER.name:
                self.dead_letters += 1
                continue
            try:
                envelope, data = decode(
                    topics.BY_NAME[message.topic], message.value, message.headers
                )
            except Undecodable:
                continue  # the services dead-letter it; the ledger counts what they accepted
            if isinstance(data, StatusChanged):
                self.ledger.status(envelope, data)
            elif isinstance(data, CounterfeitSuspected):
                self.ledger.alerts += 1
            else:
                self.ledger.issued(envelope)

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)
