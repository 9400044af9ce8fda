"""schemas/asyncapi.json: the AsyncAPI 3.0 document of every topic (channel), its message, key,
headers and examples — built from schemas/topics.py and the models, and checked against them.

Examples are kept once written (they carry ids and times, so regenerating would churn the
file); a message without one gets a fresh example from the real code paths (rxsim.tools.examples).
"""

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rxsim.tools.contracts.schema_set import ASYNCAPI_PATH, Schema
from schemas.envelope import Envelope
from schemas.topics import ALL_TOPICS, Topic

COMPONENT_REF = "#/components/schemas/{model}"
KAFKA_BINDING = "0.5.0"
HEADERS: Schema = {
    "type": "object",
    "description": "Kafka record headers (CloudEvents Kafka protocol binding). rxsim writes "
    "structured mode: the CloudEvent travels whole in the value and content-type says so. "
    "Consumers also accept binary mode: the attributes in ce_-prefixed headers (ce_id, "
    "ce_type, ce_source, ce_subject, ce_time, ce_dataschema, ce_correlationid, ...), the "
    "data's media type in content-type, and the data alone in the value. W3C trace context "
    "is reserved for tracing.",
    "properties": {
        "content-type": {"type": "string", "examples": ["application/cloudevents+json"]},
        "traceparent": {"type": "string"},
        "tracestate": {"type": "string"},
    },
}


def component_schemas() -> dict[str, Schema]:
    models: list[type[BaseModel]] = [Envelope, *(t.data_model for t in ALL_TOPICS)]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=COMPONENT_REF)
    return dict(sorted(top["$defs"].items()))


def payload(topic: Topic) -> Schema:
    pinned = {
        "type": {"const": topic.event_type},
        "dataschema": {"const": topic.dataschema},
        "data": {"$ref": COMPONENT_REF.format(model=topic.data_model.__name__)},
    }
    envelope = {"$ref": COMPONENT_REF.format(model="Envelope")}
    return {"allOf": [envelope, {"type": "object", "properties": pinned}]}


def message(topic: Topic, examples: list[dict[str, Any]]) -> Schema:
    return {
        "name": topic.data_model.__name__,
        "title": topic.event_type,
        "summary": (topic.data_model.__doc__ or "").strip().splitlines()[0],
        "contentType": "application/json",
        "headers": HEADERS,
        "payload": payload(topic),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": topic.key},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": examples,
    }


def channel(topic: Topic) -> Schema:
    ref = f"#/components/messages/{topic.event_type}"
    return {
        "address": topic.name,
        "description": f"Key: {topic.key}. Written by {', '.join(topic.producers)}; "
        f"read by {', '.join(topic.consumers)}.",
        "messages": {topic.event_type: {"$ref": ref}},
        "bindings": {"kafka": {"topic": topic.name, "bindingVersion": KAFKA_BINDING}},
        "x-compatibility": str(topic.compatibility),
        "x-key": topic.key,
    }


def operations(topic: Topic) -> dict[str, Schema]:
    found = {}
    for action, services in (("send", topic.producers), ("receive", topic.consumers)):
        for service in services:
            found[f"{service}-{action}s-{topic.name}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{topic.name}"},
                "messages": [{"$ref": f"#/channels/{topic.name}/messages/{topic.event_type}"}],
            }
    return found


def build(examples: dict[str, list[dict[str, Any]]]) -> Schema:
    """The document, with `examples` (message name -> AsyncAPI example objects)."""
    return {
        "asyncapi": "3.0.0",
        "id": "urn:rxsim:events",
        "info": {
            "title": "rxsim e-prescription events",
            "version": "1.0.0",
            "description": "Hospitals → national coordinator → VNeID app → pharmacy: FHIR in "
            "CloudEvents 1.0 envelopes (structured JSON) on Kafka. `x-compatibility` on each "
            "channel is the mode `rxsim contracts check` enforces against schemas/baseline/.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`rxsim up` prints the address of the broker it runs",
            }
        },
        "channels": {t.name: channel(t) for t in ALL_TOPICS},
        "operations": {k: v for t in ALL_TOPICS for k, v in operations(t).items()},
        "components": {
            "schemas": component_schemas(),
            "messages": {
                t.event_type: message(t, examples.get(t.event_type, [])) for t in ALL_TOPICS
            },
        },
    }


def load() -> Schema:
    return dict(json.loads(ASYNCAPI_PATH.read_text("utf-8")))


def fresh_examples() -> dict[str, list[dict[str, Any]]]:
    from rxsim.tools import examples  # imports the services' code: only when examples are made

    made: dict[str, list[dict[str, Any]]] = {}
    for topic, event in examples.story():
        label = event["data"].get("state") or event["data"].get("kind") or "example"
        made.setdefault(topic.event_type, []).append(
            {
                "name": f"{topic.name}-{str(label).lower()}",
                "summary": f"{topic.name}: {label}",
                "headers": {"content-type": "application/cloudevents+json"},
                "payload": event,
            }
        )
    return made


def kept_examples() -> dict[str, list[dict[str, Any]]]:
    """The examples in the checked-in document, by message; fresh ones where none are kept."""
    kept: dict[str, list[dict[str, Any]]] = {}
    if ASYNCAPI_PATH.exists():
        for name, msg in load().get("components", {}).get("messages", {}).items():
            if msg.get("examples"):
                kept[name] = msg["examples"]
    if any(t.event_type not in kept for t in ALL_TOPICS):
        kept = {**fresh_examples(), **kept}
    return kept
