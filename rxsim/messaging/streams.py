"""What a faust-streaming service (the pharmacy; the coordinator runs on rxsim/messaging/worker.py)
needs: the app's configuration, decoding with dead letters, sending events, and running the
worker with its FastAPI side."""

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import faust
from fastapi import FastAPI
from faust.contrib.asgi import serve_asgi
from faust.types import TP
from pydantic import BaseModel

from rxsim.messaging import health, http, kafka_io, stalls
from rxsim.messaging.codec import Undecodable, dead_letter_of, decode
from rxsim.messaging.outgoing import Prepared
from rxsim.messaging.settings import (
    GROUP_SESSION_TIMEOUT_S,
    READY_MAX_LAG,
    STOP_TIMEOUT_S,
    Settings,
)
from schemas import topics
from schemas.envelope import Envelope
from schemas.topics import Topic

log = logging.getLogger(__name__)


def _use_our_clients(max_wait_ms: int) -> None:
    """faust's driver makes its aiokafka clients itself: make it make ours, whose stop ends in
    time (`kafka_io.stop_within`), and cap its consumer's fetch wait (faust writes
    fetch_max_wait_ms=1500 into the call).

    This process runs one faust app and nothing else, so replacing the client classes the
    faust driver instantiates is contained to it.
    """
    from faust.transport.drivers import aiokafka as driver

    if getattr(driver.aiokafka.AIOKafkaConsumer, "rxsim_bounded", False):
        return

    class BoundedWaitConsumer(kafka_io.Consumer):
        rxsim_bounded = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["fetch_max_wait_ms"] = min(kwargs.get("fetch_max_wait_ms", 500), max_wait_ms)
            super().__init__(*args, **kwargs)

    driver.aiokafka.AIOKafkaConsumer = BoundedWaitConsumer
    driver.aiokafka.AIOKafkaProducer = kafka_io.Producer


def make_app(service: str, settings: Settings) -> faust.App:
    """A faust app tuned for a local stack: short group timeouts, raw bytes on the wire (we
    decode envelopes ourselves, so bad messages reach the dead-letter topic, not a crash)."""
    _use_our_clients(settings.fetch_max_wait_ms)
    datadir = Path(tempfile.gettempdir()) / "rxsim" / f"{service}-{os.getpid()}"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        f"rxsim-{service}",
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        # faust keeps bookkeeping files in a data dir; not in the user's working directory.
        datadir=str(datadir),
        topic_partitions=settings.partitions,
        topic_allow_declare=True,
        key_serializer="raw",
        value_serializer="raw",
        broker_session_timeout=GROUP_SESSION_TIMEOUT_S,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=GROUP_SESSION_TIMEOUT_S,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        stream_wait_empty=False,
        web_enabled=True,
        web_host=settings.host,
        web_port=settings.port_of(service),
        # No linger: `deliver` flushes after every decision, and aiokafka's flush waits out a
        # lingering batch instead of sending it at once: with 5 ms, each flush took 6.5 ms on an
        # idle embedded broker (0.65 ms without), which alone held an agent under 150 events/s.
        producer_linger_ms=0,
    )


