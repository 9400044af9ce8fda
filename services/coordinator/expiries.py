"""Which prescriptions' validity is over, found by due time rather than by looking at every
record the coordinator ever stored: the expiry timer runs twice a second, and a scan of all
records made its cost grow with a run's history (issue 9 measured 27 ms a tick at 10,000
records) instead of with what is due.

`ExpiryIndex` is told every record as it is stored (`note`), or all of them after the table
was rebuilt from its changelog (`rebuild`). It keeps each record's expiry fields and a heap of
(valid_until, prescription id); a heap entry whose record has since gone terminal or changed
validity is dropped when it comes up, so nothing is ever searched for. It also keeps how many
records are in each state, for /stats, which counted them by decoding every record.

Finished records are forgotten the same way: each terminal record is due to be forgotten at
its issue + validity + `[retention] days_after_validity` (`forgettable`), so what the
coordinator holds in a long run grows with what is in flight and the retention, not with the
run's history. Plain data: no broker.
"""

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from rxsim.domain.states import TERMINAL
from rxsim.messaging.due import DueIndex
from schemas.events import State
from services.coordinator.issuing import due_for_expiry
from services.coordinator.record import Expiry

RESEND_AFTER_S = 5.0  # a deadline sent is on its way: send it again only if nothing came of it


class ExpiryIndex:
    def __init__(self, kept: timedelta | None = None) -> None:
        """`kept`: how long after its issue a finished record is forgotten (None: never)."""
        self.kept = kept
        self._latest: dict[str, Expiry] = {}  # every record's expiry fields, as last stored
        self._heap: list[tuple[datetime, str]] = []  # (valid_until, id), lazily cleaned
        self._finished: DueIndex[str] = DueIndex()  # finished records by when to forget them
        # Records whose validity is over and that are not terminal yet: what a tick looks at.
        self._over: set[str] = set()
        self._counts: Counter[State] = Counter()  # records by state

    def note(self, key: str, expiry: Expiry) -> None:
        """A record was stored with these expiry fields."""
        before = self._latest.get(key)
        self._latest[key] = expiry
        if before is not None:
            self._uncount(before.state)
        self._counts[expiry.state] += 1
        self._finished.set(key, self._forget_at(expiry))
        if not _may_expire(expiry):
            self._over.discard(key)
        elif before is None or not _may_expire(before) or before.valid_until != expiry.valid_until:
            # A new deadline; the old one, if any, no longer matches and is dropped when popped.
            self._over.discard(key)
            assert expiry.valid_until is not None
            heapq.heappush(self._heap, (expiry.valid_until, key))

    def forget(self, key: str) -> None:
        """A record was deleted."""
        before = self._latest.pop(key, None)
        if before is not None:
            self._uncount(before.state)
        self._over.discard(key)
        self._finished.set(key, None)

    def rebuild(self, records: Iterable[tuple[str, Expiry]]) -> None:
        """Forget everything and index these records: the table after its recovery."""
        self._latest = dict(records)
        self._finished.clear()
        for key, expiry in self._latest.items():
            self._finished.set(key, self._forget_at(expiry))
        self._over = set()
        self._counts = Counter(expiry.state for expiry in self._latest.values())
        self._heap = [
            (e.valid_until, k)
            for k, e in self._latest.items()
            if e.valid_until is not None and e.state not in TERMINAL  # as _may_expire
        ]
        heapq.heapify(self._heap)

    def due(self, now: datetime) -> list[tuple[str, Expiry]]:
        """The records that must expire at `now` (`due_for_expiry`), as a scan of every record
        would find them, at the cost of what came due since the last call and what is over."""
        while self._heap and self._heap[0][0] <= now:
            until, key = heapq.heappop(self._heap)
            latest = self._latest.get(key)
            if latest is not None and _may_expire(latest) and latest.valid_until == until:
                self._over.add(key)
        # A record over its validity but held (dispensed, out for delivery) stays in `_over`
        # until it ends; it expires only from the states that allow it.
        found = [(key, self._latest[key]) for key in self._over]
        return [(key, expiry) for key, expiry in found if due_for_expiry(expiry, now)]

    def forgettable(self, now: datetime) -> list[str]:
        """The finished records due to be forgotten at `now`, each handed out once (`again`
        puts one back)."""
        return self._finished.due(now)

    def again(self, key: str) -> None:
        """A record whose forgetting failed: hand it out at the next `forgettable`."""
        latest = self._latest.get(key)
        self._finished.set(key, None if latest is None else self._forget_at(latest))

    def _forget_at(self, expiry: Expiry) -> datetime | None:
        if self.kept is None or expiry.state not in TERMINAL or expiry.issued_at is None:
            return None
        return expiry.issued_at + self.kept

    def counts(self) -> dict[State, int]:
        """How many records are in each state (states with none left out)."""
        return dict(self._counts)

    def _uncount(self, state: State) -> None:
        self._counts[state] -= 1
        if not self._counts[state]:
            del self._counts[state]


def _may_expire(expiry: Expiry) -> bool:
    """Whether the record has a deadline still to watch: any state but a terminal one."""
    return expiry.state not in TERMINAL and expiry.valid_until is not None


def reminders(
    due: Iterable[tuple[str, Expiry]], sent: dict[str, float], tick: float
) -> list[tuple[str, Expiry]]:
    """Of the records due, those to send a deadline for at monotonic time `tick`: not one sent
    less than RESEND_AFTER_S ago (its event is on its way), but again after that in case it
    was lost. `sent` (id -> when) is updated and keeps only what is still due."""
    due = list(due)
    still = {key for key, _ in due}
    for key in [key for key in sent if key not in still]:
        del sent[key]
    now_due = [(key, e) for key, e in due if tick - sent.get(key, float("-inf")) >= RESEND_AFTER_S]
    for key, _ in now_due:
        sent[key] = tick
    return now_due
