"""The coordinator's store hands the next event the record it stored last instead of validating
its JSON again, and that changes nothing the coordinator decides: a record a handler changed
but did not store, a table rebuilt after a restart, or bytes written behind the store's back
are read from the table again."""

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rxsim.domain.reference.country import DRUGS
from rxsim.messaging.tables import Overlay, Table
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import Fulfilment, State
from services.coordinator import handlers
from services.coordinator.record import PrescriptionRecord
from services.coordinator.store import (
    PrescriptionStore,
    encode_requests,
    record_key,
    requests_key,
)
from tests.support import factories as make
from tests.support.tables import write

END = make.T0 + make.VALIDITY


def validated(table: Table, key: str) -> PrescriptionRecord:
    """The record as a coordinator that has just restored `table` reads it: from its JSON."""
    record = PrescriptionStore(Table("read-again")).get(key, view=table)
    assert record is not None
    return record


def stored_in(state: State) -> tuple[Table, PrescriptionStore, PrescriptionRecord]:
    """A store over its table, holding one record in `state`, written as a batch writes it."""
    table = Table("prescriptions")
    store = PrescriptionStore(table)
    record = make.record_in(state)
    write(store, record.prescription_id, record)
    return table, store, record


def no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> PrescriptionRecord:
        raise AssertionError("validated the stored JSON again")

    monkeypatch.setattr(PrescriptionRecord, "model_validate_json", refuse)


def test_the_record_stored_last_is_handed_to_the_next_event_without_validating_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table)
    record = make.record_in(State.ORDERED)
    code = record.prescription_id
    write(store, code, record)
    expected = validated(table, code)

    no_validation(monkeypatch)
    assert store.get(code) == expected


def test_a_record_changed_but_not_stored_is_read_again_from_the_table() -> None:
    table, store, record = stored_in(State.AVAILABLE)
    code = record.prescription_id

    taken = store.get(code)  # a handler changes it, then decides to store nothing
    assert taken is not None
    taken.state, taken.cancelled = State.CANCELLED, "changed in memory only"

    again = store.get(code)
    assert again is not taken
    assert again == validated(table, code)
    assert again is not None and again.state == State.AVAILABLE


def test_bytes_written_behind_the_store_or_recovered_after_a_restart_are_validated() -> None:
    table, store, record = stored_in(State.AVAILABLE)
    code = record.prescription_id

    accepted = make.record_in(State.ACCEPTED)
    restored = table.partition(0)  # e.g. restored from the changelog
    restored[record_key(code)] = store.encode(accepted)
    restored[requests_key(code)] = encode_requests(accepted) or b"[]"
    assert store.get(code) == accepted

    again = Table("prescriptions")
    again.partition(0).update(table.items())
    restarted = PrescriptionStore(again)
    assert restarted.get(code) == accepted


def test_terminal_records_are_not_kept_in_memory() -> None:
    table = Table("prescriptions")
    store = PrescriptionStore(table)
    delivered = make.record_in(State.DELIVERED, fulfilment=Fulfilment.DELIVERY)
    write(store, delivered.prescription_id, delivered)
    assert len(store._decoded) == 0
    assert store.get(delivered.prescription_id) == delivered


def test_the_medication_requests_are_written_at_the_issue_not_with_every_change_of_state() -> None:
    """A record's MedicationRequests (most of its bytes) go to the changelog once; each later
    change of state writes the record alone, and a restarted coordinator reads both back."""
    table = Table("prescriptions")
    store = PrescriptionStore(table)
    issued = make.record_in(State.AVAILABLE)
    code = issued.prescription_id
    assert issued.medication_requests

    first = Overlay(table)
    store.put(code, issued, first)
    table.apply(0, first.changes)
    assert set(first.changes) == {record_key(code), requests_key(code)}

    later = store.get(code)
    assert later is not None
    later.state = State.ORDERED
    second = Overlay(table)
    store.put(code, later, second)
    assert set(second.changes) == {record_key(code)}
    whole = len(later.model_dump_json())
    assert len(second.changes[record_key(code)] or b"") < whole / 2
    table.apply(0, second.changes)

    assert validated(table, code) == later


def test_a_new_submission_of_a_code_replaces_the_medication_requests_of_the_one_before() -> None:
    table, store, record = stored_in(State.REJECTED)
    code = record.prescription_id
    again = record.model_copy(update={"medication_requests": [], "state": State.AVAILABLE})
    write(store, code, again)
    assert table.get(requests_key(code)) is None
    assert validated(table, code).medication_requests == []


