"""What a pure decision asks its service to publish: the service publishes it, the decision
never touches the broker."""

from dataclasses import dataclass

from pydantic import BaseModel

from schemas.topics import Topic


@dataclass(frozen=True)
class Outgoing:
    """One event to publish, with the story it belongs to (correlation) and its cause."""

    topic: Topic
    key: str
    data: BaseModel
    correlation_id: str
    causation_id: str | None = None
