"""A lean stream worker on plain aiokafka: one consumer in the group `rxsim-<service>`, a table
(key -> bytes per partition, in memory) backed by a compacted changelog topic, and batches.

Why not faust-streaming, which the coordinator and the pharmacy ran on before: faust costs
~470 µs per event here (2,140 events/s through a bare agent), and a faust service awaited a
producer flush per event before storing its state, one broker round trip per event, serially;
restarted faust workers also passed over events or stopped fetching partitions, which a guard
around faust's internals had to catch. Here each batch costs one round trip for all its
events, and the loop is ours, so in-order handling needs no guard around it.

The order that keeps every event (a crash anywhere repeats events, never loses one; handlers
are idempotent and sent ids derive from their cause):
1. decide every record of the batch (rxsim/messaging/batch.py), against the table as the batch
   has made it so far;
2. send what was decided, and wait until the broker has all of it;
3. write the changed records to the changelog, and wait;
4. store them in memory, and only then commit the batch's offsets.

Partitions: the consumer uses the range assignor, so a worker that owns partition p of one
topic it reads owns partition p of all of them (they have the same partition count and are
keyed alike): the table's partition p, written to changelog partition p, is that worker's
alone, and N workers of a service can share the partitions. On assignment the worker restores
each assigned partition of the table from its changelog, to its end, before handling anything;
on revocation it drops it (every handled batch is committed already).
"""

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import CommitFailedError

from rxsim.messaging import batch, health
from rxsim.messaging.batch import Decide
from rxsim.messaging.codec import STRUCTURED
from rxsim.messaging.kafka_io import (
    Consumer,
    Producer,
    partitions_of,
    read_to_end,
    stop_within,
)
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.messaging.outgoing import Prepared
from rxsim.messaging.periodic import repeat
from rxsim.messaging.settings import GROUP_SESSION_TIMEOUT_S, STOP_TIMEOUT_S, Settings
from rxsim.messaging.tables import Overlay, Table, apply_changelog
from schemas.topics import Topic

log = logging.getLogger(__name__)

# Records per batch. A batch is decided without a pause for anything else on the event loop
# (the HTTP API, heartbeats) and its first event waits for the last one before anything is
# sent: measured, a coordinator batch of 1,000 held /readyz for over a second (mostly FHIR
# validation of issues); 200 keeps that to a few hundred ms and still shares each round trip.
MAX_BATCH = 200
POLL_MS = 200  # how long a poll waits for records before the loop looks around again
# How long a partition waits, once an event of it cannot be handled yet, before it is read
# again from that event (the coordinator waiting for a prescription's issue).
HOLD_PAUSE_S = 0.2
TOPIC_EXISTS = 36  # Kafka's TOPIC_ALREADY_EXISTS error code


def changelog_name(service: str, table: str) -> str:
    """The changelog topic of a table."""
    return f"rxsim-{service}-{table}-changelog"


