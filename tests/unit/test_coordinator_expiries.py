"""The coordinator's expiries by due time: the timer finds exactly what a scan of every record
would (`due_for_expiry`), records that went terminal or changed validity drop out, the index
is rebuilt from the table after a restart, and a deadline is sent again only after a pause.
The counts by state (/stats) follow every record stored, and are rebuilt with the index."""

import random
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rxsim.domain.states import TERMINAL
from rxsim.messaging.tables import Table
from schemas.events import State
from services.coordinator import handlers
from services.coordinator.expiries import RESEND_AFTER_S, ExpiryIndex, reminders
from services.coordinator.record import Expiry, PrescriptionRecord
from services.coordinator.store import PrescriptionStore
from tests.support import factories as make
from tests.support.tables import write

S = State
END = make.T0 + make.VALIDITY  # when a record issued at T0 expires
SECOND = timedelta(seconds=1)


def record_in(state: State, code: str) -> PrescriptionRecord:
    """A record in `state` reached through the real handlers, under its own code."""
    return make.record_in(state).model_copy(update={"prescription_id": code})


def stored(table: Table, *records: PrescriptionRecord) -> PrescriptionStore:
    """A store over `table`, with `records` written as batches write them."""
    store = PrescriptionStore(table)
    for record in records:
        write(store, record.prescription_id, record)
    return store


def due_ids(store: PrescriptionStore | ExpiryIndex, now: datetime) -> set[str]:
    return {key for key, _ in store.due(now)}


def test_a_record_is_due_once_its_validity_is_over_and_until_it_expires() -> None:
    record = make.record_in(S.AVAILABLE)
    store = stored(Table("prescriptions"), record)
    code = record.prescription_id

    assert due_ids(store, END - SECOND) == set()
    assert due_ids(store, END) == {code}
    assert due_ids(store, END + SECOND) == {code}  # still due: no deadline has landed yet

    expired = handlers.on_deadline(record, *make.deadline(code), make.context(now=END)).record
    assert expired is not None and expired.state == S.EXPIRED
    write(store, code, expired)
    assert due_ids(store, END + SECOND) == set()


def test_a_record_that_went_terminal_before_its_validity_ended_never_comes_due() -> None:
    ended = [record_in(state, state.value) for state in (S.CANCELLED, S.PICKED_UP, S.DELIVERED)]
    available = record_in(S.AVAILABLE, "available")
    # Each stored first while it could still expire, then once it ended, before END.
    store = stored(
        Table("prescriptions"),
        *[r.model_copy(update={"state": S.ORDERED}) for r in ended],
        available,
    )
    for record in ended:
        assert record.state in TERMINAL
        write(store, record.prescription_id, record)

    assert due_ids(store, END + timedelta(days=1)) == {"available"}


def test_a_held_record_past_its_validity_comes_due_only_when_it_may_expire() -> None:
    dispensed = make.record_in(S.DISPENSED)
    store = stored(Table("prescriptions"), dispensed)
    assert due_ids(store, END + SECOND) == set()  # sold, being handed over: it does not expire

    # Part of an item was sold and the rest is offered again: it may expire again, at once.
    offered = dispensed.model_copy(update={"state": S.AVAILABLE})
    write(store, offered.prescription_id, offered)
    assert due_ids(store, END + 2 * SECOND) == {offered.prescription_id}


def test_a_new_validity_replaces_the_old_deadline() -> None:
    # A code refused once and issued again later: its new record is valid from the new issue.
    first = make.record_in(S.AVAILABLE)
    later = first.model_copy(update={"valid_until": END + timedelta(days=2)})
    store = stored(Table("prescriptions"), first, later)

    assert due_ids(store, END + SECOND) == set()  # the first deadline no longer counts
    assert due_ids(store, END + timedelta(days=2)) == {first.prescription_id}


