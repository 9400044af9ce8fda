"""The batched worker's plain parts (rxsim/messaging/batch.py, tables.py): what a batch decides
against (its overlay), what it sends, writes and commits, when a partition is held or read
again, and how a table partition is restored from its changelog. No broker here."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from pydantic import BaseModel

from rxsim import fhir
from rxsim.messaging.batch import HOLD, Hold, in_order, plan
from rxsim.messaging.codec import (
    MAX_MESSAGE_BYTES,
    STRUCTURED,
    MessageTooLarge,
    encode,
    new_event,
)
from rxsim.messaging.outgoing import Prepared
from rxsim.messaging.settings import Settings
from rxsim.messaging.tables import Overlay, Table, apply_changelog
from rxsim.messaging.worker import Worker
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import DeadlineReached
from schemas.topics import Topic

CANCEL, DEADLINES = topics.RX_CANCEL, topics.COORDINATOR_DEADLINES
STRUCTURED_HEADERS = tuple(STRUCTURED)


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = STRUCTURED_HEADERS


def cancel(rx: str, partition: int, offset: int, event_id: str | None = None) -> Rec:
    data = fhir.cancellation(rx, "test")
    event = new_event(CANCEL, source="t", subject=rx, data=data, event_id=event_id)
    return Rec(CANCEL.name, partition, offset, rx.encode(), encode(event))


def deadline(rx: str, partition: int, offset: int) -> Rec:
    data = DeadlineReached(prescription_id=rx, due_at=datetime.now(UTC))
    event = new_event(DEADLINES, source="t", subject=rx, data=data)
    return Rec(DEADLINES.name, partition, offset, rx.encode(), encode(event))


def counting(seen: list[tuple[str, int]] | None = None) -> Any:
    """A decision that counts the events about each prescription in its record, and sends one
    event saying the count."""

    def decide(
        topic: Topic, record: Any, envelope: Envelope, data: BaseModel, view: Overlay
    ) -> list[Prepared] | Hold:
        if seen is not None:
            seen.append((record.topic, record.offset))
        before = view.get(envelope.subject)
        count = (orjson.loads(before)["n"] if before else 0) + 1
        view.put(envelope.subject, orjson.dumps({"n": count}))
        return [("out", envelope.subject.encode(), str(count).encode())]

    return decide


def tp(topic: Topic, partition: int) -> TopicPartition:
    return TopicPartition(topic.name, partition)


def test_events_of_a_batch_see_what_the_batch_wrote_before_them() -> None:
    table = Table("t")
    table.apply(0, {"rx-1": orjson.dumps({"n": 5})})
    positions: dict[Any, int | None] = {tp(CANCEL, 0): 10}
    batch = {tp(CANCEL, 0): [cancel("rx-1", 0, 10), cancel("rx-1", 0, 11), cancel("rx-2", 0, 12)]}
    done = plan("coordinator", batch, table, positions, counting())
    assert [value for _, _, value in done.sends] == [b"6", b"7", b"1"]
    assert done.writes == {0: {"rx-1": b'{"n":7}', "rx-2": b'{"n":1}'}}
    assert table.partition(0) == {"rx-1": b'{"n":5}'}  # nothing stored before the worker sends
    assert done.commits == {tp(CANCEL, 0): 13} and positions[tp(CANCEL, 0)] == 13
    assert done.handled == 3


def test_partitions_share_nothing_but_topics_of_one_partition_number_share_its_table() -> None:
    table = Table("t")
    positions: dict[Any, int | None] = {tp(CANCEL, 0): 0, tp(CANCEL, 1): 0, tp(DEADLINES, 0): 0}
    batch = {
        tp(CANCEL, 0): [cancel("rx-1", 0, 0)],
        tp(CANCEL, 1): [cancel("rx-1", 1, 0)],  # not co-partitioned: another state
        tp(DEADLINES, 0): [deadline("rx-1", 0, 0)],
    }
    done = plan("coordinator", batch, table, positions, counting())
    assert done.writes == {0: {"rx-1": b'{"n":2}'}, 1: {"rx-1": b'{"n":1}'}}


def test_the_first_topics_of_a_batch_are_decided_before_the_others() -> None:
    batch: dict[Any, list[Any]] = {tp(DEADLINES, 0): [], tp(CANCEL, 1): [], tp(CANCEL, 0): []}
    assert [t for t, _ in in_order(batch, first=[CANCEL.name])] == [
        tp(CANCEL, 0), tp(CANCEL, 1), tp(DEADLINES, 0),
    ]  # fmt: skip
    seen: list[tuple[str, int]] = []
    positions: dict[Any, int | None] = {tp(CANCEL, 0): 0, tp(DEADLINES, 0): 0}
    both = {tp(DEADLINES, 0): [deadline("rx-1", 0, 0)], tp(CANCEL, 0): [cancel("rx-1", 0, 0)]}
    plan("coordinator", both, Table("t"), positions, counting(seen), first=[CANCEL.name])
    assert seen == [(CANCEL.name, 0), (DEADLINES.name, 0)]


def test_a_held_event_stops_its_partition_there_and_commits_no_further() -> None:
    def hold_rx_2(topic: Topic, record: Any, envelope: Envelope, data: Any, view: Overlay) -> Any:
        return (
            HOLD if envelope.subject == "rx-2" else counting()(topic, record, envelope, data, view)
        )

    positions: dict[Any, int | None] = {tp(CANCEL, 0): 0, tp(CANCEL, 1): 0}
    batch = {
        tp(CANCEL, 0): [cancel("rx-1", 0, 0), cancel("rx-2", 0, 1), cancel("rx-1", 0, 2)],
        tp(CANCEL, 1): [cancel("rx-3", 1, 0)],
    }
    done = plan("coordinator", batch, Table("t"), positions, hold_rx_2)
    assert done.holds == {tp(CANCEL, 0): 1}
    assert done.commits == {tp(CANCEL, 0): 1, tp(CANCEL, 1): 1}
    assert done.writes == {0: {"rx-1": b'{"n":1}'}, 1: {"rx-3": b'{"n":1}'}}
    # Read again from the held event: what was handled before it is passed over.
    again = {tp(CANCEL, 0): [cancel("rx-1", 0, 0), cancel("rx-2", 0, 1)]}
    table = Table("t")
    done = plan("coordinator", again, table, positions, counting())
    assert done.commits == {tp(CANCEL, 0): 2} and done.handled == 1


def test_undecodable_failing_and_too_large_events_are_parked_and_change_nothing() -> None:
    def fails(topic: Topic, record: Any, envelope: Envelope, data: Any, view: Overlay) -> Any:
        view.put(envelope.subject, b"half-done")
        if envelope.subject == "rx-big":
            raise MessageTooLarge(MAX_MESSAGE_BYTES + 1)
        raise ValueError("a bug")

    positions: dict[Any, int | None] = {tp(CANCEL, 0): 0}
    bad = Rec(CANCEL.name, 0, 0, b"rx-0", b"not json")
    batch = {tp(CANCEL, 0): [bad, cancel("rx-1", 0, 1), cancel("rx-big", 0, 2)]}
    done = plan("coordinator", batch, Table("t"), positions, fails)
    assert [t for t, _, _ in done.sends] == [topics.RX_DEADLETTER.name] * 3
    reasons = [orjson.loads(value)["data"]["reason"] for _, _, value in done.sends]
    assert reasons[0].startswith("not JSON")
    assert reasons[1] == "handler error: ValueError('a bug')"
    assert reasons[2].startswith("outcome too large")
    assert done.writes == {} and done.commits == {tp(CANCEL, 0): 3}


def test_a_gap_is_read_again_once_then_taken_as_real_and_repeats_are_passed_over() -> None:
    positions: dict[Any, int | None] = {tp(CANCEL, 0): 5}
    rewound: dict[Any, int] = {}
    batch = {tp(CANCEL, 0): [cancel("rx-1", 0, 7)]}
    done = plan("coordinator", batch, Table("t"), positions, counting(), rewound=rewound)
    assert done.rewinds == {tp(CANCEL, 0): 5} and done.sends == [] and positions[tp(CANCEL, 0)] == 5
    done = plan("coordinator", batch, Table("t"), positions, counting(), rewound=rewound)
    assert done.rewinds == {} and done.commits == {tp(CANCEL, 0): 8} and rewound == {}
    repeat = {tp(CANCEL, 0): [cancel("rx-1", 0, 6), cancel("rx-1", 0, 7)]}
    done = plan("coordinator", repeat, Table("t"), positions, counting())
    assert done.handled == 0 and done.sends == []


def test_a_partition_no_longer_assigned_is_left_to_its_new_owner() -> None:
    batch = {tp(CANCEL, 3): [cancel("rx-1", 3, 0)]}
    done = plan("coordinator", batch, Table("t"), {}, counting())
    assert done.sends == [] and done.commits == {} and done.writes == {}


def test_a_partition_that_started_nowhere_takes_its_first_record() -> None:
    positions: dict[Any, int | None] = {tp(CANCEL, 0): None}
    done = plan(
        "coordinator", {tp(CANCEL, 0): [cancel("rx-1", 0, 42)]}, Table("t"), positions, counting()
    )
    assert done.commits == {tp(CANCEL, 0): 43}


def test_an_overlay_child_is_kept_only_when_absorbed() -> None:
    base = {"a": b"1"}
    overlay = Overlay(base)
    child = overlay.child()
    child.put("a", b"2")
    child.put("b", None)
    assert child.get("a") == b"2" and overlay.get("a") == b"1"
    overlay.absorb(child)
    assert overlay.get("a") == b"2" and overlay.changes == {"a": b"2", "b": None}
    assert base == {"a": b"1"}


def test_a_table_partition_is_restored_from_its_changelog_last_value_wins() -> None:
    values: dict[str, bytes] = {}
    apply_changelog(
        values,
        [(b"rx-1", b"v1"), (b"rx-2", b"v1"), (b"rx-1", b"v2"), (b"rx-2", None), (None, b"x")],
    )
    assert values == {"rx-1": b"v2"}


def test_a_table_finds_a_key_in_any_partition_and_forgets_a_dropped_one() -> None:
    table = Table("t")
    table.apply(0, {"rx-1": b"a"})
    table.apply(2, {"rx-2": b"b", "rx-3": b"c"})
    table.apply(2, {"rx-3": None})
    assert table.get("rx-2") == b"b" and table.get("rx-3") is None
    assert sorted(table.items()) == [("rx-1", b"a"), ("rx-2", b"b")]
    table.drop(2)
    assert table.get("rx-2") is None and list(table.items()) == [("rx-1", b"a")]


def test_a_table_tells_its_watchers_each_value_stored_and_when_partitions_came_or_went() -> None:
    seen: list[Any] = []

    class Watcher:
        def stored(self, partition: int, key: str, value: bytes | None) -> None:
            seen.append((partition, key, value))

        def reset(self, table: Table) -> None:
            seen.append(sorted(table.items()))

    table = Table("t")
    table.watch(Watcher())
    table.apply(0, {"rx-1": b"a", "rx-2": None})
    table.apply(1, {"rx-3": b"c"})
    table.drop(1)
    table.reset()
    assert seen == [(0, "rx-1", b"a"), (0, "rx-2", None), (1, "rx-3", b"c"), [("rx-1", b"a")]]
    assert table.locate("rx-1") == 0 and table.locate("rx-3") is None


class Clients:
    """A producer and a consumer that write down what the worker asks of them, in order."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.log: list[str] = []
        self.fail_on = fail_on

    async def send(
        self, topic: str, value: bytes, key: bytes, partition: int | None = None, headers: Any = ()
    ) -> Any:
        self.log.append(f"send {topic}")

        async def ack() -> None:
            if topic == self.fail_on:
                raise RuntimeError("broker refused")
            self.log.append(f"ack {topic}")

        return ack()

    def assignment(self) -> set[Any]:
        return {tp(CANCEL, 0)}

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.log.append(f"commit {sorted(offsets.values())}")

    def seek(self, partition: Any, offset: int) -> None:
        self.log.append(f"seek {offset}")

    def pause(self, partition: Any) -> None:
        self.log.append("pause")


