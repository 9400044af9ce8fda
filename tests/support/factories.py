"""Plain builders for unit tests: a small synthetic country, FHIR bundles built the way the
hospital builds them, CloudEvents envelopes, handler contexts, and records driven to a state
through the real (pure) coordinator handlers. No broker, no network, no clock reads."""

import copy
import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from rxsim import fhir
from rxsim.domain.reference.country import DRUGS, Citizen, Country, Drug, Hospital
from rxsim.domain.rules.switches import Rules
from rxsim.fhir import bundles, signing, synthetic
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CancellationRequested,
    DeadlineReached,
    Fulfilment,
    Item,
    OrderPlaced,
    PharmacyChosen,
    PharmacyUpdated,
    State,
    StatusChanged,
)
from schemas.topics import Topic
from services.coordinator import handlers
from services.coordinator.context import Context
from services.coordinator.outcome import Outcome
from services.coordinator.record import PrescriptionRecord

SEED = 2025
COUNTRY = Country(
    SEED, hospitals_per_province=1, pharmacies_per_province=2, citizens_per_province=3
)

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
VALIDITY = timedelta(days=5)

ONBOARDED_PROVINCE = "Hà Nội"
OTHER_PROVINCE = "Huế"  # a known facility that is not onboarded in this phase


def hospital_in(province: str) -> Hospital:
    return next(h for h in COUNTRY.hospitals if h.province == province)


ONBOARDED_HOSPITAL = hospital_in(ONBOARDED_PROVINCE)
NOT_ONBOARDED_HOSPITAL = hospital_in(OTHER_PROVINCE)
UNKNOWN_HOSPITAL = Hospital(
    "99999", "Phòng khám không có trong danh mục", ONBOARDED_PROVINCE, False
)
CITIZEN: Citizen = next(c for c in COUNTRY.citizens if c.province == ONBOARDED_PROVINCE)
PHARMACY_A, PHARMACY_B = (p.id for p in COUNTRY.pharmacies_in(ONBOARDED_PROVINCE))

_ids = itertools.count(1)


def new_id(prefix: str = "evt") -> str:
    return f"{prefix}-{next(_ids):06d}"


def code_for(hospital: Hospital, type_letter: str = "c", seed: int = 1) -> str:
    return bundles.new_code(random.Random(seed), hospital.code, type_letter)


def drugs_of(type_letter: str, count: int = 1) -> tuple[Drug, ...]:
    return tuple(d for d in DRUGS if d.type_letter == type_letter)[:count]


def bundle(
    *,
    code: str | None = None,
    hospital: Hospital = ONBOARDED_HOSPITAL,
    citizen: Citizen = CITIZEN,
    drugs: tuple[Drug, ...] | None = None,
    type_letter: str = "c",
    seed: int = 1,
    **content: Any,
) -> dict[str, Any]:
    """A valid prescription Bundle, as services/hospital/generator.py builds one: two ordinary
    drugs, or one drug of `type_letter`; `content` goes to synthetic.prescription (days, ...)."""
    rng = random.Random(seed)
    if drugs is None:
        drugs = DRUGS[:2] if type_letter == "c" else drugs_of(type_letter)
    code = code or bundles.new_code(rng, hospital.code, type_letter)
    return synthetic.prescription(
        rng, code=code, hospital=hospital, citizen=citizen, drugs=[*drugs], **content
    )


def entry_index(payload: dict[str, Any], resource_type: str) -> int:
    return next(
        i for i, e in enumerate(payload["entry"]) if e["resource"]["resourceType"] == resource_type
    )


def resource(payload: dict[str, Any], resource_type: str) -> dict[str, Any]:
    resource: dict[str, Any] = payload["entry"][entry_index(payload, resource_type)]["resource"]
    return resource


def without(payload: dict[str, Any], resource_type: str) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    changed["entry"] = [
        e for e in changed["entry"] if e["resource"]["resourceType"] != resource_type
    ]
    return changed