# Any story of events about one prescription: each step (topic, envelope, data, when).
Step = tuple[topics.Topic, Envelope, Any, datetime]
STEPS = st.one_of(
    st.tuples(
        st.just("choice"),
        st.sampled_from([make.PHARMACY_A, make.PHARMACY_B]),
        st.sampled_from(list(Fulfilment)),
    ),
    st.tuples(
        st.just("pharmacy"),
        st.sampled_from(
            [
                "accepted",
                "declined",
                "dispensed",
                "out_for_delivery",
                "delivery_failed",
                "delivered",
                "picked_up",
                "returned",
            ]
        ),
        st.sampled_from([make.PHARMACY_A, make.PHARMACY_B]),
        st.sampled_from([None, 1.0]),  # all that is left, or one unit of the first drug
    ),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("deadline"), st.booleans()),
    st.tuples(st.just("repeat")),
)


def step_of(spec: tuple[Any, ...], code: str, drug: str, last: Step) -> Step:
    if spec[0] == "choice":
        event, data = make.choice(code, pharmacy_id=spec[1], fulfilment=spec[2])
        return topics.CITIZEN_CHOICES, event, data, make.T0
    if spec[0] == "pharmacy":
        sold = {drug: spec[3]} if spec[3] else None
        event, data = make.pharmacy_update(code, spec[1], pharmacy_id=spec[2], sold=sold)
        return topics.PHARMACY_EVENTS, event, data, make.T0
    if spec[0] == "cancel":
        return topics.RX_CANCEL, *make.cancel(code), make.T0
    if spec[0] == "deadline":  # early (changes nothing) or once the validity is over
        return topics.COORDINATOR_DEADLINES, *make.deadline(code), END if spec[1] else make.T0
    return last  # the same event again


# Where a story starts: a new submission, or a record some way along (by the real handlers).
PARTLY_SOLD = "part of an item sold, being handed over"
STARTS = st.sampled_from(
    [
        None,
        PARTLY_SOLD,
        State.AVAILABLE,
        State.ORDERED,
        State.ACCEPTED,
        State.DISPENSED,
        State.OUT_FOR_DELIVERY,
        State.DELIVERY_FAILED,
    ]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STARTS, st.sampled_from(list(Fulfilment)), st.lists(STEPS, max_size=10))
def test_handing_out_the_kept_record_decides_what_validating_the_stored_json_does(
    start: State | str | None, fulfilment: Fulfilment, specs: list[tuple[Any, ...]]
) -> None:
    """The same story told to the store and to a table read back by validation every time:
    the same records stored, the same events sent, the same notes (or the same error)."""
    kept_table = Table("prescriptions")
    kept = PrescriptionStore(kept_table)
    plain: dict[str, bytes] = {}
    issued: Step = (topics.RX_ISSUED, make.issued(make.bundle()), None, make.T0)
    code, drug = issued[1].subject, DRUGS[0].registration_number
    steps, last = [issued], issued
    if start is not None:
        record = _record_from(start, fulfilment, drug)
        write(kept, code, record)
        plain[code] = record.model_dump_json().encode()
        steps = []
    for spec in specs:
        last = step_of(spec, code, drug, last)
        steps.append(last)
    for number, (topic, event, data, now) in enumerate(steps):
        ctx = make.context(now=now)
        results = []
        for get, table in ((kept.get, kept_table), (lambda k: _validated_or_none(plain, k), plain)):
            try:
                outcome = handlers.handle(topic.name, get(code), event, data, ctx)
            except Exception as exc:  # the agent parks the event and stores nothing
                results.append((None, [], repr(exc)))
                continue
            said = [(o.topic.name, o.key, o.data.model_dump(mode="json")) for o in outcome.out]
            encoded = None
            if outcome.record is not None:
                encoded = outcome.record.model_dump_json().encode()
                if table is kept_table:
                    write(kept, code, outcome.record)
                else:
                    plain[code] = encoded
            results.append((encoded, said, outcome.note))
        assert results[0] == results[1], f"step {number}: {topic.name}"


def _record_from(start: State | str, fulfilment: Fulfilment, drug: str) -> PrescriptionRecord:
    if start == PARTLY_SOLD:
        accepted = make.record_in(State.ACCEPTED, fulfilment=fulfilment)
        code = accepted.prescription_id
        sold = make.pharmacy_update(code, "dispensed", sold={drug: 1.0})
        record = handlers.on_pharmacy(accepted, *sold, make.context()).record
        assert record is not None and record.remaining()
        return record
    assert isinstance(start, State)
    delivering = start in (State.OUT_FOR_DELIVERY, State.DELIVERY_FAILED)
    return make.record_in(start, fulfilment=Fulfilment.DELIVERY if delivering else fulfilment)


def _validated_or_none(table: dict[str, bytes], key: str) -> PrescriptionRecord | None:
    return PrescriptionRecord.model_validate_json(table[key]) if key in table else None
