"""Pending cancellation (a pharmacy holds the prescription) and partial sales per item: the
prescription waits for the pharmacy, and cumulative sales never exceed what was prescribed."""

import pytest

from schemas import topics
from schemas.events import Fulfilment, OrderCancellationRequested, State
from services.coordinator import handlers
from services.coordinator.record import PrescriptionRecord
from tests.support import factories as make

from .test_coordinator_handlers import status_of

S = State


@pytest.mark.parametrize("start", [S.ORDERED, S.ACCEPTED])
def test_cancelling_what_a_pharmacy_holds_waits_for_the_pharmacy(start: State) -> None:
    # Given a prescription a pharmacy holds
    record = make.record_in(start, fulfilment=Fulfilment.DELIVERY)
    pharmacy = record.pharmacy_id
    # When the prescriber cancels it
    outcome = handlers.on_cancel(record, *make.cancel(record.prescription_id), make.context())
    # Then it is pending cancellation and the pharmacy is asked to return it
    assert record.state == S.PENDING_CANCELLATION
    status, ask = outcome.out
    assert status_of(status).state == S.PENDING_CANCELLATION
    assert ask.topic == topics.PHARMACY_CANCELLATIONS
    assert ask.key == pharmacy
    assert isinstance(ask.data, OrderCancellationRequested)
    assert ask.data.prescription_id == record.prescription_id


@pytest.mark.parametrize("kind", ["returned", "declined"])
def test_the_pharmacy_returning_it_completes_the_cancellation(kind: str) -> None:
    record = make.record_in(S.ACCEPTED, fulfilment=Fulfilment.DELIVERY)
    handlers.on_cancel(record, *make.cancel(record.prescription_id), make.context())

    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, kind), make.context()
    )

    assert record.state == S.CANCELLED
    [status] = outcome.out
    assert status_of(status).reason_code == "CANCELLED_BY_PRESCRIBER"


def test_a_pharmacy_that_had_already_dispensed_keeps_the_sale() -> None:
    record = make.record_in(S.ACCEPTED, fulfilment=Fulfilment.DELIVERY)
    handlers.on_cancel(record, *make.cancel(record.prescription_id), make.context())

    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "dispensed"), make.context()
    )

    assert record.state == S.DISPENSED
    assert status_of(outcome.out[0]).reason_code == "CANCELLATION_TOO_LATE"


def test_cancelling_after_dispensing_is_refused_and_the_prescriber_told() -> None:
    record = make.record_in(S.DISPENSED, fulfilment=Fulfilment.PICKUP)
    event, request = make.cancel(record.prescription_id)
    outcome = handlers.on_cancel(record, event, request, make.context())
    assert record.state == S.DISPENSED
    [answer] = outcome.out
    refused = status_of(answer).refused
    assert refused is not None
    assert (refused.request, refused.event_id, refused.reason_code) == (
        "cancel",
        event.id,
        "CANCEL_TOO_LATE",
    )
    assert status_of(answer).state == S.DISPENSED
    assert answer.correlation_id == record.correlation_id


def _partly_sold(fulfilment: Fulfilment) -> tuple[PrescriptionRecord, str, float]:
    record = make.record_in(S.ACCEPTED, fulfilment=fulfilment)
    item = record.items[0]
    half = item.quantity / 2
    outcome = handlers.on_pharmacy(
        record,
        *make.pharmacy_update(record.prescription_id, "dispensed", sold={item.drug_code: half}),
        make.context(),
    )
    assert outcome.record is record
    return record, item.drug_code, half


def test_a_partial_sale_collected_makes_the_rest_available_again() -> None:
    # Given half of the first item sold for pickup
    record, code, half = _partly_sold(Fulfilment.PICKUP)
    assert record.state == S.DISPENSED
    # When the citizen collects it
    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "picked_up"), make.context()
    )
    # Then the rest is available again, to buy anywhere, with what is left
    assert record.state == S.AVAILABLE
    status, inbox = outcome.out
    assert status_of(status).reason_code == "PARTIALLY_DISPENSED"
    assert inbox.topic == topics.CITIZEN_INBOX
    left = {item.drug_code: item.quantity for item in inbox.data.items}  # type: ignore[attr-defined]
    assert left[code] == half
    assert record.pharmacy_id is None


def test_the_last_part_delivered_ends_the_prescription() -> None:
    record = make.record_in(S.ACCEPTED, fulfilment=Fulfilment.PICKUP)
    sold = {item.drug_code: item.quantity for item in record.items}
    ctx = make.context()
    handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "dispensed", sold=sold), ctx
    )
    handlers.on_pharmacy(record, *make.pharmacy_update(record.prescription_id, "picked_up"), ctx)
    assert record.state == S.PICKED_UP
    assert record.remaining() == []


