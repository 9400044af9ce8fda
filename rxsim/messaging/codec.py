"""Encoding and decoding of event envelopes, with one precise reason when a message is bad."""

import base64
import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ValidationError

from schemas import topics
from schemas.envelope import Envelope
from schemas.topics import Topic

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1_000_000
DEAD_LETTER_KEEPS = 256 * 1024
DEAD_LETTER_KEY_KEEPS = 256


class Undecodable(Exception):
    """A message that cannot be processed; `reason` says why, for the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MessageTooLarge(Exception):
    """An envelope larger than the pipeline can carry; refused before it is sent."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the message would be {size} bytes, limit {MAX_MESSAGE_BYTES}")
        self.size = size


def now() -> datetime:
    return datetime.now(UTC)


def moment(at: Any) -> datetime:
    """An event's ISO 8601 time (CloudEvents `time`, AuditEvent `recorded`) as an aware
    datetime, UTC when it names no zone; one that is no time comes first, not lost."""
    try:
        when = datetime.fromisoformat(str(at))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def new_event(
    topic: Topic,
    *,
    source: str,
    subject: str,
    data: dict[str, Any] | BaseModel,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
    signature: str | None = None,
) -> dict[str, Any]:
    """A CloudEvents envelope for `topic`, as a plain dict ready to encode; a new id unless
    the caller derives one (see `derived_id`). `signature`: the sender's, of `data`
    (rxsim.fhir.signing): a facility's on rx.issued and rx.cancel, the coordinator's on
    pharmacy.orders and pharmacy.cancellations."""
    event_id = event_id or str(uuid.uuid4())
    body = data.model_dump(mode="json", exclude_none=True) if isinstance(data, BaseModel) else data
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": topic.event_type,
        "subject": subject,
        "time": now().isoformat(),
        "datacontenttype": topic.datacontenttype,
        "dataschema": topic.dataschema,
        "correlationid": correlation_id or event_id,
        "causationid": causation_id,
        **({"signature": signature} if signature is not None else {}),
        "data": body,
    }


def derived_id(cause_id: str, index: int) -> str:
    """The id of the `index`-th event that handling event `cause_id` publishes: the same
    every time the cause is handled again (after a crash, before its offset was committed), so
    that consumers recognise the repeat as the same event."""
    return uuid5_of_url(f"urn:rxsim:event:{cause_id}/{index}")


