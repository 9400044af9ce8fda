"""The contract files: JSON Schema generated from the pydantic models in schemas/, where they
live, and how to read and write a set of them.

One schema per message (its topic's event type): the CloudEvents envelope with `type`,
`dataschema` and `data` pinned to that topic, self-contained, so an outside system can validate
one message with one file. `envelope.json` is the envelope alone, for reference.
"""

import json
from pathlib import Path
from typing import Any

import schemas
from schemas.envelope import Envelope
from schemas.topics import ALL_TOPICS, Topic

Schema = dict[str, Any]
SCHEMAS_DIR = Path(schemas.__file__).parent
JSONSCHEMA_DIR = SCHEMAS_DIR / "jsonschema"
BASELINE_DIR = SCHEMAS_DIR / "baseline"
ASYNCAPI_PATH = SCHEMAS_DIR / "asyncapi.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "envelope.json"
# Which topic a message schema belonged to, in the baselines released before: the schemas no
# longer carry it (the file name, the event type, names the topic), as ajv's default strict
# mode refuses a keyword it does not know.
TOPIC_KEY = "x-rxsim-topic"


def file_name(topic: Topic) -> str:
    return f"{topic.event_type}.json"


def envelope_schema() -> Schema:
    return {
        "$schema": DIALECT,
        "$id": "urn:rxsim:schema:envelope:1",
        **Envelope.model_json_schema(),
    }


def message_schema(topic: Topic) -> Schema:
    """The whole message on `topic`: envelope + that topic's data model, refs made local."""
    schema = envelope_schema()
    data = topic.data_model.model_json_schema()
    defs = data.pop("$defs", {})
    props = schema["properties"]
    props["type"] = {**props["type"], "const": topic.event_type}
    props["dataschema"] = {**props["dataschema"], "const": topic.dataschema}
    props["datacontenttype"] = {**props["datacontenttype"], "default": topic.datacontenttype}
    props["data"] = data
    schema.update(
        {
            "$id": topic.dataschema,
            "title": topic.event_type,
            "description": f"{topic.name}: {topic.data_model.__doc__ or ''}".strip(),
        }
    )
    if defs:
        schema["$defs"] = defs
    return schema


def generated() -> dict[str, Schema]:
    """File name -> schema, from the models as they are now."""
    files = {ENVELOPE_FILE: envelope_schema()}
    files.update({file_name(topic): message_schema(topic) for topic in ALL_TOPICS})
    return files


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_set(folder: Path) -> dict[str, Schema]:
    if not folder.is_dir():
        return {}
    return {
        path.name: json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))
    }


def write_set(folder: Path, files: dict[str, Schema]) -> list[str]:
    """Write `files` into `folder`, removing schemas no longer generated; return what changed."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for stale in set(read_set(folder)) - set(files):
        (folder / stale).unlink()
        changed.append(stale)
    for name, schema in files.items():
        path = folder / name
        text = dumps(schema)
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            changed.append(name)
    return sorted(changed)


def topic_of(name: str) -> Topic | None:
    """The code's topic for a message schema file, or None for the envelope / an unknown one."""
    return next((topic for topic in ALL_TOPICS if file_name(topic) == name), None)


def where(name: str, schema: Schema) -> str:
    """`topic / message`, the way every problem with one message is named."""
    if name == ENVELOPE_FILE:
        return "(all topics) / envelope"
    topic = topic_of(name)
    return f"{topic.name if topic else schema.get(TOPIC_KEY, '?')} / {name.removesuffix('.json')}"
