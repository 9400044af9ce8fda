"""What a pure decision asks its service to publish (`Outgoing`: the service publishes it, the
decision never touches the broker), and the same events encoded, ready to send (`Prepared`).
Preparing every event of a decision before sending any lets a service refuse a decision whose
events could not be carried, without having sent half of it."""

from dataclasses import dataclass

from pydantic import BaseModel

from rxsim.fhir.signing import Signer
from rxsim.messaging.codec import derived_id, encode_bounded, new_event
from schemas import topics
from schemas.topics import Topic


@dataclass(frozen=True)
class Outgoing:
    """One event to publish, with the story it belongs to (correlation) and its cause.
    `signer`: who signs its data (the envelope's `signature`), for a reader that must know
    who sent it."""

    topic: Topic
    key: str
    data: BaseModel
    correlation_id: str
    causation_id: str | None = None
    signer: Signer | None = None


Prepared = tuple[str, bytes, bytes]  # topic name, key, encoded envelope


def prepare(
    service: str,
    topic: Topic,
    key: str,
    data: BaseModel,
    correlation_id: str,
    causation_id: str | None,
    event_id: str | None = None,
    signer: Signer | None = None,
) -> Prepared:
    """An event encoded and ready to send, signed by `signer` if given; raises
    MessageTooLarge if it could not be carried, so a caller can check every event of a
    decision before sending any."""
    topics.check_write(service, topic)
    body = data.model_dump(mode="json", exclude_none=True)
    event = new_event(
        topic,
        source=f"rxsim/{service}",
        subject=vars(data)["prescription_id"],
        data=body,
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
        # Signed as it is sent: the reader checks the JSON it gets, not our model.
        signature=signer.sign(body) if signer is not None else None,
    )
    return topic.name, key.encode(), encode_bounded(event)


def prepare_caused(service: str, cause_id: str, outs: list[Outgoing]) -> list[Prepared]:
    """What handling event `cause_id` decided to publish, each event prepared with an id
    derived from its cause: handled again after a crash (before its offset was committed), the
    cause gives the very same events, which consumers recognise as repeats."""
    return [
        prepare(
            service,
            out.topic,
            out.key,
            out.data,
            out.correlation_id,
            out.causation_id,
            derived_id(cause_id, index),
            out.signer,
        )
        for index, out in enumerate(outs)
    ]
