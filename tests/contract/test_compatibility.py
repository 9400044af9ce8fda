"""Each kind of breaking change to a real event model is caught against the baseline, with a
message naming topic, message and field; a compatible change (an optional field) passes."""

import dataclasses
from typing import Any, Literal, get_args

from pydantic import ConfigDict, create_model

from rxsim.tools.contracts import schema_set as contracts
from rxsim.tools.contracts.check import compatibility
from schemas import events, topics
from schemas.topics import Compatibility, Topic

BASELINE = contracts.read_set(contracts.BASELINE_DIR)


def problems_after(topic: Topic, model: Any, mode: Compatibility | None = None) -> list[str]:
    """The compatibility problems if `topic` carried `model` instead of its own data model."""
    current = contracts.generated()
    changed = dataclasses.replace(topic, data_model=model)
    current[contracts.file_name(topic)] = contracts.message_schema(changed)
    modes = {topic.name: mode} if mode else None
    return list(compatibility(BASELINE, current, modes))


def variant(base: Any, *, drop: str | None = None, extra: str = "forbid", **fields: Any) -> Any:
    """`base` with a field dropped and/or fields added or retyped (same class name)."""
    kept = {
        name: (info.annotation, info)
        for name, info in base.model_fields.items()
        if name != drop and name not in fields
    }
    return create_model(
        base.__name__,
        __config__=ConfigDict(extra=extra, frozen=True),  # type: ignore[typeddict-item]
        __doc__=base.__doc__,
        **kept,
        **fields,
    )


def test_the_models_as_they_are_match_the_baseline() -> None:
    assert list(compatibility(BASELINE, contracts.generated())) == []


def test_removed_required_field_is_caught() -> None:
    found = problems_after(
        topics.CITIZEN_CHOICES, variant(events.PharmacyChosen, drop="citizen_id")
    )
    assert found == [
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: field data.citizen_id: "
        "required field removed — breaks BACKWARD"
    ]


def test_changed_type_is_caught() -> None:
    found = problems_after(
        topics.CITIZEN_CHOICES, variant(events.PharmacyChosen, pharmacy_id=(int, ...))
    )
    assert found == [
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: field data.pharmacy_id: "
        "type changed from string to integer — breaks BACKWARD"
    ]


def test_narrowed_enum_is_caught() -> None:
    # Today's kinds without 'picked_up'
    kinds = Literal[tuple(k for k in get_args(events.PharmacyEventKind) if k != "picked_up")]  # type: ignore[valid-type]
    found = problems_after(
        topics.PHARMACY_EVENTS, variant(events.PharmacyUpdated, kind=(kinds, ...))
    )
    assert found == [
        "pharmacy.events / vn.rxsim.pharmacy.order-updated: field data.kind: "
        "enum narrowed (removed 'picked_up') — breaks BACKWARD"
    ]


def test_new_required_field_is_caught() -> None:
    found = problems_after(topics.CITIZEN_CHOICES, variant(events.PharmacyChosen, phone=(str, ...)))
    assert found == [
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: field data.phone: "
        "new required field — breaks BACKWARD"
    ]


def test_new_required_field_is_caught_beside_a_one_of() -> None:
    # an object that must also have one of two fields (FHIR's medication[x]) is still an object
    either = {"oneOf": [{"required": ["pickup_at"]}, {"required": ["address"]}]}
    model = create_model(
        "PharmacyChosen",
        __config__=ConfigDict(extra="forbid", frozen=True, json_schema_extra=either),  # type: ignore[typeddict-item]
        __doc__=events.PharmacyChosen.__doc__,
        **{n: (i.annotation, i) for n, i in events.PharmacyChosen.model_fields.items()},
        phone=(str, ...),
        pickup_at=(str | None, None),
    )
    found = problems_after(topics.CITIZEN_CHOICES, model)
    assert (
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: field data.phone: "
        "new required field — breaks BACKWARD" in found
    )


def test_closed_content_model_is_caught() -> None:
    closed = variant(events.PrescriptionIssued, extra="forbid")
    found = problems_after(topics.RX_ISSUED, closed)
    assert found == [
        "rx.issued / vn.rxsim.rx.issued: field data: "
        "content model closed (unknown fields now refused) — breaks FULL (BACKWARD)"
    ]


def test_opened_content_model_is_caught_where_old_readers_must_read_new_data() -> None:
    opened = variant(events.PharmacyChosen, extra="allow")
    found = problems_after(topics.CITIZEN_CHOICES, opened, Compatibility.FORWARD)
    assert found == [
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: field data: "
        "content model opened (unknown fields now allowed) — breaks FORWARD"
    ]
    # consumers-first (BACKWARD): a new reader that accepts more reads all old data
    assert problems_after(topics.CITIZEN_CHOICES, opened, Compatibility.BACKWARD) == []


def test_adding_an_optional_field_passes() -> None:
    note = (str | None, None)
    assert problems_after(topics.CITIZEN_CHOICES, variant(events.PharmacyChosen, note=note)) == []
    # on an open model the same addition is compatible in both directions
    open_bundle = variant(events.PrescriptionIssued, extra="allow", language=note)
    assert problems_after(topics.RX_ISSUED, open_bundle) == []


def test_adding_an_optional_field_to_a_closed_model_breaks_forward() -> None:
    # An old reader with extra="forbid" refuses the new field: producers cannot go first.
    with_note = variant(events.PharmacyChosen, note=(str | None, None))
    found = problems_after(topics.CITIZEN_CHOICES, with_note, Compatibility.FORWARD)
    assert found == [
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: field data.note: "
        "new optional field — breaks FORWARD"
    ]


def test_removed_message_is_caught() -> None:
    current = contracts.generated()
    del current[contracts.file_name(topics.RX_CANCEL)]
    assert list(compatibility(BASELINE, current)) == [
        "rx.cancel / vn.rxsim.rx.cancellation-requested: message removed "
        "— breaks every consumer of the topic"
    ]
