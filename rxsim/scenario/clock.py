"""Scenario time: days of validity and courier hours pass in seconds of real time."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Clock:
    speedup: float  # simulated seconds per real second

    def real_seconds(self, simulated: timedelta) -> float:
        return simulated.total_seconds() / self.speedup
