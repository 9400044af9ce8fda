"""The coordinator forgets finished prescriptions once their validity and retention are over,
so what it holds in a long run grows with what is in flight, not with the run's history; a
replayed issue older than what it keeps is parked instead of becoming a new prescription."""

import random
from dataclasses import replace
from datetime import timedelta
from functools import cache

import pytest

from rxsim.domain.states import TERMINAL
from rxsim.messaging.tables import Overlay, Table
from schemas.events import State
from services.coordinator.issuing import older_than_kept
from services.coordinator.record import PrescriptionRecord
from services.coordinator.store import RECORD, PrescriptionStore, record_key, requests_key
from tests.support import factories as make
from tests.support.tables import write

S = State
KEPT = make.VALIDITY + timedelta(days=1)  # forgotten a day after the validity ends
FORGET_AT = make.T0 + KEPT  # for a record issued at T0
SECOND = timedelta(seconds=1)
FINISHED = sorted(TERMINAL, key=lambda s: s.value)
UNDER_WAY = [S.AVAILABLE, S.ORDERED, S.ACCEPTED, S.DISPENSED]


@cache
def _reached(state: State) -> PrescriptionRecord:
    return make.record_in(state)  # through the real handlers: slow, so once per state


def record_in(state: State, code: str) -> PrescriptionRecord:
    return _reached(state).model_copy(update={"prescription_id": code})


def forget_due(store: PrescriptionStore, now: object) -> list[str]:
    """What the coordinator's timer does: forget what is due, in one decision, as
    `Worker.decide_here` takes it (through the partition's overlay, then stored)."""
    keys = store.forgettable(now)  # type: ignore[arg-type]
    view = Overlay(store.table.partition(0))
    if store.forget(view, keys, now):  # type: ignore[arg-type]
        store.table.apply(0, view.changes)
    return keys


@pytest.mark.parametrize("state", FINISHED)
def test_a_finished_record_is_forgotten_once_its_retention_is_over(state: State) -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table, KEPT)
    write(store, "rx1", record_in(state, "rx1"))

    assert forget_due(store, FORGET_AT - SECOND) == []
    assert table.get(record_key("rx1")) is not None
    assert forget_due(store, FORGET_AT) == [record_key("rx1")]
    assert table.get(record_key("rx1")) is None
    assert table.get(requests_key("rx1")) is None
    assert store.counts() == {}


@pytest.mark.parametrize("state", UNDER_WAY)
def test_a_record_under_way_is_kept_however_old(state: State) -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table, KEPT)
    write(store, "rx1", record_in(state, "rx1"))

    assert forget_due(store, FORGET_AT + timedelta(days=365)) == []
    assert table.get(record_key("rx1")) is not None
    assert store.counts() == {state: 1}


def test_without_a_retention_nothing_is_forgotten() -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table)
    write(store, "rx1", record_in(S.DELIVERED, "rx1"))

    assert forget_due(store, FORGET_AT + timedelta(days=365)) == []
    assert table.get(record_key("rx1")) is not None


def test_a_record_that_finishes_later_is_forgotten_when_it_is_due_then() -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table, KEPT)
    write(store, "rx1", record_in(S.ORDERED, "rx1"))
    assert forget_due(store, FORGET_AT) == []

    write(store, "rx1", record_in(S.DELIVERED, "rx1"))
    assert forget_due(store, FORGET_AT) == [record_key("rx1")]
    assert table.get(record_key("rx1")) is None


def test_a_code_issued_again_since_it_was_handed_out_is_not_forgotten() -> None:
    """A refused submission's code submitted again later: the new record is not due yet."""
    table = Table("prescriptions")
    store = PrescriptionStore(table, KEPT)
    write(store, "rx1", record_in(S.REJECTED, "rx1"))
    keys = store.forgettable(FORGET_AT)
    later = record_in(S.AVAILABLE, "rx1").model_copy(update={"issued_at": make.T0 + KEPT})
    write(store, "rx1", later)

    view = Overlay(table.partition(0))
    assert not store.forget(view, keys, FORGET_AT)
    assert view.changes == {}


def test_a_restored_table_forgets_what_was_due_while_it_was_down() -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table, KEPT)
    write(store, "rx1", record_in(S.DELIVERED, "rx1"))
    write(store, "rx2", record_in(S.AVAILABLE, "rx2"))

    restarted = PrescriptionStore(table, KEPT)
    table.reset()  # the worker, after restoring its partitions

    assert forget_due(restarted, FORGET_AT) == [record_key("rx1")]
    assert sorted(k for k, _ in table.items()) == [requests_key("rx2"), record_key("rx2")]


def test_what_is_held_grows_with_what_is_in_flight_not_with_the_history() -> None:
    """Prescriptions issued one simulated hour apart, each finished after a day: after a
    third of a year of them, the table holds about as many as after a month (the retention
    plus what is in flight), not four times as many."""
    table = Table("prescriptions")
    store = PrescriptionStore(table, KEPT)
    rng = random.Random(1)
    held_after: dict[int, int] = {}
    for hour in range(24 * 120):
        now = make.T0 + timedelta(hours=hour)
        code = f"rx{hour}"
        write(store, code, record_in(S.AVAILABLE, code).model_copy(update={"issued_at": now}))
        finished = f"rx{hour - 24}"
        if hour >= 24:
            state = rng.choice(FINISHED)
            issued = now - timedelta(hours=24)
            write(
                store, finished, record_in(state, finished).model_copy(update={"issued_at": issued})
            )
        forget_due(store, now)
        held_after[hour] = sum(1 for key, _ in table.items() if key.startswith(RECORD))

    month, later = held_after[24 * 30], held_after[24 * 120 - 1]
    assert later <= month * 1.05
    assert sum(store.counts().values()) == later


def test_an_issue_older_than_what_is_kept_is_a_replay_of_a_forgotten_prescription() -> None:
    ctx = replace(make.context(now=FORGET_AT), kept_after_validity=KEPT - make.VALIDITY)

    assert older_than_kept(make.issued(make.bundle(), time=make.T0), ctx)
    assert not older_than_kept(make.issued(make.bundle(), time=make.T0 + SECOND), ctx)
