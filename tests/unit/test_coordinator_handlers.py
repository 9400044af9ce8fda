"""The coordinator's handlers: pure functions from (stored record, event, context) to what to
store and what to publish. Happy paths, refusals, and idempotency (repeated or stale events)."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from rxsim.domain.reference.country import DRUGS, Hospital
from rxsim.fhir import signing
from rxsim.messaging.outgoing import Outgoing
from rxsim.scenario import Rules
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CancellationRequested,
    Fulfilment,
    OrderPlaced,
    PrescriptionAvailable,
    State,
    StatusChanged,
)
from services.coordinator import handlers
from services.coordinator.outcome import Outcome
from services.coordinator.record import PrescriptionRecord
from tests.support import factories as make

S = State


def status_of(out: Outgoing) -> StatusChanged:
    assert out.topic == topics.RX_STATUS
    assert isinstance(out.data, StatusChanged)
    return out.data


def assert_nothing_changed(
    outcome: Outcome, record: PrescriptionRecord | None, before: PrescriptionRecord | None
) -> None:
    assert outcome.record is None
    assert outcome.out == []
    assert outcome.note  # says why, for the log
    assert record == before


def assert_refused(
    outcome: Outcome,
    record: PrescriptionRecord,
    before: PrescriptionRecord,
    event_id: str,
    request: str,
    reason_code: str,
) -> None:
    """The request is answered on rx.status and the prescription stays as it was; the record
    only remembers the event, so a repeat of it stays silent."""
    [answer] = outcome.out
    refused = status_of(answer).refused
    assert refused is not None
    assert (refused.request, refused.event_id, refused.reason_code) == (
        request,
        event_id,
        reason_code,
    )
    assert refused.reason  # the message, in Vietnamese with its English gloss
    assert status_of(answer).state == before.state
    assert answer.correlation_id == before.correlation_id
    assert record.saw(event_id)
    assert record.model_copy(update={"seen_events": before.seen_events}) == before


def snapshot(record: PrescriptionRecord) -> PrescriptionRecord:
    return record.model_copy(deep=True)


# --- rx.issued ---------------------------------------------------------------------------


def test_a_valid_prescription_is_validated_and_made_available_in_the_citizens_inbox() -> None:
    # Given a valid bundle from an onboarded hospital
    payload = make.bundle()
    event = make.issued(payload)
    # When the coordinator handles it
    outcome = handlers.on_issued(None, event, make.context())
    # Then it stores an AVAILABLE record valid for five days from issue
    record = outcome.record
    assert record is not None
    assert record.prescription_id == event.subject
    assert record.correlation_id == event.correlationid
    assert record.state == S.AVAILABLE
    assert [step.state for step in record.history] == [S.ISSUED, S.VALIDATED, S.AVAILABLE]
    assert record.facility_code == make.ONBOARDED_HOSPITAL.code
    assert record.citizen_id == make.CITIZEN.cccd
    assert record.valid_until == make.T0 + timedelta(days=5)
    assert [i.drug_code for i in record.items] == [d.registration_number for d in DRUGS[:2]]
    assert record.saw(event.id)
    # And it publishes two status changes keyed by the code, then the citizen's inbox entry
    assert [(o.topic, o.key) for o in outcome.out] == [
        (topics.RX_STATUS, record.prescription_id),
        (topics.RX_STATUS, record.prescription_id),
        (topics.CITIZEN_INBOX, make.CITIZEN.cccd),
    ]
    validated, available = status_of(outcome.out[0]), status_of(outcome.out[1])
    assert (validated.previous_state, validated.state) == (S.ISSUED, S.VALIDATED)
    assert (available.previous_state, available.state) == (S.VALIDATED, S.AVAILABLE)
    assert available.task["businessStatus"]["coding"][0]["code"] == "AVAILABLE"
    inbox = outcome.out[2].data
    assert isinstance(inbox, PrescriptionAvailable)
    assert inbox.prescription_id == record.prescription_id
    assert inbox.valid_until == record.valid_until
    assert inbox.home_delivery_allowed is True
    assert inbox.declined_by == []
    assert all(o.correlation_id == event.correlationid for o in outcome.out)
    assert all(o.causation_id == event.id for o in outcome.out)


@pytest.mark.parametrize("type_letter", ["n", "h"])
def test_a_controlled_prescription_reaches_the_inbox_as_pickup_only(type_letter: str) -> None:
    event = make.issued(make.bundle(type_letter=type_letter))

    outcome = handlers.on_issued(None, event, make.context())

    inbox = outcome.out[-1].data
    assert isinstance(inbox, PrescriptionAvailable)
    assert inbox.type_letter == type_letter
    assert inbox.home_delivery_allowed is False


def test_duplicate_code_is_rejected_and_keeps_the_original_record() -> None:
    # Given a prescription already ordered at a pharmacy
    original = make.record_in(S.ORDERED)
    before = snapshot(original)
    # When another submission (its own correlation id) re-uses the same code
    again = make.issued(make.bundle(code=original.prescription_id, seed=99))
    assert again.correlationid != original.correlation_id
    outcome = handlers.on_issued(original, again, make.context())
    # Then the stored record is untouched but for remembering the refused submission ...
    assert outcome.record is original
    assert original.refused == [again.correlationid]
    assert original.model_copy(update={"refused": []}) == before
    # ... and the new submission alone is told it was rejected as a duplicate
    [out] = outcome.out
    rejected = status_of(out)
    assert out.key == original.prescription_id
    assert out.correlation_id == again.correlationid
    assert out.causation_id == again.id
    assert rejected.state == S.REJECTED
    assert rejected.previous_state == S.ISSUED
    assert rejected.reason_code == "DUPLICATE_CODE"
    assert rejected.reason is not None
    assert "Đơn thuốc đã được sử dụng trước đó" in rejected.reason
    assert original.prescription_id in rejected.reason


def test_a_replayed_submission_changes_nothing() -> None:
    # Given a submission already handled
    first = make.issued(make.bundle())
    record = handlers.on_issued(None, first, make.context()).record
    assert record is not None
    before = snapshot(record)
    # When the same submission arrives again (at-least-once delivery, same correlation id)
    replay = make.issued(make.bundle(), correlation_id=first.correlationid)
    outcome = handlers.on_issued(record, replay, make.context())
    # Then nothing is stored or published
    assert_nothing_changed(outcome, record, before)


def test_a_code_whose_submission_was_rejected_may_be_submitted_again() -> None:
    # Given a code rejected because its facility was not onboarded yet
    rejected = make.record_in(S.REJECTED)
    # When the facility is onboarded and the hospital submits the same code again
    payload = make.bundle(code=rejected.prescription_id, hospital=make.NOT_ONBOARDED_HOSPITAL)
    ctx = make.context(onboarded=frozenset({make.NOT_ONBOARDED_HOSPITAL.code}))
    outcome = handlers.on_issued(rejected, make.issued(payload), ctx)
    # Then it is accepted this time
    assert outcome.record is not None
    assert outcome.record.state == S.AVAILABLE


@pytest.mark.parametrize(
    ("hospital", "code", "reason_code"),
    [
        (make.NOT_ONBOARDED_HOSPITAL, None, "FACILITY_NOT_ONBOARDED"),
        (
            make.ONBOARDED_HOSPITAL,
            make.code_for(make.ONBOARDED_HOSPITAL).upper(),
            "PRESCRIPTION_CODE_FORMAT",
        ),
        (
            make.ONBOARDED_HOSPITAL,
            make.code_for(make.NOT_ONBOARDED_HOSPITAL),
            "PRESCRIPTION_CODE_FACILITY",
        ),
    ],
    ids=["not-onboarded", "malformed-code", "code-of-another-facility"],
)
def test_a_prescription_breaking_a_rule_is_rejected_with_its_reason_code(
    hospital: Hospital, code: str | None, reason_code: str
) -> None:
    # Given a well-formed bundle that breaks one national rule
    event = make.issued(make.bundle(hospital=hospital, code=code))
    # When the coordinator handles it
    outcome = handlers.on_issued(None, event, make.context())
    # Then the record is stored as REJECTED, with one status naming the rule, and no inbox entry
    record = outcome.record
    assert record is not None
    assert record.state == S.REJECTED
    assert [step.state for step in record.history] == [S.ISSUED, S.REJECTED]
    assert record.history[-1].reason_code == reason_code
    [out] = outcome.out
    rejected = status_of(out)
    assert out.key == record.prescription_id
    assert (rejected.previous_state, rejected.state) == (S.ISSUED, S.REJECTED)
    assert rejected.reason_code == reason_code
    assert rejected.reason
    assert rejected.task["status"] == "rejected"


def test_the_not_onboarded_reason_names_the_facility() -> None:
    event = make.issued(make.bundle(hospital=make.NOT_ONBOARDED_HOSPITAL))

    outcome = handlers.on_issued(None, event, make.context())

    reason = status_of(outcome.out[0]).reason
    assert reason is not None
    assert make.NOT_ONBOARDED_HOSPITAL.code in reason
    assert "not onboarded" in reason


@pytest.mark.parametrize(
    ("rules", "hospital", "upper"),
    [
        (Rules(facility_onboarded=False), make.NOT_ONBOARDED_HOSPITAL, False),
        (Rules(prescription_code_format=False), make.ONBOARDED_HOSPITAL, True),
    ],
    ids=["onboarding-rule-off", "code-format-rule-off"],
)
def test_a_rule_switched_off_in_the_scenario_no_longer_rejects(
    rules: Rules, hospital: Hospital, upper: bool
) -> None:
    code = make.code_for(hospital)
    event = make.issued(make.bundle(hospital=hospital, code=code.upper() if upper else code))

    outcome = handlers.on_issued(None, event, make.context(rules=rules))

    assert outcome.record is not None
    assert outcome.record.state == S.AVAILABLE


def test_an_invalid_bundle_is_rejected_and_only_its_refusal_is_stored() -> None:
    # Given a bundle without its Patient
    event = make.issued(make.without(make.bundle(), "Patient"))
    # When the coordinator handles it
    outcome = handlers.on_issued(None, event, make.context())
    # Then only a small REJECTED record remembers the refusal (nothing of the Bundle) ...
    assert outcome.record is not None
    assert outcome.record.state == S.REJECTED
    assert (outcome.record.items, outcome.record.refused) == ([], [event.correlationid])
    # ... and the submission is told why, keyed by the event's subject
    [out] = outcome.out
    rejected = status_of(out)
    assert out.key == event.subject
    assert out.correlation_id == event.correlationid
    assert rejected.state == S.REJECTED
    assert rejected.reason_code == "MISSING_RESOURCE"
    assert rejected.reason is not None
    assert "Patient" in rejected.reason


# --- citizen.choices ---------------------------------------------------------------------


@pytest.mark.parametrize("fulfilment", list(Fulfilment))
def test_a_choice_orders_the_prescription_from_the_chosen_pharmacy(fulfilment: Fulfilment) -> None:
    # Given a prescription in the citizen's app
    record = make.record_in(S.AVAILABLE)
    code = record.prescription_id
    event, chosen = make.choice(code, pharmacy_id=make.PHARMACY_B, fulfilment=fulfilment)
    # When the citizen chooses a pharmacy
    outcome = handlers.on_choice(record, event, chosen, make.context())
    # Then the record is ORDERED at that pharmacy
    assert outcome.record is record
    assert record.state == S.ORDERED
    assert record.pharmacy_id == make.PHARMACY_B
    assert record.fulfilment == fulfilment
    assert record.address == chosen.address
    # And a status change and an order keyed by the pharmacy are published
    assert [(o.topic, o.key) for o in outcome.out] == [
        (topics.RX_STATUS, code),
        (topics.PHARMACY_ORDERS, make.PHARMACY_B),
    ]
    ordered = status_of(outcome.out[0])
    assert (ordered.previous_state, ordered.state) == (S.AVAILABLE, S.ORDERED)
    assert ordered.pharmacy_id == make.PHARMACY_B
    placed = outcome.out[1].data
    assert isinstance(placed, OrderPlaced)
    assert placed.prescription_id == code
    assert placed.fulfilment == fulfilment
    assert placed.items == record.items
    assert placed.medication_requests == record.medication_requests
    assert placed.task["owner"]["identifier"]["value"] == make.PHARMACY_B
    assert all(o.correlation_id == record.correlation_id for o in outcome.out)
    assert all(o.causation_id == event.id for o in outcome.out)


@pytest.mark.parametrize("type_letter", ["n", "h"])
def test_home_delivery_of_a_controlled_prescription_is_refused(type_letter: str) -> None:
    record = make.record_in(S.AVAILABLE, type_letter=type_letter)
    before = snapshot(record)
    event, chosen = make.choice(record.prescription_id, fulfilment=Fulfilment.DELIVERY)

    outcome = handlers.on_choice(record, event, chosen, make.context())

    assert_refused(outcome, record, before, event.id, "choice", "HOME_DELIVERY_NOT_ALLOWED")


@pytest.mark.parametrize("type_letter", ["n", "h"])
def test_a_controlled_prescription_may_be_picked_up(type_letter: str) -> None:
    record = make.record_in(S.AVAILABLE, type_letter=type_letter)
    event, chosen = make.choice(record.prescription_id, fulfilment=Fulfilment.PICKUP)

    outcome = handlers.on_choice(record, event, chosen, make.context())

    assert outcome.record is not None
    assert outcome.record.state == S.ORDERED


@pytest.mark.parametrize(
    ("overrides", "reason_code"),
    [
        ({"pharmacy_id": "NT999999"}, "UNKNOWN_PHARMACY"),
        ({"citizen_id": "079099000000"}, "NOT_THE_PATIENT"),
    ],
    ids=["unknown-pharmacy", "another-citizen"],
)
def test_a_choice_that_cannot_apply_is_refused_and_the_citizen_told(
    overrides: dict[str, str], reason_code: str
) -> None:
    record = make.record_in(S.AVAILABLE)
    before = snapshot(record)
    event, chosen = make.choice(record.prescription_id, **overrides)

    outcome = handlers.on_choice(record, event, chosen, make.context())

    assert_refused(outcome, record, before, event.id, "choice", reason_code)


def test_a_choice_for_an_unknown_prescription_changes_nothing() -> None:
    event, chosen = make.choice("01001zzzzzzz-c")

    outcome = handlers.on_choice(None, event, chosen, make.context())

    assert_nothing_changed(outcome, None, None)


def test_a_second_choice_while_ordered_is_refused_and_the_citizen_told() -> None:
    record = make.record_in(S.ORDERED)
    before = snapshot(record)
    event, chosen = make.choice(record.prescription_id, pharmacy_id=make.PHARMACY_B)

    outcome = handlers.on_choice(record, event, chosen, make.context())

    assert_refused(outcome, record, before, event.id, "choice", "CHOICE_NOT_APPLICABLE")
    # And the same refused event, delivered again, is not answered twice
    again = handlers.on_choice(record, event, chosen, make.context())
    assert_nothing_changed(again, record, record.model_copy(deep=True))


def test_a_repeated_choice_event_changes_nothing_even_when_the_state_would_allow_it() -> None:
    # Given a choice applied, then declined by the pharmacy (back to AVAILABLE)
    record = make.record_in(S.AVAILABLE)
    code = record.prescription_id
    choice_event, chosen = make.choice(code)
    handlers.on_choice(record, choice_event, chosen, make.context())
    declined = make.pharmacy_update(code, "declined", reason="Hết hàng")
    handlers.on_pharmacy(record, *declined, make.context())
    assert record.state == S.AVAILABLE
    before = snapshot(record)
    # When the first choice event is delivered again
    outcome = handlers.on_choice(record, choice_event, chosen, make.context())
    # Then it is recognised by its id and changes nothing
    assert_nothing_changed(outcome, record, before)
    assert outcome.note == "event already applied"


# --- pharmacy.events ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "kind", "end"),
    [
        (S.ORDERED, "accepted", S.ACCEPTED),
        (S.ACCEPTED, "dispensed", S.DISPENSED),
        (S.DISPENSED, "picked_up", S.PICKED_UP),
        (S.DISPENSED, "out_for_delivery", S.OUT_FOR_DELIVERY),
        (S.OUT_FOR_DELIVERY, "delivered", S.DELIVERED),
        (S.OUT_FOR_DELIVERY, "delivery_failed", S.DELIVERY_FAILED),
        (S.DELIVERY_FAILED, "out_for_delivery", S.OUT_FOR_DELIVERY),
        (S.DELIVERY_FAILED, "dispensed", S.DISPENSED),
    ],
    ids=lambda value: str(value),
)
def test_a_pharmacy_report_moves_the_prescription_on(start: State, kind: str, end: State) -> None:
    # Given a prescription held by pharmacy A in `start`, for the fulfilment `kind` belongs to
    fulfilment = Fulfilment.PICKUP if kind == "picked_up" else Fulfilment.DELIVERY
    record = make.record_in(start, fulfilment=fulfilment)
    steps = len(record.history)
    event, update = make.pharmacy_update(record.prescription_id, kind, reason="ghi chú")
    # When pharmacy A reports `kind`
    outcome = handlers.on_pharmacy(record, event, update, make.context())
    # Then the record moves to `end` and one status change says so
    assert outcome.record is record
    assert record.state == end
    assert len(record.history) == steps + 1
    assert record.history[-1].event_id == event.id
    [out] = outcome.out
    changed = status_of(out)
    assert out.key == record.prescription_id
    assert (changed.previous_state, changed.state) == (start, end)
    assert changed.reason == "ghi chú"
    assert changed.pharmacy_id == make.PHARMACY_A


@pytest.mark.parametrize("start", [S.ORDERED, S.ACCEPTED])
def test_a_declining_pharmacy_sends_the_prescription_back_to_the_citizen(start: State) -> None:
    # Given a prescription held by pharmacy A
    record = make.record_in(start, fulfilment=Fulfilment.DELIVERY)
    code = record.prescription_id
    event, update = make.pharmacy_update(code, "declined", reason="Hết hàng: Amoxicillin 500mg")
    # When pharmacy A declines it
    outcome = handlers.on_pharmacy(record, event, update, make.context())
    # Then it is AVAILABLE again, remembers who declined, and no longer has a pharmacy
    assert outcome.record is record
    assert record.state == S.AVAILABLE
    assert record.declined_by == [make.PHARMACY_A]
    assert (record.pharmacy_id, record.fulfilment, record.address) == (None, None, None)
    # And the citizen gets a new inbox entry saying which pharmacy declined
    assert [(o.topic, o.key) for o in outcome.out] == [
        (topics.RX_STATUS, code),
        (topics.CITIZEN_INBOX, make.CITIZEN.cccd),
    ]
    changed = status_of(outcome.out[0])
    assert (changed.previous_state, changed.state) == (start, S.AVAILABLE)
    assert changed.reason_code == "PHARMACY_DECLINED"
    assert changed.reason == "Hết hàng: Amoxicillin 500mg"
    inbox = outcome.out[1].data
    assert isinstance(inbox, PrescriptionAvailable)
    assert inbox.declined_by == [make.PHARMACY_A]
    assert outcome.out[1].causation_id == event.id


def test_every_declining_pharmacy_is_remembered_in_order() -> None:
    record = make.record_in(S.ORDERED)
    code = record.prescription_id
    ctx = make.context()
    handlers.on_pharmacy(record, *make.pharmacy_update(code, "declined"), ctx)
    handlers.on_choice(record, *make.choice(code, pharmacy_id=make.PHARMACY_B), ctx)
    update = make.pharmacy_update(code, "declined", pharmacy_id=make.PHARMACY_B)

    outcome = handlers.on_pharmacy(record, *update, ctx)

    assert record.declined_by == [make.PHARMACY_A, make.PHARMACY_B]
    inbox = outcome.out[-1].data
    assert isinstance(inbox, PrescriptionAvailable)
    assert inbox.declined_by == [make.PHARMACY_A, make.PHARMACY_B]


def test_a_pharmacy_that_does_not_hold_the_prescription_is_ignored() -> None:
    record = make.record_in(S.ORDERED)  # held by pharmacy A
    before = snapshot(record)
    for kind in ("accepted", "declined"):
        event, update = make.pharmacy_update(
            record.prescription_id, kind, pharmacy_id=make.PHARMACY_B
        )

        outcome = handlers.on_pharmacy(record, event, update, make.context())

        assert_nothing_changed(outcome, record, before)
        assert outcome.note is not None
        assert "does not hold" in outcome.note


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (S.ORDERED, "delivered"),
        (S.ORDERED, "dispensed"),
        (S.ACCEPTED, "accepted"),
        (S.DISPENSED, "delivered"),
        (S.DELIVERED, "delivery_failed"),
        (S.PICKED_UP, "declined"),
    ],
    ids=lambda value: str(value),
)
def test_a_stale_pharmacy_report_changes_nothing(start: State, kind: str) -> None:
    record = make.record_in(start)
    before = snapshot(record)
    event, update = make.pharmacy_update(record.prescription_id, kind)

    outcome = handlers.on_pharmacy(record, event, update, make.context())

    assert_nothing_changed(outcome, record, before)
    assert outcome.note is not None
    assert outcome.note.startswith("stale")


def test_a_repeated_pharmacy_event_changes_nothing_even_when_the_state_would_allow_it() -> None:
    # Given a courier that went out (event E), failed, and is back at DELIVERY_FAILED
    record = make.record_in(S.DISPENSED, fulfilment=Fulfilment.DELIVERY)
    code = record.prescription_id
    out_event = make.pharmacy_update(code, "out_for_delivery")
    handlers.on_pharmacy(record, *out_event, make.context())
    handlers.on_pharmacy(record, *make.pharmacy_update(code, "delivery_failed"), make.context())
    before = snapshot(record)
    # When event E is delivered again (DELIVERY_FAILED -> OUT_FOR_DELIVERY would be allowed)
    outcome = handlers.on_pharmacy(record, *out_event, make.context())
    # Then it is recognised by its id and changes nothing
    assert_nothing_changed(outcome, record, before)
    assert outcome.note == "event already applied"


def test_a_pharmacy_report_for_an_unknown_prescription_changes_nothing() -> None:
    event, update = make.pharmacy_update("01001zzzzzzz-c", "accepted")

    outcome = handlers.on_pharmacy(None, event, update, make.context())

    assert_nothing_changed(outcome, None, None)


# --- rx.cancel ---------------------------------------------------------------------------


@pytest.mark.parametrize("start", [S.AVAILABLE])
def test_the_prescriber_cancels_a_prescription_no_pharmacy_holds(start: State) -> None:
    record = make.record_in(start)
    event, request = make.cancel(record.prescription_id)

    outcome = handlers.on_cancel(record, event, request, make.context())

    assert outcome.record is record
    assert record.state == S.CANCELLED
    [out] = outcome.out
    changed = status_of(out)
    assert out.key == record.prescription_id
    assert (changed.previous_state, changed.state) == (start, S.CANCELLED)
    assert changed.reason_code == "CANCELLED_BY_PRESCRIBER"
    assert changed.reason == request.reason
    assert changed.task["status"] == "cancelled"


@pytest.mark.parametrize(
    "start",
    [
        S.DISPENSED,
        S.OUT_FOR_DELIVERY,
        S.DELIVERY_FAILED,
        S.DELIVERED,
        S.PICKED_UP,
        S.REJECTED,
        S.EXPIRED,
        S.CANCELLED,
    ],
)
def test_a_cancellation_after_dispensing_or_at_an_end_is_refused_and_the_prescriber_told(
    start: State,
) -> None:
    record = make.record_in(start)
    before = snapshot(record)
    event, request = make.cancel(record.prescription_id)

    outcome = handlers.on_cancel(record, event, request, make.context())

    assert_refused(outcome, record, before, event.id, "cancel", CANCEL_REFUSALS[start])


def _unsigned(code: str) -> tuple[Envelope, CancellationRequested]:
    return make.cancel(code, signed=False)


def _signed_by_another_facility(code: str) -> tuple[Envelope, CancellationRequested]:
    event, request = make.cancel(code, signed=False)
    other = "79001" if not code.startswith("79001") else "01001"
    signature = signing.simulated_signer(make.SEED, other).sign(event.data)
    return event.model_copy(update={"signature": signature}), request


def _changed_after_signing(code: str) -> tuple[Envelope, CancellationRequested]:
    event, _ = make.cancel(code)
    changed = {**event.data, "statusReason": {"text": "changed on the way"}}
    return event.model_copy(update={"data": changed}), CancellationRequested(**changed)


@pytest.mark.parametrize(
    ("forge", "reason_code"),
    [
        (_unsigned, "SIGNATURE_MISSING"),
        (_signed_by_another_facility, "SIGNATURE_FACILITY_MISMATCH"),
        (_changed_after_signing, "SIGNATURE_INVALID"),
    ],
)
def test_a_cancellation_not_signed_by_the_prescriptions_facility_is_refused(
    forge: Callable[[str], tuple[Envelope, CancellationRequested]], reason_code: str
) -> None:
    # Anyone who can write on rx.cancel would otherwise withdraw any prescription.
    record = make.record_in(S.AVAILABLE)
    before = snapshot(record)
    event, request = forge(record.prescription_id)

    outcome = handlers.on_cancel(record, event, request, make.context())

    assert_refused(outcome, record, before, event.id, "cancel", reason_code)
    assert record.state == S.AVAILABLE


def test_an_unsigned_cancellation_is_taken_while_signatures_are_not_required() -> None:
    record = make.record_in(S.AVAILABLE)
    event, request = make.cancel(record.prescription_id, signed=False)

    handlers.on_cancel(record, event, request, make.context(require_signatures=False))

    assert record.state == S.CANCELLED


def test_a_repeated_cancellation_changes_nothing() -> None:
    record = make.record_in(S.AVAILABLE)
    event, request = make.cancel(record.prescription_id)
    handlers.on_cancel(record, event, request, make.context())
    before = snapshot(record)

    outcome = handlers.on_cancel(record, event, request, make.context())

    assert_nothing_changed(outcome, record, before)


CANCEL_REFUSALS = {
    S.DISPENSED: "CANCEL_TOO_LATE",
    S.OUT_FOR_DELIVERY: "CANCEL_TOO_LATE",
    S.DELIVERY_FAILED: "CANCEL_TOO_LATE",
    S.DELIVERED: "CANCEL_TOO_LATE",
    S.PICKED_UP: "CANCEL_TOO_LATE",
    S.REJECTED: "PRESCRIPTION_ENDED",
    S.EXPIRED: "PRESCRIPTION_ENDED",
    S.CANCELLED: "ALREADY_CANCELLED",
}


# --- coordinator.deadlines ---------------------------------------------------------------


def test_a_deadline_before_the_validity_is_over_changes_nothing() -> None:
    record = make.record_in(S.AVAILABLE)
    assert record.valid_until is not None
    before = snapshot(record)
    early = make.context(now=record.valid_until - timedelta(seconds=1))

    outcome = handlers.on_deadline(record, *make.deadline(record.prescription_id), early)

    assert_nothing_changed(outcome, record, before)
    assert outcome.note == "still valid"


@pytest.mark.parametrize("late_by", [timedelta(0), timedelta(hours=1)], ids=["at", "after"])
@pytest.mark.parametrize("start", [S.AVAILABLE, S.ORDERED, S.ACCEPTED])
def test_a_deadline_once_the_validity_is_over_expires_the_prescription(
    start: State, late_by: timedelta
) -> None:
    record = make.record_in(start)
    assert record.valid_until is not None
    late = make.context(now=record.valid_until + late_by)

    outcome = handlers.on_deadline(record, *make.deadline(record.prescription_id), late)

    assert outcome.record is record
    assert record.state == S.EXPIRED
    changed = status_of(outcome.out[0])
    assert (changed.previous_state, changed.state) == (start, S.EXPIRED)
    assert changed.reason_code == "VALIDITY_OVER"
    assert changed.task["status"] == "failed"


@pytest.mark.parametrize("start", [S.DISPENSED, S.DELIVERED, S.CANCELLED, S.EXPIRED])
def test_a_deadline_after_dispensing_or_at_an_end_changes_nothing(start: State) -> None:
    record = make.record_in(start)
    assert record.valid_until is not None
    before = snapshot(record)
    late = make.context(now=record.valid_until + timedelta(days=1))

    outcome = handlers.on_deadline(record, *make.deadline(record.prescription_id), late)

    assert_nothing_changed(outcome, record, before)


def test_due_for_expiry_only_once_the_validity_is_over_and_before_dispensing() -> None:
    available = make.record_in(S.AVAILABLE)
    dispensed = make.record_in(S.DISPENSED)
    assert available.valid_until is not None
    end = available.valid_until

    assert not handlers.due_for_expiry(available, end - timedelta(seconds=1))
    assert handlers.due_for_expiry(available, end)
    assert not handlers.due_for_expiry(dispensed, end + timedelta(days=1))


# --- dispatch ----------------------------------------------------------------------------


def test_handle_dispatches_each_topic_to_its_handler() -> None:
    ctx = make.context()
    issued = handlers.handle(topics.RX_ISSUED.name, None, make.issued(make.bundle()), None, ctx)
    record = issued.record
    assert record is not None
    event, request = make.cancel(record.prescription_id)

    cancelled = handlers.handle(topics.RX_CANCEL.name, record, event, request, ctx)

    assert cancelled.record is not None
    assert cancelled.record.state == S.CANCELLED
    assert set(handlers.HANDLERS) == {
        topics.RX_ISSUED.name,
        topics.CITIZEN_CHOICES.name,
        topics.PHARMACY_EVENTS.name,
        topics.RX_CANCEL.name,
        topics.COORDINATOR_DEADLINES.name,
    }


@pytest.mark.parametrize(
    ("fulfilment", "start", "kind"),
    [
        (Fulfilment.PICKUP, S.DISPENSED, "out_for_delivery"),
        (Fulfilment.DELIVERY, S.DISPENSED, "picked_up"),
    ],
    ids=lambda value: str(value),
)
def test_a_report_for_the_other_kind_of_fulfilment_changes_nothing(
    fulfilment: Fulfilment, start: State, kind: str
) -> None:
    # Given a pickup-only narcotic (or a delivery order) that has been dispensed
    type_letter = "n" if fulfilment == Fulfilment.PICKUP else "c"
    record = make.record_in(start, type_letter=type_letter, fulfilment=fulfilment)
    before = record.model_copy(deep=True)
    # When the pharmacy reports an event of the other fulfilment
    outcome = handlers.on_pharmacy(
        record, *make.pharmacy_update(record.prescription_id, kind), make.context()
    )
    # Then nothing changes and nothing is published
    assert outcome.record is None
    assert outcome.out == []
    assert record == before
    assert outcome.note and "does not apply" in outcome.note


def test_a_submission_whose_subject_is_not_its_code_is_rejected() -> None:
    # Given an rx.issued event whose subject (and key) is not the Bundle's prescription code
    event = make.envelope(topics.RX_ISSUED, make.bundle(), subject="01001zzzzzzz-c")
    # When the coordinator handles it
    outcome = handlers.on_issued(None, event, make.context())
    # Then only the refusal is stored and the submission is rejected, naming the mismatch
    assert outcome.record is not None and outcome.record.refused == [event.correlationid]
    [out] = outcome.out
    assert status_of(out).reason_code == "SUBJECT_MISMATCH"
    assert status_of(out).state == S.REJECTED


def test_a_pharmacys_order_carries_no_diagnosis_narrative_or_notes() -> None:
    # Given a prescription whose MedicationRequest has a diagnosis, a narrative and a note
    payload = make.bundle()
    request = make.resource(payload, "MedicationRequest")
    request["text"] = {
        "status": "generated",
        "div": "<div>Bệnh nhân Nguyễn Văn An, viêm họng</div>",
    }
    request["note"] = [{"text": "bệnh nhân hay quên uống thuốc"}]
    ctx = make.context()
    record = handlers.on_issued(None, make.issued(payload), ctx).record
    assert record is not None and record.state == S.AVAILABLE
    # When the citizen chooses a pharmacy
    outcome = handlers.on_choice(record, *make.choice(record.prescription_id), ctx)
    # Then the order holds the drug, its dosage and quantity, and nothing else of the patient
    placed = outcome.out[1].data
    assert isinstance(placed, OrderPlaced)
    for sent in placed.medication_requests:
        assert not {"reasonCode", "text", "note"} & set(sent)
        assert {"medicationCodeableConcept", "dosageInstruction", "dispenseRequest"} <= set(sent)
    assert "icd-10" not in str(placed.model_dump()) and "Nguyễn Văn An" not in str(placed)
