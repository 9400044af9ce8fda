"""One realistic example message per topic, made by the real code paths: the hospital's Bundle
builder, the coordinator's handlers, the pharmacy's rules and the dead-letter encoder. So the
examples in the AsyncAPI document are what the running system sends, not hand-written guesses.
"""

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from rxsim import fhir
from rxsim.domain.reference.country import DRUGS
from rxsim.fhir import bundles, signing, synthetic
from rxsim.fhir.audit import Action
from rxsim.messaging import codec
from rxsim.messaging.audit import Entry, audit_record
from rxsim.messaging.tokens import Caller, Role
from rxsim.scenario import load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import (
    CounterfeitSuspected,
    DeadlineReached,
    Fulfilment,
    OrderCancellationRequested,
    OrderPlaced,
    PharmacyChosen,
    PharmacyUpdated,
)
from schemas.topics import Topic
from services.coordinator import handlers
from services.coordinator.context import context_for
from services.coordinator.outcome import Outcome
from services.hospital import runs
from services.hospital.generator import GeneratorRun
from services.pharmacy import domain

Event = dict[str, Any]
ORDINARY_DRUGS = [drug for drug in DRUGS if drug.type_letter == "c"]  # deliverable to the home


def _event(
    topic: Topic, service: str, data: Any, cause: Event | None = None, seed: int | None = None
) -> Event:
    """An event as `service` sends it; a prescription is signed by its hospital of the
    scenario `seed`."""
    return codec.new_event(
        topic,
        source=f"rxsim/{service}",
        subject=cause["subject"] if cause else data["identifier"]["value"],
        data=data,
        correlation_id=cause["correlationid"] if cause else None,
        causation_id=cause["id"] if cause else None,
        signature=(
            signing.simulated_signature(data, seed, validated=True) if seed is not None else None
        ),
    )


def _outgoing(outcome: Outcome, cause: Event) -> list[tuple[Topic, Event]]:
    """What the coordinator sends, signed where it signs (orders, their cancellations)."""
    sent = []
    for out in outcome.out:
        body = out.data.model_dump(mode="json", exclude_none=True)
        event = codec.new_event(
            out.topic,
            source="rxsim/coordinator",
            subject=cause["subject"],
            data=body,
            correlation_id=out.correlation_id,
            causation_id=out.causation_id,
            signature=out.signer.sign(body) if out.signer is not None else None,
        )
        sent.append((out.topic, event))
    return sent


