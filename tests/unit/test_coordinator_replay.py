"""The coordinator under redelivery of rx.issued and at expiry: a submission refused as a
whole (invalid, subject mismatch, duplicate code) is not refused again when replayed, and a
prescription that expires while a pharmacy holds it is cancelled at that pharmacy."""

from datetime import timedelta

import pytest

from schemas import topics
from schemas.envelope import Envelope
from schemas.events import OrderCancellationRequested, State
from services.coordinator import handlers
from services.coordinator.record import PrescriptionRecord
from tests.support import factories as make

S = State


def replayed(record: PrescriptionRecord | None, event: Envelope) -> list[str]:
    """Handle `event` and then the same event again; what the second time published."""
    first = handlers.on_issued(record, event, make.context())
    assert [out.topic for out in first.out] == [topics.RX_STATUS]  # refused the first time
    stored = first.record if first.record is not None else record
    again = handlers.on_issued(stored, event, make.context())
    return [out.topic.name for out in again.out]


def test_a_replayed_duplicate_code_is_not_refused_again() -> None:
    original = make.record_in(S.AVAILABLE)
    duplicate = make.issued(make.bundle(code=original.prescription_id, seed=99))

    assert replayed(original, duplicate) == []
    assert original.state == S.AVAILABLE


def test_a_replayed_invalid_bundle_is_not_refused_again() -> None:
    assert replayed(None, make.issued(make.without(make.bundle(), "Patient"))) == []


def test_a_replayed_subject_mismatch_is_not_refused_again() -> None:
    event = make.envelope(topics.RX_ISSUED, make.bundle(), subject="01001zzzzzzz-c")

    assert replayed(None, event) == []


def test_a_refused_submission_stays_refused_once_the_code_is_issued_validly() -> None:
    # Given an invalid submission of a code, then a valid one of the same code
    valid = make.issued(make.bundle())
    invalid = make.envelope(
        topics.RX_ISSUED, make.without(make.bundle(), "Patient"), subject=valid.subject
    )
    refusal = handlers.on_issued(None, invalid, make.context()).record
    accepted = handlers.on_issued(refusal, valid, make.context()).record
    assert accepted is not None and accepted.state == S.AVAILABLE
    # When the invalid one is delivered again
    again = handlers.on_issued(accepted, invalid, make.context())
    # Then it is neither refused again nor taken for a duplicate
    assert (again.record, again.out) == (None, [])


@pytest.mark.parametrize("start", [S.ORDERED, S.ACCEPTED])
def test_expiry_of_a_prescription_a_pharmacy_holds_cancels_it_at_that_pharmacy(
    start: State,
) -> None:
    record = make.record_in(start)
    assert record.valid_until is not None and record.pharmacy_id
    late = make.context(now=record.valid_until + timedelta(seconds=1))

    outcome = handlers.on_deadline(record, *make.deadline(record.prescription_id), late)

    assert record.state == S.EXPIRED
    [told] = [out for out in outcome.out if out.topic == topics.PHARMACY_CANCELLATIONS]
    assert isinstance(told.data, OrderCancellationRequested)
    assert (told.key, told.data.pharmacy_id) == (record.pharmacy_id, record.pharmacy_id)
    assert told.data.prescription_id == record.prescription_id
    assert "validity period is over" in told.data.reason
    assert told.correlation_id == record.correlation_id


def test_expiry_of_a_prescription_no_pharmacy_holds_tells_no_pharmacy() -> None:
    record = make.record_in(S.AVAILABLE)
    assert record.valid_until is not None
    late = make.context(now=record.valid_until)

    outcome = handlers.on_deadline(record, *make.deadline(record.prescription_id), late)

    assert [out.topic for out in outcome.out] == [topics.RX_STATUS]
