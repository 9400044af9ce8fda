"""A worker's tables as plain data: key -> bytes, per partition, kept in memory and rebuilt
from a changelog topic (see rxsim/messaging/worker.py). No I/O here, so restore and the
overlay a batch decides against are tested without a broker."""

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Below(Protocol):
    def get(self, key: str, /) -> bytes | None: ...


class Overlay:
    """What a batch has made of one partition of a table so far, over the state stored before
    it: reads see the batch's own writes, and nothing reaches the table until the batch's
    events and changelog are with the broker. A `child` holds one event's writes, kept
    (`absorb`) only if deciding that event ended well: a handler that fails halfway leaves
    nothing behind."""

    def __init__(self, below: Below) -> None:
        self._below = below
        self.changes: dict[str, bytes | None] = {}  # None: deleted

    def get(self, key: str, /) -> bytes | None:
        if key in self.changes:
            return self.changes[key]
        return self._below.get(key)

    def put(self, key: str, value: bytes | None) -> None:
        self.changes[key] = value

    def child(self) -> "Overlay":
        return Overlay(self)

    def absorb(self, child: "Overlay") -> None:
        self.changes.update(child.changes)


class Watcher(Protocol):
    """Told of what changes a table, to keep something derived from it (an index)."""

    def stored(self, partition: int, key: str, value: bytes | None, /) -> None:
        """A batch stored this value under this key of this partition (None: deleted)."""

    def reset(self, table: "Table", /) -> None:
        """Partitions were restored or dropped: derive everything again from `table`."""


class Table:
    """One table: for each partition this worker owns, key -> value. A key lives in the
    partition of the events about it (topics keyed alike are co-partitioned), so a partition's
    state moves with the partition when the group rebalances."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.partitions: dict[int, dict[str, bytes]] = {}
        self._watchers: list[Watcher] = []

    def watch(self, watcher: Watcher) -> None:
        """Tell `watcher` of every change from now on."""
        self._watchers.append(watcher)

    def reset(self) -> None:
        """Tell the watchers that partitions came or went (after a restore or a drop)."""
        for watcher in self._watchers:
            watcher.reset(self)

    def partition(self, number: int) -> dict[str, bytes]:
        return self.partitions.setdefault(number, {})

    def get(self, key: str) -> bytes | None:
        """A key's value, in whichever partition holds it (for reads outside a batch: the
        HTTP API; a batch reads through its partition's overlay)."""
        for values in self.partitions.values():
            found = values.get(key)
            if found is not None:
                return found
        return None

    def locate(self, key: str) -> int | None:
        """The partition that holds a key (None: none this worker owns holds it)."""
        for number, values in self.partitions.items():
            if key in values:
                return number
        return None

    def items(self) -> Iterator[tuple[str, bytes]]:
        """Every key and value, over a copy: callers may await while iterating."""
        for values in list(self.partitions.values()):
            yield from list(values.items())

    def apply(self, number: int, changes: Mapping[str, bytes | None]) -> None:
        """Store what a batch changed in a partition (None deletes)."""
        values = self.partition(number)
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
            for watcher in self._watchers:
                watcher.stored(number, key, value)

    def drop(self, number: int) -> None:
        """Forget a partition this worker no longer owns."""
        self.partitions.pop(number, None)


def apply_changelog(
    values: dict[str, bytes], records: Iterable[tuple[bytes | None, bytes | None]]
) -> None:
    """Rebuild a partition's state from its changelog records (key, value), read in offset
    order: the last value of each key wins, and a record without a value (a tombstone)
    deletes its key."""
    for key, value in records:
        if key is None:
            continue  # not ours: every write here has a key
        name = key.decode()
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value


class Decoded(Generic[T]):
    """The object last written under each key, with the very bytes it was written as: the
    next read of the key takes the object instead of decoding those bytes again (decoding a
    record was a fifth of what the coordinator spent on an event). It stands for the bytes
    only while they are what the table or the batch holds (`is`, not `==`): bytes written
    behind its back, or a table restored, are decoded as usual.

    `take` hands an object out once, since callers change what they are given, also when
    they then write nothing; `keep` it again with what is written. Keep only what is in
    flight, so this holds what is under way, not the history."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[bytes, T]] = {}

    def keep(self, key: str, encoded: bytes, value: T) -> None:
        self._kept[key] = (encoded, value)

    def drop(self, key: str) -> None:
        self._kept.pop(key, None)

    def take(self, key: str, stored: bytes) -> T | None:
        """The object written as `stored`, handed out once (None: decode `stored`)."""
        kept = self._kept.pop(key, None)
        return kept[1] if kept is not None and kept[0] is stored else None

    def peek(self, key: str, stored: bytes) -> T | None:
        """The object written as `stored`, to read and not change (None: decode it)."""
        kept = self._kept.get(key)
        return kept[1] if kept is not None and kept[0] is stored else None

    def clear(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)