def envelope(
    topic: Topic,
    data: dict[str, Any] | BaseModel,
    *,
    subject: str,
    event_id: str | None = None,
    correlation_id: str | None = None,
    time: datetime = T0,
    signed: bool = True,
) -> Envelope:
    """An envelope of `topic`; a prescription on rx.issued, or its cancellation on rx.cancel,
    is signed as its hospital signs it, and an order or its cancellation sent to a pharmacy as
    the coordinator signs it, unless `signed` is False."""
    event_id = event_id or new_id()
    body = data.model_dump(mode="json", exclude_none=True) if isinstance(data, BaseModel) else data
    signature: str | None
    if signed and topic == topics.RX_CANCEL:
        # A prescription code begins with its facility's code: that facility signs.
        signature = signing.simulated_signer(SEED, subject[:5]).sign(body)
    elif signed and topic == topics.RX_ISSUED:
        signature = signing.simulated_signature(body, SEED, validated=_valid(body))
    elif signed and topic in (topics.PHARMACY_ORDERS, topics.PHARMACY_CANCELLATIONS):
        signature = signing.coordinator_signer(SEED).sign(body)
    else:
        signature = None
    return Envelope(
        id=event_id,
        source="rxsim/tests",
        type=topic.event_type,
        subject=subject,
        time=time,
        datacontenttype=topic.datacontenttype,
        dataschema=topic.dataschema,
        correlationid=correlation_id or event_id,
        signature=signature,
        data=body,
    )


def _valid(bundle: Any) -> bool:
    """Whether the hospital's edge would have let `bundle` through (and signed it so)."""
    try:
        fhir.parse_prescription(bundle)
    except fhir.InvalidPrescription:
        return False
    return True


def issued(
    payload: dict[str, Any],
    *,
    event_id: str | None = None,
    correlation_id: str | None = None,
    time: datetime = T0,
    signed: bool = True,
) -> Envelope:
    try:
        subject = fhir.parse_prescription(payload).code
    except fhir.InvalidPrescription:
        subject = "unparseable"
    return envelope(
        topics.RX_ISSUED,
        payload,
        subject=subject,
        event_id=event_id,
        correlation_id=correlation_id,
        time=time,
        signed=signed,
    )


KEYS = signing.FacilityKeys(SEED, frozenset(f.code for f in COUNTRY.facilities))


def context(
    *,
    now: datetime = T0,
    rules: Rules | None = None,
    onboarded: frozenset[str] | None = None,
    require_signatures: bool = True,
) -> Context:
    return Context(
        now=now,
        rules=rules or Rules(),
        known_facilities=frozenset(COUNTRY.hospital_by_code),
        onboarded_facilities=(
            onboarded if onboarded is not None else frozenset({ONBOARDED_HOSPITAL.code})
        ),
        known_pharmacies=frozenset(COUNTRY.pharmacy_by_id),
        validity=VALIDITY,
        facilities=COUNTRY.hospital_by_code,
        keys=KEYS,
        require_signatures=require_signatures,
        signer=signing.coordinator_signer(SEED),
    )


def choice(
    code: str,
    *,
    pharmacy_id: str = PHARMACY_A,
    fulfilment: Fulfilment = Fulfilment.PICKUP,
    citizen_id: str = CITIZEN.cccd,
    event_id: str | None = None,
) -> tuple[Envelope, PharmacyChosen]:
    address = CITIZEN.address if fulfilment == Fulfilment.DELIVERY else None
    data = PharmacyChosen(
        prescription_id=code,
        citizen_id=citizen_id,
        pharmacy_id=pharmacy_id,
        fulfilment=fulfilment,
        address=address,
    )
    return envelope(topics.CITIZEN_CHOICES, data, subject=code, event_id=event_id), data


def pharmacy_update(
    code: str,
    kind: str,
    *,
    pharmacy_id: str = PHARMACY_A,
    reason: str | None = None,
    event_id: str | None = None,
    sold: dict[str, float] | None = None,
) -> tuple[Envelope, PharmacyUpdated]:
    data = PharmacyUpdated.model_validate(
        {
            "prescription_id": code,
            "pharmacy_id": pharmacy_id,
            "kind": kind,
            "reason": reason,
            "sold": sold or {},
        }
    )
    return envelope(topics.PHARMACY_EVENTS, data, subject=code, event_id=event_id), data


