"""What `/readyz` answers, as plain arithmetic over what a consumer reports, so that it is
tested without a broker: a service is ready while its consumer runs, has read what was there
when it started, and is no more than READY_MAX_LAG events behind what it reads."""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rxsim.messaging.settings import READY_MAX_LAG


@dataclass(frozen=True)
class Readiness:
    reason: str | None = None  # why it is not ready; None: ready
    # Events not yet handled, by topic: for load reports, so no part of readiness itself.
    lag: Mapping[str, int] = field(default_factory=dict, compare=False)

    @property
    def ready(self) -> bool:
        return self.reason is None


READY = Readiness()
STARTING = Readiness("starting")
Partition = TypeVar("Partition", bound=Hashable)


def lag(ends: Mapping[Partition, int | None], positions: Mapping[Partition, int | None]) -> int:
    """Events not yet handled, over every partition: its end (the offset the next write gets)
    minus the offset the consumer handles next. A partition whose end or position is not
    known yet (no fetch answered, nothing handled yet) counts none."""
    behind = 0
    for partition, end in ends.items():
        position = positions.get(partition)
        if end is not None and position is not None:
            behind += max(0, end - position)
    return behind


def lag_by_topic(
    ends: Mapping[Any, int | None], positions: Mapping[Any, int | None]
) -> dict[str, int]:
    """`lag`, per topic (partitions are anything with a `.topic`)."""
    by_topic: dict[str, int] = {}
    for partition, end in ends.items():
        behind = lag({partition: end}, positions)
        by_topic[partition.topic] = by_topic.get(partition.topic, 0) + behind
    return by_topic


def decide(stopped: str | None, started: bool, behind: int) -> Readiness:
    """`stopped`: why the consumer no longer runs (None while it runs); `started`: the service
    has read what was there at its start and done what that asked for; `behind`: its lag."""
    if stopped is not None:
        return Readiness(stopped)
    if not started:
        return STARTING
    if behind > READY_MAX_LAG:
        return Readiness(f"behind by {behind} events")
    return READY
