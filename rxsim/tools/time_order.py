"""Putting records read from several partitions in the order of their event time, live.

Kafka orders records within a partition only: a follower of a topic sees one partition's
records, then another's, each batch as it comes. A live reader cannot wait for every
partition to catch up forever, so each record is held a short window after it arrived; a
record that happened earlier but arrives within that window still comes out first. One that
arrives later than that is printed as it comes, out of order: the window is what `rxsim tail`
promises, and says so.
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(order=True)
class _Held(Generic[T]):
    at: datetime
    seq: int  # equal times keep their arrival order
    arrived: float = field(compare=False)
    item: T = field(compare=False)


class TimeOrder(Generic[T]):
    """Items held up to `window` seconds (monotonic clock) after they arrived, let go in
    order of their event time."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._held: list[_Held[T]] = []
        self._seq = count()

    def __len__(self) -> int:
        return len(self._held)

    def add(self, at: datetime, item: T, *, arrived: float) -> None:
        self._held.append(_Held(at, next(self._seq), arrived, item))

    def due(self, *, now: float, flush: bool = False) -> list[T]:
        """The items whose window is over, with every held item that happened before the
        latest of them (printing those later would break the order), oldest first."""
        over = [h for h in self._held if flush or now - h.arrived >= self.window]
        if not over:
            return []
        cutoff = max(over)
        going = sorted(h for h in self._held if h <= cutoff)
        self._held = [h for h in self._held if h > cutoff]
        return [h.item for h in going]
