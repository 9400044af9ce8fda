"""The part of the AsyncAPI 3.0.0 document structure rxsim's document uses, as a JSON Schema.

The official schema set (asyncapi/spec-json-schemas) is spread over ~70 files; this keeps the
rules that catch real mistakes here: required fields, the allowed keys of every object we
write (closed, `x-` extensions allowed, as the spec says), component key syntax, operations'
actions, references as `{"$ref": ...}`, and example objects. Whether each `$ref` points at
something is checked by rxsim.tools.contracts.asyncapi, which JSON Schema cannot express.
"""

from typing import Any

EXTENSION: dict[str, Any] = {"^x-[\\w\\d.\\-_]+$": {}}
KEY = "^[\\w\\d.\\-_]+$"  # component and map keys, per the spec
REF = {
    "type": "object",
    "required": ["$ref"],
    "properties": {"$ref": {"type": "string", "format": "uri-reference"}},
    "additionalProperties": False,
}


def _closed(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "patternProperties": EXTENSION,
        "additionalProperties": False,
    }


def _map(value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "propertyNames": {"pattern": KEY}, "additionalProperties": value}


TEXT = {"type": "string"}
BINDINGS = {"type": "object", "additionalProperties": {"type": "object"}}
EXAMPLE = {
    **_closed([], {"name": TEXT, "summary": TEXT, "headers": {"type": "object"}, "payload": {}}),
    "anyOf": [{"required": ["payload"]}, {"required": ["headers"]}],
}
MESSAGE = _closed(
    ["payload"],
    {
        "name": TEXT,
        "title": TEXT,
        "summary": TEXT,
        "description": TEXT,
        "contentType": TEXT,
        "headers": {"type": "object"},
        "payload": {"type": "object"},
        "bindings": BINDINGS,
        "examples": {"type": "array", "minItems": 1, "items": EXAMPLE},
    },
)
CHANNEL = _closed(
    [],
    {
        "address": {"type": ["string", "null"]},
        "title": TEXT,
        "summary": TEXT,
        "description": TEXT,
        "messages": _map({"oneOf": [REF, MESSAGE]}),
        "bindings": BINDINGS,
    },
)
OPERATION = _closed(
    ["action", "channel"],
    {
        "action": {"enum": ["send", "receive"]},
        "channel": REF,
        "title": TEXT,
        "summary": TEXT,
        "description": TEXT,
        "messages": {"type": "array", "items": REF},
        "bindings": BINDINGS,
    },
)
SERVER = _closed(
    ["host", "protocol"], {"host": TEXT, "protocol": TEXT, "title": TEXT, "description": TEXT}
)
DOCUMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_closed(
        ["asyncapi", "info"],
        {
            "asyncapi": {"const": "3.0.0"},
            "id": {"type": "string", "format": "uri"},
            "info": _closed(
                ["title", "version"], {"title": TEXT, "version": TEXT, "description": TEXT}
            ),
            "defaultContentType": TEXT,
            "servers": _map(SERVER),
            "channels": _map(CHANNEL),
            "operations": _map(OPERATION),
            "components": _closed(
                [],
                {
                    "schemas": _map({"type": ["object", "boolean"]}),
                    "messages": _map(MESSAGE),
                },
            ),
        },
    ),
}