def cancel(
    code: str, *, event_id: str | None = None, signed: bool = True
) -> tuple[Envelope, CancellationRequested]:
    data = fhir.cancellation(code, "bác sĩ đổi thuốc")
    return envelope(topics.RX_CANCEL, data, subject=code, event_id=event_id, signed=signed), data


def deadline(code: str, *, event_id: str | None = None) -> tuple[Envelope, DeadlineReached]:
    data = DeadlineReached(prescription_id=code, due_at=T0 + VALIDITY)
    return envelope(topics.COORDINATOR_DEADLINES, data, subject=code, event_id=event_id), data


def _stored(outcome: Outcome) -> PrescriptionRecord:
    assert outcome.record is not None, outcome.note
    return outcome.record


# The pharmacy-event path from AVAILABLE to each state (delivery or pickup as needed).
_PATHS: dict[State, tuple[str, ...]] = {
    State.ORDERED: (),
    State.ACCEPTED: ("accepted",),
    State.DISPENSED: ("accepted", "dispensed"),
    State.OUT_FOR_DELIVERY: ("accepted", "dispensed", "out_for_delivery"),
    State.DELIVERY_FAILED: ("accepted", "dispensed", "out_for_delivery", "delivery_failed"),
    State.DELIVERED: ("accepted", "dispensed", "out_for_delivery", "delivered"),
    State.PICKED_UP: ("accepted", "dispensed", "picked_up"),
}


def record_in(
    state: State,
    *,
    type_letter: str = "c",
    fulfilment: Fulfilment | None = None,
) -> PrescriptionRecord:
    """A stored record in `state`, reached through the real handlers from a fresh submission."""
    ctx = context()
    if state == State.REJECTED:
        payload = bundle(hospital=NOT_ONBOARDED_HOSPITAL, type_letter=type_letter)
        return _stored(handlers.on_issued(None, issued(payload), ctx))
    record = _stored(handlers.on_issued(None, issued(bundle(type_letter=type_letter)), ctx))
    code = record.prescription_id
    if state == State.AVAILABLE:
        return record
    if state == State.CANCELLED:
        return _stored(handlers.on_cancel(record, *cancel(code), ctx))
    if state == State.EXPIRED:
        late = context(now=T0 + VALIDITY)
        return _stored(handlers.on_deadline(record, *deadline(code), late))
    if fulfilment is None:
        delivery_states = {State.OUT_FOR_DELIVERY, State.DELIVERY_FAILED, State.DELIVERED}
        fulfilment = Fulfilment.DELIVERY if state in delivery_states else Fulfilment.PICKUP
    record = _stored(handlers.on_choice(record, *choice(code, fulfilment=fulfilment), ctx))
    for kind in _PATHS[state]:
        record = _stored(handlers.on_pharmacy(record, *pharmacy_update(code, kind), ctx))
    assert record.state == state
    return record


def status(
    *,
    correlation_id: str,
    code: str,
    state: State,
    at: datetime,
    reason_code: str | None = None,
    issued_at: datetime | None = None,
    event_id: str | None = None,
) -> tuple[Envelope, StatusChanged]:
    """An rx.status event as the coordinator publishes it, for the ledger."""
    data = StatusChanged(
        prescription_id=code,
        state=state,
        reason_code=reason_code,
        issued_at=issued_at,
        task=fhir.status_task(code, state, at, None),
    )
    env = envelope(
        topics.RX_STATUS,
        data,
        subject=code,
        event_id=event_id,
        correlation_id=correlation_id,
        time=at,
    )
    return env, data


def order(*items: Item, pharmacy_id: str = PHARMACY_A, code: str = "01001abcdefg-c") -> OrderPlaced:
    return OrderPlaced(
        prescription_id=code,
        pharmacy_id=pharmacy_id,
        fulfilment=Fulfilment.PICKUP,
        items=list(items),
        task=fhir.fulfilment_task(code, pharmacy_id, T0),
        medication_requests=[{"resourceType": "MedicationRequest"}],
    )


def item(drug: Drug, quantity: float) -> Item:
    return Item(
        drug_code=drug.registration_number, name=drug.name, quantity=quantity, unit=drug.unit
    )
