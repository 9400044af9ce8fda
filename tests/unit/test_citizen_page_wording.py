"""What the citizen's page says, decided without a browser: the inbox keeps every state a
prescription went through, refused prescriptions reach their patient, and the wording gives
the order's progress and, in Vietnamese, why something did not happen."""

from datetime import timedelta
from typing import Any

from schemas import topics
from schemas.events import Fulfilment, PrescriptionAvailable, RequestRefused, State
from services.citizen_app import inbox as decisions
from services.citizen_app import wording
from services.citizen_app.inbox import Inbox
from tests.support import factories as make

from .test_citizen_behaviour import available
from .test_citizen_inbox import CTX, received


def told(
    inbox: Inbox, rx: PrescriptionAvailable, correlation: str, *moves: Any, after: int = 0
) -> None:
    """rx.status events, one a minute from `after`: (state, extra fields of StatusChanged)."""
    for minute, (state, extra) in enumerate(moves, start=after + 1):
        event, status = make.status(
            correlation_id=correlation,
            code=rx.prescription_id,
            state=state,
            at=make.T0 + timedelta(minutes=minute),
        )
        event = event.model_copy(update={"time": make.T0 + timedelta(minutes=minute)})
        decisions.on_status(inbox, event, status.model_copy(update=extra), CTX)


DELIVERY = {"fulfilment": Fulfilment.DELIVERY, "pharmacy_id": "NT001001"}


def test_a_delivery_with_a_failed_attempt_shows_every_step_and_the_failure() -> None:
    # Given a prescription ordered for home delivery, whose courier failed once
    inbox, rx = Inbox(), available()
    event, _ = received(inbox, rx)
    told(
        inbox, rx, event.correlationid,
        (State.ORDERED, DELIVERY), (State.ACCEPTED, DELIVERY), (State.DISPENSED, DELIVERY),
        (State.OUT_FOR_DELIVERY, DELIVERY), (State.DELIVERY_FAILED, DELIVERY),
        (State.OUT_FOR_DELIVERY, DELIVERY),
    )  # fmt: skip
    # When the page asks what to show
    shown = wording.display(inbox.view(rx))
    # Then every step but the last is done, and the failed attempt is said plainly
    assert [(s["state"], s["done"]) for s in shown["steps"]] == [
        ("ORDERED", True), ("ACCEPTED", True), ("DISPENSED", True),
        ("OUT_FOR_DELIVERY", True), ("DELIVERED", False),
    ]  # fmt: skip
    assert shown["state_label"] == "Đang giao hàng"
    assert shown["notices"] == ["Giao hàng không thành công 1 lần; nhà thuốc sẽ giao lại."]
    assert shown["finished"] is False


def test_a_status_delivered_twice_is_one_step() -> None:
    inbox, rx = Inbox(), available()
    event, _ = received(inbox, rx)
    told(inbox, rx, event.correlationid, (State.ORDERED, DELIVERY))
    told(inbox, rx, event.correlationid, (State.ORDERED, DELIVERY))

    assert [step["state"] for step in inbox.view(rx)["history"]] == ["ORDERED"]


def test_a_pickup_goes_to_the_counter_and_a_decline_starts_the_road_again() -> None:
    # Given an order declined for want of stock, then a pickup ordered elsewhere
    inbox, rx = Inbox(), available()
    event, _ = received(inbox, rx)
    declined = {"reason_code": "PHARMACY_DECLINED", "reason": "Hết hàng: X (out of stock)"}
    pickup = {"fulfilment": Fulfilment.PICKUP, "pharmacy_id": "NT001002"}
    told(inbox, rx, event.correlationid, (State.ORDERED, DELIVERY), (State.AVAILABLE, declined))
    assert wording.notices(inbox.view(rx)) == [
        "Nhà thuốc đã từ chối đơn: Hết hàng: X (out of stock) Vui lòng chọn nhà thuốc khác."
    ]
    assert wording.steps(inbox.view(rx))[0].done is True  # the declined order's road
    told(inbox, rx, event.correlationid, (State.ORDERED, pickup), (State.ACCEPTED, pickup), after=2)
    # Then the road is the counter's, from the second order on
    steps = wording.steps(inbox.view(rx))
    assert [(s.state, s.done) for s in steps] == [
        ("ORDERED", True), ("ACCEPTED", True), ("DISPENSED", False), ("PICKED_UP", False),
    ]  # fmt: skip


def test_cancelled_expired_and_a_refused_choice_are_said_with_their_reason() -> None:
    base: dict[str, Any] = {"history": [], "home_delivery_allowed": True, "refused": None}
    cancelled = {**base, "state": "CANCELLED", "reason": "cancelled by prescriber"}
    expired = {**base, "state": "EXPIRED", "reason": None}
    refused = RequestRefused(
        request="choice", event_id="e1", reason_code="UNKNOWN_PHARMACY", reason="Nhà thuốc lạ"
    )
    chosen_badly = {**base, "state": "AVAILABLE", "refused": refused.model_dump()}

    assert wording.notices(cancelled) == ["Bác sĩ đã hủy đơn thuốc này: cancelled by prescriber"]
    assert wording.notices(expired) == [
        "Đơn thuốc đã hết hạn: không mua thuốc trong thời hạn hiệu lực."
    ]
    assert wording.notices(chosen_badly) == [
        "Yêu cầu chọn nhà thuốc của bạn không thực hiện được: Nhà thuốc lạ"
    ]
    assert wording.display(cancelled)["finished"] is True


def test_controlled_drugs_are_said_to_be_pickup_only() -> None:
    view = Inbox().view(available(home_delivery_allowed=False))

    assert wording.display(view)["pickup_only"] == wording.CONTROLLED_PICKUP_ONLY
    assert wording.display(Inbox().view(available()))["pickup_only"] is None


def test_a_prescription_refused_before_the_app_reaches_its_patient_with_the_reason() -> None:
    # Given a prescription the national rules refused, in this citizen's name
    inbox = Inbox()
    event, status = make.status(
        correlation_id="s1", code="01001abcdefg-c", state=State.REJECTED, at=make.T0
    )
    status = status.model_copy(
        update={
            "citizen_id": make.CITIZEN.cccd,
            "reason_code": "DIAGNOSIS_MISSING",
            "reason": "Thiếu chẩn đoán ICD-10",
        }
    )
    # When its status arrives
    decisions.on_status(inbox, event, status, CTX)
    # Then its patient sees it, and why, and no one else does
    [shown] = inbox.listing(make.CITIZEN.cccd)
    assert (shown["state"], shown["reason_code"]) == ("REJECTED", "DIAGNOSIS_MISSING")
    assert wording.notices(shown) == [
        "Cổng dữ liệu y tế quốc gia đã từ chối đơn thuốc này: Thiếu chẩn đoán ICD-10"
    ]
    assert inbox.listing("001099000000") == []
    # And the same code sent again, and good, replaces it
    rx = available("01001abcdefg-c")
    offer = make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id)
    decisions.on_available(inbox, offer, rx, CTX)
    assert [v["state"] for v in inbox.listing(make.CITIZEN.cccd)] == ["AVAILABLE"]
