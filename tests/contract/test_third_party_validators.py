"""rxsim's documents checked by validators that rxsim's own code does not use: every service's
OpenAPI document by openapi-spec-validator, and the JSON Schema contracts and the AsyncAPI
document's examples by jsonschema_rs (a Rust implementation; rxsim validates with the Python
`jsonschema`). Offline, without a stack: each service's FastAPI app is built, not started."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from rxsim.messaging.settings import Settings
from rxsim.tools.contracts.schema_set import ASYNCAPI_PATH, JSONSCHEMA_DIR
from rxsim.tools.dashboard.app import bootstrap as dashboard
from services.citizen_app.bootstrap import bootstrap as citizen_app
from services.coordinator.bootstrap import bootstrap as coordinator
from services.hospital.bootstrap import bootstrap as hospital
from services.pharmacy.bootstrap import bootstrap as pharmacy

# Nothing connects: the Kafka clients start with the server, which is never started here.
OFFLINE = Settings(kafka_bootstrap_servers="127.0.0.1:9", auth_secret="s" * 32)
APPS: dict[str, Callable[[Settings], FastAPI]] = {
    "hospital": hospital,
    "coordinator": coordinator,
    "pharmacy": pharmacy,
    "citizen_app": citizen_app,
    "dashboard": dashboard,
}
SCHEMA_FILES = sorted(JSONSCHEMA_DIR.glob("*.json"))
MESSAGES: dict[str, Any] = json.loads(ASYNCAPI_PATH.read_text("utf-8"))["components"]["messages"]
EXAMPLES = [
    pytest.param(name, example, id=f"{name}[{i}]")
    for name, message in MESSAGES.items()
    for i, example in enumerate(message["examples"])
]


@pytest.mark.parametrize("service", APPS)
def test_every_openapi_document_is_valid_openapi(service: str) -> None:
    document = APPS[service](OFFLINE).openapi()
    assert document["paths"], f"{service} documents no route"
    validate_openapi(document)  # raises, naming the element, when it is not valid


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_contract_is_valid_against_its_metaschema(path: Path) -> None:
    schema = json.loads(path.read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema_rs.meta.validate(schema)


def test_every_message_of_the_asyncapi_document_has_an_example() -> None:
    assert len(SCHEMA_FILES) == len(MESSAGES) + 1  # and the envelope alone
    assert all(message["examples"] for message in MESSAGES.values())


@pytest.mark.parametrize(("name", "example"), EXAMPLES)
def test_every_asyncapi_example_validates_against_its_contract(
    name: str, example: dict[str, Any]
) -> None:
    contract = json.loads((JSONSCHEMA_DIR / f"{name}.json").read_text("utf-8"))
    payload = jsonschema_rs.validator_for(contract, validate_formats=True)
    assert list(payload.iter_errors(example["payload"])) == []
    headers = jsonschema_rs.validator_for(MESSAGES[name]["headers"], validate_formats=True)
    assert list(headers.iter_errors(example["headers"])) == []


def test_the_independent_validator_does_refuse_a_message_its_contract_refuses() -> None:
    """The check above can fail: a wrong type and a bad date-time are refused."""
    name, example = EXAMPLES[0].values
    contract = json.loads((JSONSCHEMA_DIR / f"{name}.json").read_text("utf-8"))
    payload = jsonschema_rs.validator_for(contract, validate_formats=True)
    assert not payload.is_valid({**example["payload"], "type": "vn.rxsim.something-else"})
    assert not payload.is_valid({**example["payload"], "time": "yesterday"})


def test_the_openapi_validator_does_refuse_a_broken_document() -> None:
    document = APPS["coordinator"](OFFLINE).openapi()
    route = next(iter(document["paths"].values()))
    answer = next(iter(next(iter(route.values()))["responses"].values()))
    del answer["description"]  # required of every response
    with pytest.raises(OpenAPIValidationError, match="description"):
        validate_openapi(document)
