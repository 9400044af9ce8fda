"""Scenario time: days of validity and courier hours pass in seconds of real time."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

Then = TypeVar("Then")


@dataclass(frozen=True)
class Clock:
    speedup: float  # simulated seconds per real second

    def real_seconds(self, simulated: timedelta) -> float:
        return simulated.total_seconds() / self.speedup


@dataclass(frozen=True)
class Timer(Generic[Then]):
    """A decision's request to be called back: after `after` of simulated time, the service
    hands `then` to the decision that handles it."""

    after: timedelta
    then: Then
