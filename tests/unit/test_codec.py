"""Decoding checks a message against its topic's contract and, when it is bad, names the problem
in one reason for the dead-letter topic."""

import base64
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rxsim.messaging import codec
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import DeadLettered, Fulfilment, PharmacyChosen
from tests.support import factories as make

TOPIC = topics.CITIZEN_CHOICES
Event = dict[str, Any]


def good_event() -> Event:
    data = PharmacyChosen(
        prescription_id="01001abcdefg-c",
        citizen_id=make.CITIZEN.cccd,
        pharmacy_id=make.PHARMACY_A,
        fulfilment=Fulfilment.PICKUP,
    )
    return codec.new_event(TOPIC, source="rxsim/citizen_app", subject="01001abcdefg-c", data=data)


def reason_for(raw: bytes | None) -> str:
    with pytest.raises(codec.Undecodable) as refused:
        codec.decode(TOPIC, raw)
    assert str(refused.value) == refused.value.reason
    return refused.value.reason


def test_a_good_message_decodes_into_its_envelope_and_data() -> None:
    event = good_event()

    envelope, data = codec.decode(TOPIC, codec.encode(event))

    assert isinstance(envelope, Envelope)
    assert envelope.id == event["id"]
    assert envelope.correlationid == event["id"]  # a new story begins with this event
    assert envelope.type == TOPIC.event_type
    assert isinstance(data, PharmacyChosen)
    assert data.pharmacy_id == make.PHARMACY_A


def test_garbage_bytes_are_not_json() -> None:
    assert reason_for(b"\xff\xfe garbage").startswith("not JSON")


def test_an_empty_message_is_refused() -> None:
    assert reason_for(None) == "empty message (no value)"


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"event"', b"42", b"null"])
def test_json_that_is_not_an_object_is_refused(raw: bytes) -> None:
    assert reason_for(raw) == "envelope is not a JSON object"


def _set(field: str, value: Any) -> Callable[[Event], None]:
    def spoil(event: Event) -> None:
        event[field] = value

    return spoil


def _drop(field: str) -> Callable[[Event], None]:
    def spoil(event: Event) -> None:
        del event[field]

    return spoil


def _set_data(field: str, value: Any) -> Callable[[Event], None]:
    def spoil(event: Event) -> None:
        event["data"][field] = value

    return spoil


def _drop_data(field: str) -> Callable[[Event], None]:
    def spoil(event: Event) -> None:
        del event["data"][field]

    return spoil


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_set("type", topics.RX_CANCEL.event_type), "does not belong on citizen.choices"),
        (_set("dataschema", "urn:rxsim:schema:vn.rxsim.citizen.pharmacy-chosen:2"), "dataschema"),
        (_drop("source"), "envelope.source: Field required"),
        (_drop("time"), "envelope.time: Field required"),
        (_set("specversion", "0.3"), "envelope.specversion"),
        (_set("id", ""), "envelope.id"),
        (_drop("data"), "envelope.data: Field required"),
        (_set_data("fulfilment", "drone"), "data.fulfilment"),
        (_set_data("unexpected", 1), "data.unexpected"),
        (_drop_data("pharmacy_id"), "data.pharmacy_id: Field required"),
    ],
    ids=[
        "wrong-type",
        "wrong-dataschema",
        "missing-source",
        "missing-time",
        "wrong-specversion",
        "empty-id",
        "missing-data",
        "bad-data-enum",
        "extra-data-field",
        "missing-data-field",
    ],
)
def test_a_message_breaking_its_contract_is_refused_naming_the_problem(
    spoil: Callable[[Event], None], expected: str
) -> None:
    event = good_event()
    spoil(event)

    assert expected in reason_for(codec.encode(event))


def test_a_wrong_dataschema_reason_names_both_schemas() -> None:
    event = good_event()
    event["dataschema"] = "urn:rxsim:schema:other:1"

    reason = reason_for(codec.encode(event))

    assert "urn:rxsim:schema:other:1" in reason
    assert TOPIC.dataschema in reason


def test_the_reason_names_every_problem_not_only_the_first() -> None:
    event = good_event()
    del event["source"]
    del event["subject"]

    reason = reason_for(codec.encode(event))

    assert "envelope.source: Field required" in reason
    assert "envelope.subject: Field required" in reason
    assert "more)" not in reason


def test_a_reason_with_very_many_problems_is_bounded_and_says_how_many_it_left_out() -> None:
    event = good_event()
    event["data"].update({f"extra{n}": n for n in range(codec.PROBLEMS_NAMED + 7)})

    reason = reason_for(codec.encode(event))

    assert reason.count("Extra inputs are not permitted") == codec.PROBLEMS_NAMED
    assert reason.endswith("(+7 more)")


def test_an_oversized_message_is_refused_before_it_is_parsed() -> None:
    event = good_event()
    event["data"]["address"] = "x" * codec.MAX_MESSAGE_BYTES
    raw = codec.encode(event)

    reason = reason_for(raw)

    assert reason == f"message of {len(raw)} bytes exceeds {codec.MAX_MESSAGE_BYTES}"


def test_a_message_of_exactly_the_limit_is_not_refused_for_its_size() -> None:
    event = good_event()
    event["data"]["address"] = ""
    padding = codec.MAX_MESSAGE_BYTES - len(codec.encode(event))
    event["data"]["address"] = "x" * padding
    raw = codec.encode(event)
    assert len(raw) == codec.MAX_MESSAGE_BYTES

    _, data = codec.decode(TOPIC, raw)

    assert isinstance(data, PharmacyChosen)


def test_a_dead_letter_keeps_the_original_bytes_key_and_reason() -> None:
    raw = b"\xff\xfe garbage"

    key, value = codec.dead_letter(
        raw=raw,
        key=b"01001abcdefg-c",
        source_topic=TOPIC.name,
        partition=2,
        offset=41,
        consumer="coordinator",
        reason="not JSON",
    )

    envelope, data = codec.decode(topics.RX_DEADLETTER, value)
    assert key == b"01001abcdefg-c"
    assert envelope.subject == "01001abcdefg-c"
    assert isinstance(data, DeadLettered)
    assert base64.b64decode(data.original_b64) == raw
    assert (data.source_topic, data.partition, data.offset) == (TOPIC.name, 2, 41)
    assert data.reason == "not JSON"
    assert orjson.loads(value)["type"] == topics.RX_DEADLETTER.event_type


def test_a_dead_letter_of_a_huge_key_keeps_its_start_size_and_hash_and_fits() -> None:
    huge = b"k" * 600_000 + b"\xff"

    key, value = codec.dead_letter(
        raw=b"x" * codec.MAX_MESSAGE_BYTES,
        key=huge,
        source_topic=TOPIC.name,
        partition=0,
        offset=7,
        consumer="hospital",
        reason="not JSON",
    )

    assert len(key) + len(value) < codec.MAX_MESSAGE_BYTES
    _, data = codec.decode(topics.RX_DEADLETTER, value)
    assert isinstance(data, DeadLettered)
    assert data.original_key is not None
    assert huge.startswith(data.original_key.encode())
    assert key == data.original_key.encode()
    assert data.original_key_size == len(huge)
    assert data.original_key_sha256 == hashlib.sha256(huge).hexdigest()


@given(st.text())
def test_an_event_id_derived_from_its_cause_is_the_uuid5_of_its_name(name: str) -> None:
    assert codec.uuid5_of_url(name) == str(uuid.uuid5(uuid.NAMESPACE_URL, name))