def test_after_a_restart_the_index_is_rebuilt_from_the_recovered_table() -> None:
    states = (S.AVAILABLE, S.ORDERED, S.ACCEPTED, S.DISPENSED, S.EXPIRED, S.DELIVERED, S.REJECTED)
    records = [record_in(state, state.value) for state in states]
    table = Table("prescriptions")
    before = stored(table, *records)

    # A restarted worker fills its table from the changelog (copies of the bytes), not through
    # `put`, then tells the store, which indexes it.
    again = Table("prescriptions")
    restarted = PrescriptionStore(again)
    again.partition(0).update((key, bytes(value)) for key, value in table.items())
    assert due_ids(restarted, END) == set()
    assert restarted.counts() == {}
    again.reset()

    assert restarted.counts() == before.counts() == {state: 1 for state in states}
    held = {r.prescription_id for r in records if r.state in (S.AVAILABLE, S.ORDERED, S.ACCEPTED)}
    for now in (END - SECOND, END, END + timedelta(days=1)):
        assert due_ids(restarted, now) == due_ids(before, now)
    assert due_ids(restarted, END) == held
    assert restarted.due(END) == before.due(END)  # the same fields, correlation id included


def test_the_counts_by_state_follow_a_record_to_its_end_and_a_code_issued_again() -> None:
    refused = record_in(S.REJECTED, "rx1")
    available = record_in(S.AVAILABLE, "rx2")
    store = stored(Table("prescriptions"), refused, available)
    assert store.counts() == {S.REJECTED: 1, S.AVAILABLE: 1}

    code = available.prescription_id
    expired = handlers.on_deadline(available, *make.deadline(code), make.context(now=END)).record
    assert expired is not None
    write(store, code, expired)
    assert store.counts() == {S.REJECTED: 1, S.EXPIRED: 1}

    # The refused code issued again: the same record, now AVAILABLE.
    again = record_in(S.AVAILABLE, "rx1")
    write(store, "rx1", again)
    assert store.counts() == {S.AVAILABLE: 1, S.EXPIRED: 1}


def test_a_rebuild_forgets_what_the_table_no_longer_holds() -> None:
    available = make.record_in(S.AVAILABLE)
    table = Table("prescriptions")
    store = stored(table, available)
    table.drop(0)  # a partition assigned elsewhere in a rebalance
    table.reset()
    assert due_ids(store, END) == set()
    assert store.counts() == {}


STATES = list(State)


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(STATES), st.integers(-3, 3))))
def test_the_index_finds_what_a_scan_of_every_record_would(
    writes: list[tuple[int, State, int]],
) -> None:
    """Writes of any state and validity to a few records, with ticks in between, each tick
    compared with the scan the timer used to make."""
    index, latest = ExpiryIndex(), {}
    rng = random.Random(len(writes))
    now = END - timedelta(hours=2)
    for key_no, state, hours in writes:
        key = f"rx{key_no}"
        until = None if hours == -3 else END + timedelta(hours=hours)
        latest[key] = Expiry(state, until, f"c{key_no}")
        index.note(key, latest[key])
        if rng.random() < 0.5:
            now += timedelta(hours=rng.choice([0, 1]))
            scan = {k for k, e in latest.items() if handlers.due_for_expiry(e, now)}
            assert due_ids(index, now) == scan
            assert index.counts() == Counter(e.state for e in latest.values())
    rebuilt = ExpiryIndex()
    rebuilt.rebuild(latest.items())
    assert due_ids(rebuilt, now) == due_ids(index, now)
    assert rebuilt.counts() == index.counts()


def test_a_deadline_is_sent_again_only_after_a_pause_and_forgotten_once_not_due() -> None:
    due = [("rx1", Expiry(S.AVAILABLE, END)), ("rx2", Expiry(S.ORDERED, END))]
    sent: dict[str, float] = {}

    assert reminders(due, sent, 100.0) == due
    assert reminders(due, sent, 100.0 + RESEND_AFTER_S - 0.5) == []  # on its way
    assert reminders(due[:1], sent, 100.0 + RESEND_AFTER_S) == due[:1]  # nothing came of it
    assert set(sent) == {"rx1"}  # rx2 expired (or ended): not remembered any more