def worker_with(clients: Clients) -> Any:
    worker = Worker("coordinator", Settings(), [CANCEL], "t", counting())
    worker._producer = clients  # type: ignore[assignment]
    worker._consumer = clients  # type: ignore[assignment]
    worker._restored = True
    worker.positions = {tp(CANCEL, 0): 0}
    return worker


async def test_a_batch_is_committed_only_once_its_events_and_then_its_changelog_are_acked() -> None:
    clients = Clients()
    worker = worker_with(clients)
    await worker._handle({tp(CANCEL, 0): [cancel("rx-1", 0, 0), cancel("rx-2", 0, 1)]})
    changelog = "rxsim-coordinator-t-changelog"
    assert clients.log == [
        "send out", "send out", "ack out", "ack out",
        f"send {changelog}", f"send {changelog}", f"ack {changelog}", f"ack {changelog}",
        "commit [2]",
    ]  # fmt: skip
    assert worker.table.partition(0) == {"rx-1": b'{"n":1}', "rx-2": b'{"n":1}'}


async def test_a_batch_whose_events_the_broker_refused_stores_and_commits_nothing() -> None:
    for refused in ("out", "rxsim-coordinator-t-changelog"):
        clients = Clients(fail_on=refused)
        worker = worker_with(clients)
        with pytest.raises(RuntimeError):
            await worker._handle({tp(CANCEL, 0): [cancel("rx-1", 0, 0)]})
        assert not any(line.startswith("commit") for line in clients.log)
        assert worker.table.partition(0) == {}


async def test_forgetting_deletes_by_partition_through_the_changelog_or_hands_keys_back() -> None:
    def forget_all(view: Overlay, keys: list[str]) -> bool:
        for key in keys:
            view.put(key, None)
        return bool(keys)

    clients = Clients()
    worker = worker_with(clients)
    worker.table.apply(0, {"rx-1": b"a", "rx-2": b"b"})
    worker.table.apply(1, {"rx-3": b"c"})
    again: list[str] = []
    await worker.forget(["rx-1", "rx-3", "gone"], forget_all, again=again.append)
    changelog = "rxsim-coordinator-t-changelog"
    assert clients.log.count(f"ack {changelog}") == 2  # one decision per partition
    assert (worker.table.partition(0), worker.table.partition(1), again) == ({"rx-2": b"b"}, {}, [])

    refusing = worker_with(Clients(fail_on=changelog))
    refusing.table.apply(0, {"rx-1": b"a"})
    with pytest.raises(RuntimeError):
        await refusing.forget(["rx-1"], forget_all, again=again.append)
    assert again == ["rx-1"] and refusing.table.partition(0) == {"rx-1": b"a"}
