"""`rxsim contracts check` as a whole: it passes on the checked-in contracts, and fails with a
precise line when the JSON Schema drifts from the models or the AsyncAPI document is wrong."""

import copy
from typing import Any

import pytest
from typer.testing import CliRunner

from rxsim.cli.main import app
from rxsim.tools.contracts import asyncapi
from rxsim.tools.contracts import check as contract_check
from rxsim.tools.contracts import schema_set as contracts
from schemas import topics

DOC = asyncapi.load()


def problems_in(edit: Any) -> list[str]:
    doc = copy.deepcopy(DOC)
    edit(doc)
    return list(contract_check.document(doc))


def test_contracts_check_passes_on_the_checked_in_contracts() -> None:
    result = CliRunner().invoke(app, ["contracts", "check"])
    assert result.exit_code == 0, result.output
    assert "contracts hold" in result.output


def test_contracts_check_fails_naming_topic_message_and_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changed = contracts.generated()
    name = contracts.file_name(topics.PHARMACY_EVENTS)
    changed[name]["properties"]["data"]["properties"]["kind"]["enum"].remove("picked_up")
    monkeypatch.setattr(contracts, "generated", lambda: copy.deepcopy(changed))
    result = CliRunner().invoke(app, ["contracts", "check"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert (
        "pharmacy.events / vn.rxsim.pharmacy.order-updated: field data.kind: "
        "enum narrowed (removed 'picked_up') — breaks BACKWARD" in output
    )


def test_checked_in_schema_that_differs_from_the_models_is_named() -> None:
    on_disk = contracts.read_set(contracts.JSONSCHEMA_DIR)
    name = contracts.file_name(topics.RX_STATUS)
    on_disk[name]["properties"]["data"]["required"].remove("task")
    assert list(contract_check.drift(on_disk)) == [
        "rx.status / vn.rxsim.rx.status-changed: checked-in JSON Schema differs from the "
        "models (field data.task: optional field became required); "
        "run `rxsim contracts generate`"
    ]


def test_missing_checked_in_schema_is_named() -> None:
    on_disk = contracts.read_set(contracts.JSONSCHEMA_DIR)
    del on_disk[contracts.file_name(topics.RX_CANCEL)]
    assert [p.split(":")[0] for p in contract_check.drift(on_disk)] == [
        "rx.cancel / vn.rxsim.rx.cancellation-requested"
    ]


def test_the_document_as_checked_in_has_no_problem() -> None:
    assert list(contract_check.document(DOC)) == []


def test_a_channel_the_code_does_not_have_is_named() -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["channels"]["rx.renewals"] = copy.deepcopy(doc["channels"]["rx.cancel"])
        doc["channels"]["rx.renewals"]["address"] = "rx.renewals"

    assert problems_in(add) == [
        "asyncapi.json: channel 'rx.renewals' names a topic the code does not have"
    ]


def test_a_topic_the_document_does_not_name_is_named() -> None:
    def remove(doc: dict[str, Any]) -> None:
        del doc["channels"]["pharmacy.orders"]
        doc["operations"] = {
            k: v for k, v in doc["operations"].items() if not k.endswith("pharmacy.orders")
        }

    assert problems_in(remove) == [
        "pharmacy.orders: topic not in asyncapi.json; run `rxsim contracts generate`"
    ]


def test_a_message_the_code_does_not_have_is_named() -> None:
    def add(doc: dict[str, Any]) -> None:
        messages = doc["components"]["messages"]
        messages["vn.rxsim.rx.renewal-requested"] = copy.deepcopy(
            messages["vn.rxsim.rx.cancellation-requested"]
        )

    assert problems_in(add) == [
        "asyncapi.json: message 'vn.rxsim.rx.renewal-requested' is not a message the code has"
    ]


def test_invalid_asyncapi_structure_is_named() -> None:
    def break_it(doc: dict[str, Any]) -> None:
        doc["operations"]["hospital-sends-rx.issued"]["action"] = "publish"  # AsyncAPI 2 word
        del doc["info"]["version"]

    found = problems_in(break_it)
    assert len(found) == 2
    assert found[0].startswith("asyncapi.json: invalid AsyncAPI 3.0 at $.info:")
    assert "'version' is a required property" in found[0]
    assert found[1].startswith(
        "asyncapi.json: invalid AsyncAPI 3.0 at $.operations['hospital-sends-rx.issued'].action"
    )


def test_dangling_reference_is_named() -> None:
    def dangle(doc: dict[str, Any]) -> None:
        op = doc["operations"]["pharmacy-receives-pharmacy.orders"]
        op["channel"]["$ref"] = "#/channels/pharmacy.order"

    assert problems_in(dangle) == [
        "asyncapi.json: $ref '#/channels/pharmacy.order' points at nothing"
    ]


def test_an_example_that_does_not_validate_is_named() -> None:
    def spoil(doc: dict[str, Any]) -> None:
        message = doc["components"]["messages"]["vn.rxsim.citizen.pharmacy-chosen"]
        message["examples"][0]["payload"]["data"]["fulfilment"] = "drone"

    found = problems_in(spoil)
    assert len(found) == 1
    assert found[0].startswith(
        "citizen.choices / vn.rxsim.citizen.pharmacy-chosen: example "
        "'citizen.choices-example': field data.fulfilment: 'drone' is not one of"
    )


def test_payload_that_differs_from_the_models_is_named() -> None:
    def retype(doc: dict[str, Any]) -> None:
        doc["components"]["schemas"]["Item"]["properties"]["quantity"]["type"] = "string"

    assert problems_in(retype) == [
        "asyncapi.json: components.schemas differ from the models; run `rxsim contracts generate`"
    ]
