"""Guards against a faust worker that silently stops fetching a partition or skips events.

Measured on restarted coordinators (faust-streaming with the embedded broker, about one
restart in five), two ways events waiting for a worker were never handled, with nothing
failing and nothing logged:
- every assigned partition with one number (say partition 1 of each topic it reads) was never
  fetched again after the restart, while the others flowed;
- a few events of a partition were passed over: faust counts offsets it never delivered as
  handled when the next one delivered is further on, and commits past them.

So each worker keeps, per partition, the next offset it must handle (`Progress`):
- an event further on than that is not handled; the partition is read again from there
  (`Rewind`), and what follows comes again in order;
- a partition with events waiting from which nothing was handled for STALL_AFTER_S is read
  again from there too (`stalled`);
- an event the worker cannot handle yet (the coordinator, just restarted, waiting for a
  prescription's issue) holds its partition: it is read again from that event after
  HOLD_PAUSE_S.
Reading again only repeats events, and every handler is idempotent. And the worker never
commits past the next offset it must handle (`commit_limit`): faust counts passed-over and
set-aside events as handled, and a crash after such a commit would lose them for good.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

STALL_AFTER_S = 10.0  # longer than any pause the worker makes on its own (a commit, a flush)
# How long events further on make the partition be read again, waiting for the one expected.
# Past that the partition is taken to have no event at that offset (Kafka allows such gaps).
REWIND_FOR_S = 5.0
# How long an event its worker cannot handle yet waits before its partition is read again.
HOLD_PAUSE_S = 0.2


@dataclass(frozen=True)
class Rewind:
    """Do not handle this event: read the partition again from `offset`."""

    offset: int


HANDLE: Literal["handle"] = "handle"
SKIP: Literal["skip"] = "skip"  # handled already
Admission = Rewind | Literal["handle", "skip"]


@dataclass
class Progress:
    """Where handling stands on each partition: the next offset to handle, when it last moved
    (or when watching began), and the rewinds under way."""

    next_offset: dict[Any, int] = field(default_factory=dict)
    moved_at: dict[Any, float] = field(default_factory=dict)
    rewinding: dict[Any, float] = field(default_factory=dict)  # partition -> since when

    def admit(
        self, tp: Any, offset: int, committed: int | None, now: float | None = None
    ) -> Admission:
        """What to do with an event at `offset`; `committed`: the partition's committed offset
        as the worker read it at its start (where it resumed), None if none."""
        now = time.monotonic() if now is None else now
        expected = self.next_offset.get(tp, committed)
        if expected is None or offset == expected:
            self.rewinding.pop(tp, None)
            return HANDLE
        if offset < expected:
            return SKIP  # handled already: a partition read again delivers it twice
        # Events fetched before the rewind may still come after it, and faust drops what
        # the rewind fetches if it is below the last offset it delivered: so rewind again on
        # each, and the last rewind wins.
        since = self.rewinding.setdefault(tp, now)
        if now - since < REWIND_FOR_S:
            return Rewind(expected)
        self.rewinding.pop(tp)  # nothing at `expected` came: take the gap as real
        return HANDLE

    def commit_limit(self, tp: Any, wanted: int | None) -> int | None:
        """The offset to commit on a partition when faust wants `wanted`: never past the next
        offset to handle, and nothing where nothing was handled yet."""
        limit = self.next_offset.get(tp)
        if wanted is None or limit is None:
            return None
        return min(wanted, limit)

    def handled(self, tp: Any, offset: int, now: float | None = None) -> None:
        self.next_offset[tp] = offset + 1
        self.moved_at[tp] = time.monotonic() if now is None else now

    def stalled(
        self,
        ends: Mapping[Any, int | None],
        committed: Mapping[Any, int | None],
        now: float | None = None,
    ) -> dict[Any, int]:
        """The partitions with events waiting that nothing was handled from for STALL_AFTER_S,
        each with the offset to read again from (the next to handle, else the committed
        offset, else 0). A partition seen for the first time starts its clock now."""
        now = time.monotonic() if now is None else now
        stuck = {}
        for tp, end in ends.items():
            since = self.moved_at.setdefault(tp, now)
            # Nothing handled here and nothing committed: it starts from its beginning.
            position = self.next_offset.get(tp, committed.get(tp)) or 0
            if end is None or end <= position:
                self.moved_at[tp] = now  # nothing waiting: not stalled
                continue
            if now - since >= STALL_AFTER_S:
                stuck[tp] = position
                self.moved_at[tp] = now  # give the new read time to work before another
        return stuck
