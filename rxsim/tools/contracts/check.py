"""`rxsim contracts check`: every way the contracts can be wrong, each named by topic, message
and field. Returns problems as lines; an empty list means the contracts hold."""

from collections.abc import Iterator
from typing import Any

from rxsim.messaging.codec import Undecodable, decode, encode
from rxsim.tools.contracts import asyncapi, compat
from rxsim.tools.contracts import schema_set as contracts
from rxsim.tools.contracts.asyncapi_spec import DOCUMENT
from rxsim.tools.contracts.schema_set import BASELINE_DIR, JSONSCHEMA_DIR, Schema, where
from rxsim.tools.contracts.validation import validate, validator_for
from schemas.topics import ALL_TOPICS, BY_NAME, Compatibility

REGENERATE = "run `rxsim contracts generate`"


def check() -> list[str]:
    return [*drift(), *compatibility(), *document()]


def _first_difference(a: Any, b: Any, at: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{at}/{key}")
    return at or "/"


def drift(
    on_disk: dict[str, Schema] | None = None, wanted: dict[str, Schema] | None = None
) -> Iterator[str]:
    """The checked-in JSON Schema must be exactly what the models generate."""
    on_disk = contracts.read_set(JSONSCHEMA_DIR) if on_disk is None else on_disk
    wanted = contracts.generated() if wanted is None else wanted
    for name in sorted(set(on_disk) | set(wanted)):
        if name not in on_disk:
            yield f"{where(name, wanted[name])}: schemas/jsonschema/{name} is missing; {REGENERATE}"
        elif name not in wanted:
            yield f"schemas/jsonschema/{name}: no such message in the code; {REGENERATE}"
        elif on_disk[name] != wanted[name]:
            fields = compat.changes(on_disk[name], wanted[name])
            detail = "; ".join(f"field {c.path}: {c.what}" for c in fields) or (
                f"at {_first_difference(on_disk[name], wanted[name])}"
            )
            yield (
                f"{where(name, wanted[name])}: checked-in JSON Schema differs from the models "
                f"({detail}); {REGENERATE}"
            )


def compatibility(
    baseline: dict[str, Schema] | None = None,
    current: dict[str, Schema] | None = None,
    modes: dict[str, Compatibility] | None = None,
) -> Iterator[str]:
    """The models against the last released set, under each topic's mode (or `modes`)."""
    baseline = contracts.read_set(BASELINE_DIR) if baseline is None else baseline
    current = contracts.generated() if current is None else current
    if not baseline:
        yield "schemas/baseline/ is empty: release the first set with `rxsim contracts bump`"
        return
    for name, old in sorted(baseline.items()):
        if name == contracts.ENVELOPE_FILE:
            continue  # the envelope is compared inside every message schema
        if name not in current:
            yield f"{where(name, old)}: message removed — breaks every consumer of the topic"
            continue
        topic = contracts.topic_of(name)
        if topic is None:
            continue
        mode = (modes or {}).get(topic.name, topic.compatibility)
        for change in compat.breaking(old, current[name], mode):
            # under FULL, say which half broke; otherwise the topic's mode is the whole story
            halves = "/".join(sorted(change.breaks))
            shown = f"{mode} ({halves})" if mode == Compatibility.FULL else str(mode)
            yield (
                f"{topic.name} / {topic.event_type}: field {change.path}: {change.what} "
                f"— breaks {shown}"
            )


def document(doc: Schema | None = None) -> Iterator[str]:
    """schemas/asyncapi.json: valid AsyncAPI 3, naming exactly the code's topics and messages,
    with payloads that are the models' and examples that validate."""
    if doc is None and not contracts.ASYNCAPI_PATH.exists():
        yield f"schemas/asyncapi.json is missing; {REGENERATE}"
        return
    doc = asyncapi.load() if doc is None else doc
    for error in sorted(validator_for(DOCUMENT).iter_errors(doc), key=lambda e: e.json_path):
        yield f"asyncapi.json: invalid AsyncAPI 3.0 at {error.json_path}: {error.message}"
    yield from _dangling_refs(doc, doc)
    channels, messages = doc.get("channels", {}), doc.get("components", {}).get("messages", {})
    for name in sorted(set(channels) - set(BY_NAME)):
        yield f"asyncapi.json: channel {name!r} names a topic the code does not have"
    for topic in ALL_TOPICS:
        if topic.name not in channels:
            yield f"{topic.name}: topic not in asyncapi.json; {REGENERATE}"
        elif set(channels[topic.name].get("messages", {})) != {topic.event_type}:
            named = sorted(channels[topic.name].get("messages", {}))
            yield f"{topic.name}: asyncapi.json names messages {named}, the code {topic.event_type}"
    known = {t.event_type: t for t in ALL_TOPICS}
    for name in sorted(set(messages) - set(known)):
        yield f"asyncapi.json: message {name!r} is not a message the code has"
    fresh = asyncapi.build({})
    if doc.get("components", {}).get("schemas") != fresh["components"]["schemas"]:
        yield f"asyncapi.json: components.schemas differ from the models; {REGENERATE}"
    for name, topic in known.items():
        if name in messages:
            yield from _message(topic.name, name, messages[name], fresh)


def _message(topic_name: str, name: str, msg: Schema, fresh: Schema) -> Iterator[str]:
    label = f"{topic_name} / {name}"
    if msg.get("payload") != fresh["components"]["messages"][name]["payload"]:
        yield f"{label}: payload in asyncapi.json differs from the models; {REGENERATE}"
    if not msg.get("examples"):
        yield f"{label}: no example in asyncapi.json; {REGENERATE}"
    topic = BY_NAME[topic_name]
    for example in msg.get("examples", []):
        shown = f"{label}: example {example.get('name', '?')!r}"
        problems = validate(topic, example.get("payload"))
        if problems:
            yield f"{shown}: {problems[0]}"
            continue
        try:  # the consumers' own decoder must agree with the published schema
            decode(topic, encode(example.get("payload")))
        except Undecodable as exc:
            yield f"{shown}: valid JSON Schema but the consumers' decoder refuses it: {exc.reason}"


def _dangling_refs(node: Any, doc: Schema) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _dangling_refs(item, doc)
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            yield f"asyncapi.json: $ref {ref!r} points at nothing"
    for value in node.values():
        yield from _dangling_refs(value, doc)
