"""Sizes stay bounded end to end: what the coordinator stores and sends for a large but
acceptable prescription fits in a message, and a publisher refuses, before sending, an envelope
the pipeline could not carry."""

import asyncio
import copy

import orjson
import pytest

from rxsim.messaging import codec
from rxsim.messaging.kafka_io import Publisher
from schemas import topics
from schemas.events import OrderPlaced
from services.coordinator import handlers
from tests.support import factories as make

TEXT = "Uống sau ăn, " * 46_000  # about 600 KB of dosage text (Vietnamese, so multibyte)


def large_bundle() -> dict[str, object]:
    payload = copy.deepcopy(make.bundle())
    make.resource(payload, "MedicationRequest")["dosageInstruction"][0]["text"] = TEXT
    return payload


def test_a_large_prescription_is_stored_and_ordered_with_its_text_once() -> None:
    # Given a valid prescription whose dosage text is about 600 KB
    payload = large_bundle()
    text_bytes = len(TEXT.encode())
    assert len(orjson.dumps(payload)) < codec.MAX_MESSAGE_BYTES
    ctx = make.context()
    # When the coordinator accepts it and the citizen chooses a pharmacy
    record = handlers.on_issued(None, make.issued(payload), ctx).record
    assert record is not None
    outcome = handlers.on_choice(record, *make.choice(record.prescription_id), ctx)
    # Then the stored record holds the text once, and so does the order
    stored = orjson.dumps(record.model_dump(mode="json"))
    assert len(stored) < text_bytes * 1.2
    [order] = [out.data for out in outcome.out if out.topic == topics.PHARMACY_ORDERS]
    assert isinstance(order, OrderPlaced)
    assert len(orjson.dumps(order.model_dump(mode="json"))) < text_bytes * 1.2
    # And the pharmacy still has the instructions, with each item
    assert order.items[0].instructions == TEXT


def test_a_publisher_refuses_an_envelope_too_large_to_carry_before_sending() -> None:
    publisher = Publisher("localhost:1", "hospital")  # never started: nothing may be sent
    bundle = {"resourceType": "Bundle", "padding": "x" * (codec.MAX_MESSAGE_BYTES - 100)}
    assert len(orjson.dumps(bundle)) < codec.MAX_MESSAGE_BYTES

    with pytest.raises(codec.MessageTooLarge) as refused:
        asyncio.run(publisher.publish(topics.RX_ISSUED, "k", bundle, subject="k"))

    assert refused.value.size > codec.MAX_MESSAGE_BYTES