class Worker:
    """Reads `reads` in the consumer group `rxsim-<service>` and applies `decide` to every
    event, in batches (see the module's docstring). `first`: topics whose records of a batch
    are decided before the others'."""

    def __init__(
        self,
        service: str,
        settings: Settings,
        reads: Sequence[Topic],
        table: str,
        decide: Decide,
        *,
        first: Iterable[Topic] = (),
    ) -> None:
        self.service = service
        self.settings = settings
        self.reads = tuple(reads)
        self.table = Table(table)
        self.changelog = changelog_name(service, table)
        self.decide = decide
        self.first = tuple(t.name for t in first)
        # Assigned partitions of `reads` -> the next offset to handle. Only the loop and the
        # rebalance callbacks change it, under `_lock`.
        self.positions: dict[Any, int | None] = {}
        self._rewound: dict[Any, int] = {}  # gaps already read again (batch.plan)
        self._held: dict[Any, float] = {}  # partitions paused, until when
        self._lock = asyncio.Lock()  # one batch or one rebalance step at a time
        self._restored = False  # every assigned partition's table state is in memory
        self._stopping = False
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._restorer: Consumer | None = None  # reads changelogs, outside the group
        self._task: asyncio.Task[None] | None = None
        self._timers: list[asyncio.Task[None]] = []
        self._every: list[tuple[float, Callable[[], Awaitable[None]]]] = []

    # -- set-up -------------------------------------------------------------------------

    def every(self, interval: float, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` every `interval` seconds while the worker runs (declare before start)."""
        self._every.append((interval, job))

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so they are made here, not at import.
        kafka, client_id = aiokafka_args(self.settings.bootstrap), f"rxsim-{self.service}"
        self._producer = Producer(
            **kafka,
            client_id=client_id,
            linger_ms=5,
            max_batch_size=256 * 1024,
        )
        await self._producer.start()
        self._restorer = Consumer(
            **kafka,
            client_id=f"{client_id}-restore",
            enable_auto_commit=False,
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        await self._restorer.start()
        await self._ensure_changelog()
        self._consumer = Consumer(
            **kafka,
            client_id=client_id,
            group_id=f"rxsim-{self.service}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            session_timeout_ms=int(GROUP_SESSION_TIMEOUT_S * 1000),
            heartbeat_interval_ms=1000,
            rebalance_timeout_ms=int(GROUP_SESSION_TIMEOUT_S * 1000),
            # Co-partitioning: partition p of every topic read goes to the same member.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        await self._consumer.start()
        self._consumer.subscribe(topics=[t.name for t in self.reads], listener=_Listener(self))
        self._task = asyncio.create_task(self._run())
        self._timers = [asyncio.create_task(repeat(i, job, self.service)) for i, job in self._every]

    async def _ensure_changelog(self) -> None:
        """Create the table's changelog, compacted, with as many partitions as the topics it
        reads (created once; a changelog with fewer partitions could not hold the table)."""
        assert self._restorer is not None
        counts = {
            tp.topic: tp.partition + 1 for tp in await partitions_of(self._restorer, self.reads)
        }
        partitions = max(counts.values(), default=self.settings.partitions)
        admin = AIOKafkaAdminClient(
            **aiokafka_args(self.settings.bootstrap), client_id=f"rxsim-{self.service}-admin"
        )
        await admin.start()
        try:
            topic = NewTopic(
                self.changelog, partitions, 1, topic_configs={"cleanup.policy": "compact"}
            )
            response = await admin.create_topics([topic])
            for name, code, *_ in response.topic_errors:
                if code not in (0, TOPIC_EXISTS):
                    raise RuntimeError(f"cannot create {name}: Kafka error {code}")
        finally:
            await stop_within(admin.close(), "the Kafka admin client")
        found = await _partition_count(self._restorer, self.changelog)
        if found < partitions:
            raise RuntimeError(
                f"{self.changelog} has {found} partitions, the topics it follows {partitions}"
            )

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping:
                assert self._consumer is not None
                records = await self._consumer.getmany(timeout_ms=POLL_MS, max_records=MAX_BATCH)
                self._resume_held()
                if records:
                    async with self._lock:
                        await self._handle(records)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A broker that refuses what was sent, a bug in the loop: nothing past the last
            # commit is lost, so end the process and let its supervisor start it again.
            log.exception("%s: the worker's loop failed; stopping", self.service)
            os.kill(os.getpid(), signal.SIGTERM)
            raise

    async def _handle(self, records: dict[Any, list[Any]]) -> None:
        """One batch, in the order that keeps every event (see the module's docstring)."""
        assert self._producer is not None and self._consumer is not None
        if not self._restored:
            for tp in records:  # cannot be: assignment restores under the lock; read again
                self._consumer.seek(tp, records[tp][0].offset)
            return
        plan = batch.plan(
            self.service,
            records,
            self.table,
            self.positions,
            self.decide,
            first=self.first,
            rewound=self._rewound,
        )
        await self._publish(plan.sends, plan.writes)
        await self._commit(plan.commits)
        for tp, offset in plan.rewinds.items():
            self._consumer.seek(tp, offset)
        for tp, offset in plan.holds.items():
            self._consumer.seek(tp, offset)
            self._consumer.pause(tp)
            self._held[tp] = time.monotonic() + HOLD_PAUSE_S

    async def _publish(
        self, sends: list[Prepared], writes: dict[int, dict[str, bytes | None]]
    ) -> None:
        """Send what was decided and wait until the broker has all of it; then write the
        changed records to the changelog and wait; only then store them in memory."""
        assert self._producer is not None
        sent = [
            await self._producer.send(t, value=v, key=k, headers=STRUCTURED) for t, k, v in sends
        ]
        await asyncio.gather(*sent)
        written = [
            await self._producer.send(self.changelog, key=key.encode(), value=value, partition=n)
            for n, changes in writes.items()
            for key, value in changes.items()
        ]
        await asyncio.gather(*written)
        for number, changes in writes.items():
            self.table.apply(number, changes)

    async def _commit(self, offsets: dict[Any, int]) -> None:
        assert self._consumer is not None
        mine = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in offsets.items() if tp in mine}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as exc:  # the group moved on: the new owner repeats them
            log.warning(
                "%s: commit refused (%s); those events will be handled again", self.service, exc
            )

    def _resume_held(self) -> None:
        if not self._held:
            return
        assert self._consumer is not None
        now, mine = time.monotonic(), self._consumer.assignment()
        for tp, until in list(self._held.items()):
            if until <= now:
                del self._held[tp]
                if tp in mine:
                    self._consumer.resume(tp)

    # -- rebalancing ---------------------------------------------------------------------

    async def revoked(self, partitions: Iterable[Any]) -> None:
        """Partitions taken away: every batch handled is committed already (the lock waits
        for the one under way), so only their state goes."""
        async with self._lock:
            self._restored = False
            for tp in partitions:
                self.positions.pop(tp, None)
                self._rewound.pop(tp, None)
                self._held.pop(tp, None)
            numbers = {tp.partition for tp in self.positions}
            gone = [number for number in self.table.partitions if number not in numbers]
            for number in gone:
                self.table.drop(number)
            if gone:
                self.table.reset()

    async def assigned(self, partitions: Iterable[Any]) -> None:
        """Partitions given: start each where the group committed (else at its beginning),
        and restore the table's partitions before anything is handled. aiokafka only logs
        what fails here, and the worker would wait unready for ever: so a failure ends the
        process, and its supervisor starts it again."""
        assert self._consumer is not None
        names = {t.name for t in self.reads}
        mine = [tp for tp in partitions if tp.topic in names]
        async with self._lock:
            try:
                await self._start_at(mine)
                numbers = {tp.partition for tp in mine} - set(self.table.partitions)
                began = time.monotonic()
                count = await self._restore(sorted(numbers))
                if numbers:
                    self.table.reset()
            except Exception:
                log.exception("%s: could not take its partitions; stopping", self.service)
                os.kill(os.getpid(), signal.SIGTERM)
                raise
            log.info(
                "%s: %s partitions assigned, %s records of %s restored in %.1f s",
                self.service, len(mine), count, self.table.name, time.monotonic() - began,
            )  # fmt: skip
            self._restored = True

    async def _start_at(self, partitions: list[Any]) -> None:
        """Each partition's next offset to handle: the group's committed offset, else the
        partition's beginning (what the consumer reads first then)."""
        assert self._consumer is not None
        committed = {tp: await self._consumer.committed(tp) for tp in partitions}
        unknown = [tp for tp, offset in committed.items() if offset is None]
        starts = await self._consumer.beginning_offsets(unknown) if unknown else {}
        for tp in partitions:
            self.positions[tp] = committed[tp] if committed[tp] is not None else starts[tp]

    async def _restore(self, numbers: list[int]) -> int:
        """Read changelog partitions `numbers` from their beginning to their end into the
        table; the number of records read."""
        assert self._restorer is not None
        tps = [TopicPartition(self.changelog, n) for n in numbers]
        for number in numbers:
            self.table.partitions[number] = {}
        if not tps:
            return 0
        self._restorer.assign(tps)
        await self._restorer.seek_to_beginning(*tps)
        pending, count = set(tps), 0
        while pending:
            got = await self._restorer.getmany(*pending, timeout_ms=POLL_MS)
            for tp, records in got.items():
                apply_changelog(
                    self.table.partition(tp.partition), ((r.key, r.value) for r in records)
                )
                count += len(records)
            pending = {tp for tp in pending if not await read_to_end(self._restorer, tp)}
        self._restorer.unsubscribe()
        return count

    # -- what the service asks ---------------------------------------------------------

    async def decide_here(
        self, partition: int, decide: Callable[[Overlay], list[Prepared] | None]
    ) -> bool:
        """A decision that no event brought (a step that fell due, a request to the HTTP
        API), about state in one partition of the table: `decide` reads and writes through
        the partition's overlay and answers what to send (None: nothing decided). Taken
        between batches and published like one (sent, acked, written, stored), so a crash
        repeats it rather than losing it. False if nothing was decided or this worker does
        not own the partition (any more)."""
        async with self._lock:
            if not self._restored or partition not in self.table.partitions:
                return False
            view = Overlay(self.table.partition(partition))
            sends = decide(view)
            if sends is None:
                return False
            await self._publish(sends, {partition: view.changes} if view.changes else {})
            return True

    async def forget(
        self,
        keys: Iterable[str],
        forget: Callable[[Overlay, list[str]], bool],
        *,
        again: Callable[[str], None],
    ) -> None:
        """Delete `keys` from the table, one decision per partition (a deletion tells no one:
        it is written to the changelog only). `forget` deletes through the partition's overlay
        those of its keys still to go, and says whether it deleted any; the keys of a decision
        that failed are handed to `again`, to be forgotten later."""
        by_partition: dict[int, list[str]] = defaultdict(list)
        for key in keys:
            partition = self.table.locate(key)
            if partition is not None:
                by_partition[partition].append(key)
        for partition, group in by_partition.items():

            def decide(view: Overlay, group: list[str] = group) -> list[Prepared] | None:
                return [] if forget(view, group) else None

            try:
                await self.decide_here(partition, decide)
            except BaseException:  # not stored
                for key in group:
                    again(key)
                raise

    async def send(self, prepared: Prepared) -> None:
        """Hand an event to the producer, without waiting for the broker (a timer's command:
        sent again if it is lost)."""
        assert self._producer is not None
        topic, key, value = prepared
        await self._producer.send(topic, value=value, key=key, headers=STRUCTURED)

    async def deliver(self, topic: str, key: bytes, value: bytes) -> None:
        """Send one event and wait until the broker has it (an API's audit record: the answer
        waits for it)."""
        assert self._producer is not None
        await self._producer.send_and_wait(topic, value=value, key=key, headers=STRUCTURED)

    def behind_on(self, topic: Topic) -> bool:
        """Whether events of `topic` wait on a partition this worker owns that it has not
        handled (a partition not fetched yet counts as waiting)."""
        if self._consumer is None:
            return True
        for tp, position in self.positions.items():
            if tp.topic == topic.name:
                end = self._consumer.highwater(tp)
                if end is None or position is None or end > position:
                    return True
        return False

    def readiness(self) -> health.Readiness:
        """Ready while the loop runs, partitions are assigned, the table restored, and what
        it reads is not far behind (ends as the last fetch answer said, against the next
        offsets to handle). Cheap: no broker round trip."""
        if self._task is None or self._consumer is None:
            return health.STARTING
        stopped, behind = None, {}
        if self._task.done():
            failed = not self._task.cancelled() and self._task.exception() is not None
            stopped = (
                f"consumer stopped: {self._task.exception()!r}" if failed else "consumer stopped"
            )
        else:
            ends = {tp: self._consumer.highwater(tp) for tp in self.positions}
            behind = health.lag_by_topic(ends, self.positions)
        started = self._restored and bool(self.positions)
        readiness = health.decide(stopped, started, sum(behind.values()))
        return replace(readiness, lag=behind)

    async def stop(self) -> None:
        """Let the batch under way end (for STOP_TIMEOUT_S at most), then close the clients
        (each bounded: see kafka_io.stop_within). What was not committed is handled again by
        whoever reads next."""
        self._stopping = True
        for timer in self._timers:
            timer.cancel()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        clients = [c for c in (self._consumer, self._restorer, self._producer) if c is not None]
        await asyncio.gather(*(c.stop() for c in clients))


class _Listener(ConsumerRebalanceListener):
    """aiokafka awaits these around every rebalance."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.worker.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self.worker.assigned(assigned)


async def _partition_count(consumer: Consumer, name: str) -> int:
    """How many partitions a topic has, asking the broker again while it does not know it yet
    (a topic just created)."""
    for _ in range(50):
        found = consumer.partitions_for_topic(name)
        if found:
            return len(found)
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    return 0