def story(seed: int = 2025) -> list[tuple[Topic, Event]]:
    """One prescription from issue to dispensing, with a cancellation, a refused choice, a
    deadline, a dead letter and a generator run beside it: every topic appears at least once."""
    rng = random.Random(seed)
    scenario = load("pilot")
    country = scenario.country
    hospital = next(h for h in country.hospitals if h.code in scenario.onboarded_facilities)
    citizen = next(c for c in country.citizens if c.province == hospital.province)
    pharmacy = country.pharmacies_in(hospital.province)[0]
    # Examples show the validity in simulated time (5 days), not the demo's compressed clock.
    ctx = replace(context_for(scenario), validity=scenario.validity)
    code = bundles.new_code(rng, hospital.code)
    bundle = synthetic.prescription(
        rng, code=code, hospital=hospital, citizen=citizen, drugs=rng.sample(ORDINARY_DRUGS, 2)
    )
    issued = _event(topics.RX_ISSUED, "hospital", bundle, seed=scenario.seed)
    outcome = handlers.on_issued(None, Envelope.model_validate(issued), ctx)
    record = outcome.record
    assert record is not None and record.state == "AVAILABLE", (outcome.note, outcome.out)
    sent = [(topics.RX_ISSUED, issued), *_outgoing(outcome, issued)]
    choice = PharmacyChosen(
        prescription_id=code,
        citizen_id=citizen.cccd,
        pharmacy_id=pharmacy.id,
        fulfilment=Fulfilment.DELIVERY,
        address=citizen.address,
    )
    chosen = _event(topics.CITIZEN_CHOICES, "citizen_app", choice.model_dump(mode="json"), issued)
    outcome = handlers.on_choice(record, Envelope.model_validate(chosen), choice, ctx)
    sent += [(topics.CITIZEN_CHOICES, chosen), *_outgoing(outcome, chosen)]
    order = OrderPlaced.model_validate(sent[-1][1]["data"])
    # beside the story: the same choice sent again is refused, and the citizen told why
    again = _event(topics.CITIZEN_CHOICES, "citizen_app", choice.model_dump(mode="json"), issued)
    refused = handlers.on_choice(record, Envelope.model_validate(again), choice, ctx)
    refusal = [(topics.CITIZEN_CHOICES, again), *_outgoing(refused, again)]
    # beside the story: the prescriber cancels while the pharmacy holds the order
    sent_line = fhir.kept_for_cancelling(issued["data"])
    cancel = fhir.cancellation(code, "Kê nhầm liều (wrong dose)", sent_line)
    cancelled = _event(
        topics.RX_CANCEL, "hospital", cancel.model_dump(mode="json", exclude_none=True), issued
    )
    ask = OrderCancellationRequested(
        prescription_id=code, pharmacy_id=pharmacy.id, reason=cancel.reason
    )
    asked = codec.new_event(
        topics.PHARMACY_CANCELLATIONS,
        source="rxsim/coordinator",
        subject=code,
        data=ask,
        correlation_id=issued["correlationid"],
        causation_id=cancelled["id"],
        signature=signing.coordinator_signer(scenario.seed).sign(ask.model_dump(mode="json")),
    )
    aside = [(topics.RX_CANCEL, cancelled), (topics.PHARMACY_CANCELLATIONS, asked)]
    dispensed = PharmacyUpdated(
        prescription_id=code,
        pharmacy_id=pharmacy.id,
        kind="dispensed",
        dispenses=domain.dispenses(order, ctx.now),
        sold={item.drug_code: item.quantity for item in order.items},
    )
    update = dispensed.model_dump(mode="json", exclude_none=True)
    sent.append(
        (topics.PHARMACY_EVENTS, _event(topics.PHARMACY_EVENTS, "pharmacy", update, chosen))
    )
    return sent + aside + refusal + _aside(order, issued, ctx.now + ctx.validity)


def _aside(order: OrderPlaced, issued: Event, due: datetime) -> list[tuple[Topic, Event]]:
    """The topics one happy story does not touch."""
    code, drug = order.prescription_id, order.items[0].drug_code
    lot = "XX480213"  # a lot the national batch registry does not know
    alert = CounterfeitSuspected(
        prescription_id=code,
        pharmacy_id=order.pharmacy_id,
        registration_number=drug,
        lot=lot,
        reason=domain.lot_problem(drug, lot) or "unknown batch",
    )
    deadline = DeadlineReached(prescription_id=code, due_at=due + timedelta(seconds=1))
    _key, value = codec.dead_letter(
        raw=b'{"specversion": "1.0", "id": "',
        key=code.encode(),
        source_topic=topics.RX_ISSUED.name,
        partition=2,
        offset=418,
        consumer="coordinator",
        reason="not JSON: unexpected end of data: line 1 column 31 (char 30)",
    )
    return [
        (
            topics.PHARMACY_ALERTS,
            _event(topics.PHARMACY_ALERTS, "pharmacy", alert.model_dump(), issued),
        ),
        (
            topics.COORDINATOR_DEADLINES,
            _event(
                topics.COORDINATOR_DEADLINES,
                "coordinator",
                deadline.model_dump(mode="json"),
                issued,
            ),
        ),
        (topics.RX_DEADLETTER, orjson.loads(value)),
        (topics.HOSPITAL_RUNS, _run_recorded()),
        (topics.RX_AUDIT, _audited(order)),
    ]


def _audited(order: OrderPlaced) -> Event:
    """The citizen app's record of a citizen reading one of their prescriptions."""
    cccd = "001085001234"
    caller = Caller(Role.CITIZEN, cccd)
    what = "GET /citizens/{cccd}/prescriptions/{prescription_id}"
    entry = Entry(prescription_id=order.prescription_id, citizen_id=cccd)
    return audit_record("citizen_app", caller, Action.READ, what, entry)


def _run_recorded() -> Event:
    """A generator run as the hospital records it when it starts."""
    run = GeneratorRun(target=300, rate=12.0, run_id="5b0f7f0e-6a55-4c1e-9d4a-2f1d0c8e7b31")
    return codec.new_event(
        topics.HOSPITAL_RUNS,
        source="rxsim/hospital",
        subject=run.run_id,
        data=runs.record_of(run),
    )