def test_selling_more_than_prescribed_is_refused() -> None:
    record, code, half = _partly_sold(Fulfilment.PICKUP)
    record.state = S.ACCEPTED  # as if another pharmacy sold again
    before = record.model_copy(deep=True)

    outcome = handlers.on_pharmacy(
        record,
        *make.pharmacy_update(record.prescription_id, "dispensed", sold={code: half + 1}),
        make.context(),
    )

    assert outcome.record is None
    assert outcome.note and "exceed the prescribed" in outcome.note
    assert record == before


def test_selling_a_drug_not_prescribed_is_refused() -> None:
    record = make.record_in(S.ACCEPTED, fulfilment=Fulfilment.PICKUP)
    outcome = handlers.on_pharmacy(
        record,
        *make.pharmacy_update(record.prescription_id, "dispensed", sold={"VD-00000-00": 1}),
        make.context(),
    )
    assert outcome.record is None
    assert outcome.note and "does not prescribe" in outcome.note


def test_the_order_for_the_rest_asks_only_for_what_is_left() -> None:
    # Given half of the first item sold and collected
    record, code, half = _partly_sold(Fulfilment.PICKUP)
    ctx = make.context()
    handlers.on_pharmacy(record, *make.pharmacy_update(record.prescription_id, "picked_up"), ctx)
    # When the citizen chooses a pharmacy for the rest
    outcome = handlers.on_choice(record, *make.choice(record.prescription_id), ctx)
    # Then the order names only what is still to buy
    order = next(out.data for out in outcome.out if out.topic == topics.PHARMACY_ORDERS)
    wanted = {item.drug_code: item.quantity for item in order.items}  # type: ignore[attr-defined]
    assert wanted[code] == half
    assert all(item.drug_code in wanted for item in record.remaining())
    assert len(wanted) == len(record.remaining())


def test_a_pickup_reported_before_the_sale_changes_nothing() -> None:
    # Given a partly sold prescription offered again and accepted by a pharmacy
    record, _, _ = _partly_sold(Fulfilment.PICKUP)
    ctx = make.context()
    handlers.on_pharmacy(record, *make.pharmacy_update(record.prescription_id, "picked_up"), ctx)
    handlers.on_choice(
        record, *make.choice(record.prescription_id, fulfilment=Fulfilment.PICKUP), ctx
    )
    handlers.on_pharmacy(record, *make.pharmacy_update(record.prescription_id, "accepted"), ctx)
    assert record.state == S.ACCEPTED
    # When a pickup is reported before anything of this order was dispensed
    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "picked_up"), ctx
    )
    # Then it is stale
    assert outcome.record is None
    assert record.state == S.ACCEPTED


def test_a_cancelled_remainder_is_not_offered_again_after_delivery() -> None:
    # Given half of the first item sold and on its way to the citizen
    record, _, _ = _partly_sold(Fulfilment.DELIVERY)
    ctx = make.context()
    handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "out_for_delivery"), ctx
    )
    # When the prescriber cancels it while it is out for delivery, and the parcel arrives
    handlers.on_cancel(record, *make.cancel(record.prescription_id), ctx)
    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "delivered"), ctx
    )
    # Then the delivery ends the prescription: the rest is not offered again
    assert record.state == S.DELIVERED
    assert [out.topic for out in outcome.out] == [topics.RX_STATUS]
    assert status_of(outcome.out[0]).reason_code == "CANCELLED_BY_PRESCRIBER"


def test_a_remainder_sold_too_late_to_cancel_is_not_offered_again() -> None:
    # Given a cancellation the pharmacy received after it had sold half of the first item
    record = make.record_in(S.ACCEPTED, fulfilment=Fulfilment.PICKUP)
    ctx = make.context()
    handlers.on_cancel(record, *make.cancel(record.prescription_id), ctx)
    item = record.items[0]
    sold = {item.drug_code: item.quantity / 2}
    handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "dispensed", sold=sold), ctx
    )
    # When the citizen collects what was sold
    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, "picked_up"), ctx
    )
    # Then the prescription ends there
    assert record.state == S.PICKED_UP
    assert all(out.topic != topics.CITIZEN_INBOX for out in outcome.out)


def test_a_second_cancellation_while_pending_is_refused_as_already_cancelled() -> None:
    record = make.record_in(S.ACCEPTED, fulfilment=Fulfilment.PICKUP)
    ctx = make.context()
    handlers.on_cancel(record, *make.cancel(record.prescription_id), ctx)

    outcome = handlers.on_cancel(record, *make.cancel(record.prescription_id), ctx)

    assert record.state == S.PENDING_CANCELLATION
    [answer] = outcome.out
    refused = status_of(answer).refused
    assert refused is not None and refused.reason_code == "ALREADY_CANCELLED"


def test_a_cancellation_too_late_for_a_partial_sale_says_the_rest_is_withdrawn() -> None:
    record, _, _ = _partly_sold(Fulfilment.DELIVERY)

    outcome = handlers.on_cancel(record, *make.cancel(record.prescription_id), make.context())

    assert record.state == S.DISPENSED
    refused = status_of(outcome.out[0]).refused
    assert refused is not None and refused.reason_code == "CANCEL_TOO_LATE"
    assert "the rest will not be offered again" in refused.reason
