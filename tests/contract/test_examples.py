"""Every message type's examples (in schemas/asyncapi.json) validate against the checked-in
contract, and a mutated example fails naming the field that was broken."""

import copy
from typing import Any

import pytest

from rxsim.tools.contracts import asyncapi
from rxsim.tools.contracts import schema_set as contracts
from rxsim.tools.contracts.validation import validate
from schemas.topics import ALL_TOPICS, Topic

DOC = asyncapi.load()


def examples_of(topic: Topic) -> list[dict[str, Any]]:
    return [e["payload"] for e in DOC["components"]["messages"][topic.event_type]["examples"]]


def first_example(topic: Topic) -> dict[str, Any]:
    return copy.deepcopy(examples_of(topic)[0])


def data_schema(topic: Topic) -> dict[str, Any]:
    return dict(contracts.message_schema(topic)["properties"]["data"])


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda t: t.name)
def test_every_example_validates(topic: Topic) -> None:
    assert examples_of(topic), f"{topic.name} has no example"
    for example in examples_of(topic):
        assert validate(topic, example) == []


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda t: t.name)
def test_example_without_a_required_data_field_names_it(topic: Topic) -> None:
    for field in data_schema(topic)["required"]:
        example = first_example(topic)
        del example["data"][field]
        problems = validate(topic, example)
        assert problems, f"data.{field} removed but the example still validates"
        assert problems[0].startswith(f"field data.{field}:"), problems[0]


def is_string(spec: dict) -> bool:
    """A string field, or an optional one (a string or null)."""
    return spec.get("type") == "string" or {"type": "string"} in spec.get("anyOf", [])


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda t: t.name)
def test_example_with_a_wrongly_typed_field_names_it(topic: Topic) -> None:
    properties = data_schema(topic)["properties"]
    strings = [name for name, spec in properties.items() if is_string(spec)]
    assert strings, f"{topic.name}: no string field to mutate"
    for field in strings:
        example = first_example(topic)
        example["data"][field] = 12345
        problems = validate(topic, example)
        assert problems and problems[0].startswith(f"field data.{field}:"), (field, problems)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda t: t.name)
def test_example_of_another_topic_is_refused_by_type(topic: Topic) -> None:
    example = first_example(topic)
    example["type"] = "vn.rxsim.something-else"
    assert validate(topic, example)[0].startswith("field type:")


@pytest.mark.parametrize("field", ["id", "source", "subject", "time", "correlationid", "data"])
def test_example_without_an_envelope_field_names_it(field: str) -> None:
    example = first_example(ALL_TOPICS[0])
    del example[field]
    assert validate(ALL_TOPICS[0], example)[0].startswith(f"field {field}:")


def test_unknown_field_in_a_closed_model_is_named() -> None:
    from schemas.topics import PHARMACY_EVENTS

    example = first_example(PHARMACY_EVENTS)
    example["data"]["courier_phone"] = "0901234567"
    assert validate(PHARMACY_EVENTS, example)[0].startswith("field data.courier_phone:")


def test_enum_value_outside_the_contract_is_named() -> None:
    from schemas.topics import PHARMACY_EVENTS, RX_STATUS

    update = first_example(PHARMACY_EVENTS)
    update["data"]["kind"] = "lost_in_transit"
    assert validate(PHARMACY_EVENTS, update)[0].startswith("field data.kind:")
    status = first_example(RX_STATUS)
    status["data"]["state"] = "SHIPPED"
    assert validate(RX_STATUS, status)[0].startswith("field data.state:")


def test_nested_item_field_is_named_with_its_index() -> None:
    from schemas.topics import PHARMACY_ORDERS

    order = first_example(PHARMACY_ORDERS)
    order["data"]["items"][0]["quantity"] = -3
    assert validate(PHARMACY_ORDERS, order)[0].startswith("field data.items[0].quantity:")