def uuid5_of_url(name: str) -> str:
    """`str(uuid.uuid5(uuid.NAMESPACE_URL, name))` in a third of its time (uuid.UUID checks
    and converts what is known to be right here): every event a service publishes because
    of another gets one."""
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def encode(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def encode_bounded(event: dict[str, Any]) -> bytes:
    """Encode an envelope to send; raise MessageTooLarge if no consumer could take it."""
    return bounded(encode(event))


def bounded(raw: bytes) -> bytes:
    """`raw`, or MessageTooLarge if no consumer could take a message that large."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(len(raw))
    return raw


# A dead letter names every problem of a message, so its reader need not decode the original
# again to learn the rest; only a pathological message (thousands of bad fields) is cut here,
# to keep the dead letter well inside a Kafka message.
PROBLEMS_NAMED = 50


def _problems(exc: ValidationError, prefix: str) -> str:
    errors = exc.errors()
    named = [
        f"{prefix}{'.'.join(str(part) for part in err['loc']) or '(root)'}: {err['msg']}"
        for err in errors[:PROBLEMS_NAMED]
    ]
    more = f" (+{len(errors) - PROBLEMS_NAMED} more)" if len(errors) > PROBLEMS_NAMED else ""
    return "; ".join(named) + more


Headers = Sequence[tuple[str, bytes]]
# The CloudEvents Kafka protocol binding, structured content mode: the whole event is the
# record's value, and the record says so in its content-type header (strict consumers, such
# as the CloudEvents Java SDK, refuse a record without it). Every event rxsim writes has it.
STRUCTURED: list[tuple[str, bytes]] = [("content-type", b"application/cloudevents+json")]
CE_PREFIX = "ce_"


def binary_mode_event(raw: bytes, headers: Headers) -> dict[str, Any] | None:
    """The event of a record in the binding's binary content mode (attributes in `ce_`
    headers, the data alone in the value, its media type in content-type), as the structured
    JSON object it stands for; None for a structured record."""
    attributes = {
        name[len(CE_PREFIX) :]: value.decode("utf-8", "replace")
        for name, value in headers
        if name.startswith(CE_PREFIX)
    }
    if "specversion" not in attributes:
        return None
    content_type = next((v for n, v in headers if n.lower() == "content-type"), None)
    if content_type is not None:
        attributes["datacontenttype"] = content_type.decode("utf-8", "replace")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Undecodable(f"binary mode: data is not JSON: {exc}") from None
    return {**attributes, "data": data}


def decode(topic: Topic, raw: bytes | None, headers: Headers = ()) -> tuple[Envelope, BaseModel]:
    """Check a record's value (and headers: either content mode of the CloudEvents Kafka
    binding) against the topic's contract; raise Undecodable naming what is wrong."""
    if raw is None:
        raise Undecodable("empty message (no value)")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Undecodable(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    obj = binary_mode_event(raw, headers) if headers else None
    if obj is None:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Undecodable(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Undecodable("envelope is not a JSON object")
    try:
        envelope = Envelope.model_validate(obj)
    except ValidationError as exc:
        raise Undecodable(_problems(exc, "envelope.")) from None
    if envelope.type != topic.event_type:
        raise Undecodable(f"type {envelope.type!r} does not belong on {topic.name}")
    if envelope.dataschema != topic.dataschema:
        raise Undecodable(f"dataschema {envelope.dataschema!r}, expected {topic.dataschema!r}")
    try:
        data = topic.data_model.model_validate(envelope.data)
    except ValidationError as exc:
        raise Undecodable(_problems(exc, "data.")) from None
    return envelope, data


class Record(Protocol):
    """A consumed record as aiokafka gives it (raw bytes, where it came from)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


def dead_letter_of(record: Record, consumer: str, reason: str) -> tuple[bytes, bytes]:
    """Log why `consumer` refuses a record, and make its dead letter (key, encoded envelope)."""
    log.warning(
        "dead letter from %s[%s]@%s: %s", record.topic, record.partition, record.offset, reason
    )
    return dead_letter(
        raw=record.value,
        key=record.key,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        consumer=consumer,
        reason=reason,
    )


def dead_letter(
    *,
    raw: bytes | None,
    key: bytes | None,
    source_topic: str,
    partition: int,
    offset: int,
    consumer: str,
    reason: str,
) -> tuple[bytes, bytes]:
    """The key and encoded envelope of a dead letter for an unprocessable message.

    A dead letter must itself fit in a Kafka message, so at most DEAD_LETTER_KEEPS bytes of
    the original travel in it (base64 adds a third), with the whole one's size and hash; and
    at most DEAD_LETTER_KEY_KEEPS bytes of its key (the key of the dead letter too), with the
    whole key's size and hash when it was longer.
    """
    kept = key[:DEAD_LETTER_KEY_KEEPS] if key is not None else None
    original_key = kept.decode("utf-8", "replace") if kept is not None else None
    cut = key is not None and len(key) > DEAD_LETTER_KEY_KEEPS
    raw = raw or b""
    data = {
        "original_b64": base64.b64encode(raw[:DEAD_LETTER_KEEPS]).decode(),
        "original_key": original_key,
        **(
            {"original_key_size": len(key), "original_key_sha256": hashlib.sha256(key).hexdigest()}
            if key is not None and cut
            else {}
        ),
        "original_size": len(raw),
        "original_sha256": hashlib.sha256(raw).hexdigest(),
        "truncated": len(raw) > DEAD_LETTER_KEEPS,
        "source_topic": source_topic,
        "partition": partition,
        "offset": offset,
        "consumer": consumer,
        "reason": reason,
    }
    event = new_event(
        topics.RX_DEADLETTER,
        source=f"rxsim/{consumer}",
        subject=original_key or "unknown",
        data=data,
    )
    return (original_key or "").encode(), encode(event)
