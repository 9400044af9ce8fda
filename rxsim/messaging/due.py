"""Keys by the time something falls due for them, found without looking at every key: a heap
of (due, key) whose entries are checked against each key's latest due time when they come up,
so changing or clearing a key's time never searches the heap. Plain data: no I/O."""

import heapq
from datetime import datetime
from typing import Generic, TypeVar

K = TypeVar("K", bound=str)


class DueIndex(Generic[K]):
    def __init__(self) -> None:
        self._latest: dict[K, datetime] = {}
        self._heap: list[tuple[datetime, K]] = []

    def set(self, key: K, due: datetime | None) -> None:
        """`key` falls due at `due` (None: nothing is due for it any more)."""
        if due is None:
            self._latest.pop(key, None)
        elif self._latest.get(key) != due:
            self._latest[key] = due
            heapq.heappush(self._heap, (due, key))

    def due(self, now: datetime) -> list[K]:
        """The keys due at `now`, each handed out once (`set` it again to have it back)."""
        found = []
        while self._heap and self._heap[0][0] <= now:
            at, key = heapq.heappop(self._heap)
            if self._latest.get(key) == at:
                del self._latest[key]
                found.append(key)
        return found

    def clear(self) -> None:
        self._latest, self._heap = {}, []

    def __len__(self) -> int:
        return len(self._latest)