def inbound(app: faust.App, reads: Iterable[Topic]) -> Any:
    """One faust topic subscribed to several Kafka topics, as raw bytes."""
    return app.topic(
        *(t.name for t in reads),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


async def decode_or_dead_letter(
    app: faust.App, service: str, event: Any
) -> tuple[Envelope, BaseModel] | None:
    """Decode a faust event against its topic's contract; park it in rx.deadletter if it fails."""
    message = event.message
    try:
        return decode(topics.BY_NAME[message.topic], event.value)
    except Undecodable as exc:
        await park(app, service, event, exc.reason)
        return None


async def park(app: faust.App, service: str, event: Any, reason: str) -> None:
    """Dead-letter a message; if even that fails, log it and go on, so one message never stops
    the agent (the whole message is still at its topic, partition and offset)."""
    # faust's Message holds the raw key and value bytes, as they came from the topic.
    message = event.message
    try:
        key, value = dead_letter_of(message, service, reason)
        await app.send(topics.RX_DEADLETTER.name, key=key, value=value)
    except Exception:
        log.exception(
            "could not dead-letter %s[%s]@%s", message.topic, message.partition, message.offset
        )


async def send(app: faust.App, prepared: Prepared) -> None:
    """Hand an event to the producer (`deliver` waits until the broker has it)."""
    topic_name, key, value = prepared
    await app.send(topic_name, key=key, value=value)


async def deliver(app: faust.App, ready: list[Prepared]) -> None:
    """Send events already prepared, and wait until the broker has every one.

    Give them ids derived from their cause (`codec.derived_id`) and store state only after
    this returns: a crash in between then repeats the very same events (consumers see repeats,
    not news) instead of losing them behind a state that says they were sent. Waiting is a
    flush of the producer, the same wait faust itself makes before it commits offsets."""
    for prepared in ready:
        await send(app, prepared)
    if ready:
        await app.producer.flush()


def agent_partitions(app: faust.App) -> list[Any]:
    """The assigned partitions its agents read; not the tables' changelogs, which the worker
    reads only to recover."""
    names = {name for agent in app.agents.values() for name in agent.channel.topics}
    return [tp for tp in app.consumer.assignment() if tp.topic in names]


async def each_in_order(
    app: faust.App,
    stream: Any,
    progress: stalls.Progress,
    handle: Callable[[Any], Awaitable[bool]],
) -> None:
    """Hand `handle` the stream's events, each partition's in offset order with none passed
    over (see rxsim/messaging/stalls.py): an event further on than the next one to handle
    makes the partition be read again from there. `handle` answers False for an event it
    cannot handle yet: its partition is read again from it after a short pause, and nothing
    after it is handled or committed meanwhile. Declare `watch_for_stalls` with the same
    progress at bootstrap."""
    consumer: Any = app.consumer  # faust's own bookkeeping, not in its typed interface
    _limit_commits(consumer, progress)
    async for event in stream.events():
        tp, offset = event.message.tp, event.message.offset
        first_rewind = tp not in progress.rewinding
        admission = progress.admit(tp, offset, consumer._committed_offset.get(tp))
        if isinstance(admission, stalls.Rewind):
            await _read_again(
                app,
                tp,
                admission.offset,
                f"handed {offset} while {admission.offset} is next",
                level=logging.WARNING if first_rewind else logging.DEBUG,
            )
        elif admission == stalls.HANDLE:
            if await handle(event):
                progress.handled(tp, offset)
            else:
                await asyncio.sleep(stalls.HOLD_PAUSE_S)
                await consumer.seek_wait({tp: offset})


def _limit_commits(consumer: Any, progress: stalls.Progress) -> None:
    """Make faust commit no further than `progress` allows (see stalls.py). faust asks
    `_new_offset(tp)` which offset it may commit; this worker's consumer answers through the
    progress from now on (once: an agent started again keeps the first limit)."""
    if getattr(consumer, "rxsim_limited", False):
        return
    wanted = consumer._new_offset
    consumer._new_offset = lambda tp: progress.commit_limit(tp, wanted(tp))
    consumer.rxsim_limited = True


def watch_for_stalls(app: faust.App, progress: stalls.Progress) -> None:
    """Every few seconds, read again a partition faust stopped fetching. A timer: declare it
    before the worker starts."""
    consumer: Any = app.consumer

    @app.timer(interval=stalls.STALL_AFTER_S / 2)
    async def unstick() -> None:
        read = agent_partitions(app)
        if app.rebalancing or not read:
            return
        ends = await consumer.highwaters(*read)
        for tp, offset in progress.stalled(ends, consumer._committed_offset).items():
            waiting = ends[tp] - offset
            why = f"{waiting} events waiting, none handled for {stalls.STALL_AFTER_S:.0f} s"
            await _read_again(app, tp, offset, why)
            resume_fetching(consumer, tp)


def resume_fetching(consumer: Any, tp: Any) -> None:
    """Make faust fetch a partition again, as faust's own TP: its resume_partitions adds what
    it is given to its active partitions unconverted, and a Kafka client's TopicPartition there
    fails its assertion on the next fetch (the worker crashed, and was restarted)."""
    faust_tp = TP(tp.topic, tp.partition)
    consumer._buffered_partitions.discard(faust_tp)
    consumer.resume_partitions({faust_tp})


async def _read_again(
    app: faust.App, tp: Any, offset: int, why: str, *, level: int = logging.WARNING
) -> None:
    """Make faust hand a partition's events again from `offset` (a rewind in `each_in_order`,
    a stall in `watch_for_stalls`), logging why with what faust and its Kafka client say of
    the partition."""
    if log.isEnabledFor(level):  # repeat rewinds log at DEBUG: no state read for a dropped line
        log.log(
            level,
            "%s[%s]: %s (%s); reading again from %s",
            tp.topic,
            tp.partition,
            why,
            _fetch_state(app, tp),
            offset,
        )
    consumer: Any = app.consumer
    await consumer.seek_wait({tp: offset})


def _fetch_state(app: faust.App, tp: Any) -> str:
    """What faust and its Kafka client say of a partition, for the log. Diagnostics only,
    never a reason to stop: faust's own bookkeeping can fail an assertion while it rebalances
    (measured: a pharmacy thousands of events behind crashed on `_get_active_partitions`)."""
    consumer: Any = app.consumer
    said: list[str] = []
    try:
        said += [
            f"active={tp in consumer._get_active_partitions()}",
            f"paused={tp in consumer._paused_partitions}",
            f"buffered={tp in consumer._buffered_partitions}",
        ]
    except Exception as exc:  # AssertionError included
        said.append(f"faust state unknown: {exc!r}")
    try:
        client = consumer._thread._consumer
        state = client._subscription.subscription.assignment.state_value(tp)
        said += [
            f"client paused={state.paused}",
            f"position={state.position if state.has_valid_position else None}",
            f"records held={tp in client._fetcher._records}",
        ]
    except Exception as exc:
        said.append(f"client state unknown: {exc!r}")
    return ", ".join(said)


def is_ready(app: faust.App) -> bool:
    """Partitions assigned and tables recovered (faust ends a rebalance after recovery)."""
    return not app.rebalancing and bool(app.consumer.assignment())


def readiness(app: faust.App) -> health.Readiness:
    """Ready while the consumer and every agent run, partitions are assigned and tables
    recovered, and what the agents read is not far behind. Behind is counted from the offsets
    this worker committed (faust commits what its agents have handled, every second): a
    partition on which it committed nothing yet counts none. Cheap: no broker round trip."""
    stopped = None
    if app.consumer.state not in ("init", "running"):  # crashed, stopping or shut down
        stopped = f"consumer {app.consumer.state}"
    for agent in app.agents.values():
        supervisor = agent.supervisor  # restarts a crashed agent, until it gives up
        if stopped is None and supervisor is not None and supervisor.state == "crashed":
            stopped = f"agent {agent.name} stopped"
    read = agent_partitions(app)
    behind: dict[str, int] = {}
    if stopped is None:
        ends = {tp: app.consumer.highwater(tp) for tp in read}
        behind = health.lag_by_topic(ends, app.monitor.tp_committed_offsets)
    readiness = health.decide(stopped, is_ready(app), sum(behind.values()))
    return replace(readiness, lag=behind)


def add_health(api: FastAPI, app: faust.App) -> None:
    http.add_health(
        api,
        lambda: readiness(app),
        "Ready: tables recovered, partitions assigned, the consumer and agents running and "
        f"no more than {READY_MAX_LAG} events behind.",
    )


def serve(app: faust.App, api: FastAPI, settings: Settings, service: str) -> None:
    serve_asgi(
        app,
        api,
        host=settings.host,
        port=settings.port_of(service),
        timeout_graceful_shutdown=STOP_TIMEOUT_S,  # a request waiting on a gone broker ends
    )


def run_worker(app: faust.App) -> None:
    """Run the faust worker in the foreground until SIGTERM/SIGINT."""
    worker = faust.Worker(app, loglevel="INFO", redirect_stdouts=False)
    worker.execute_from_commandline()
