"""The prescription state machine: one table of allowed moves, in one place (DESIGN section 2)."""

from datetime import datetime

from schemas.events import State

S = State

ALLOWED: dict[State, frozenset[State]] = {
    S.ISSUED: frozenset({S.VALIDATED, S.REJECTED, S.CANCELLED}),
    S.VALIDATED: frozenset({S.AVAILABLE, S.CANCELLED, S.EXPIRED}),
    S.AVAILABLE: frozenset({S.ORDERED, S.CANCELLED, S.EXPIRED}),
    # ORDERED -> AVAILABLE: the pharmacy declined (out of stock, ...); the citizen chooses again.
    # Once a pharmacy holds it, a cancellation waits for the pharmacy (PENDING_CANCELLATION).
    S.ORDERED: frozenset({S.ACCEPTED, S.AVAILABLE, S.PENDING_CANCELLATION, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.DISPENSED, S.AVAILABLE, S.PENDING_CANCELLATION, S.EXPIRED}),
    # The pharmacy returns it (CANCELLED) or had already dispensed it (DISPENSED).
    S.PENDING_CANCELLATION: frozenset({S.CANCELLED, S.DISPENSED, S.EXPIRED}),
    # -> AVAILABLE: part of an item was sold and handed over; the rest may be bought elsewhere.
    S.DISPENSED: frozenset({S.OUT_FOR_DELIVERY, S.PICKED_UP, S.AVAILABLE}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.DELIVERY_FAILED, S.AVAILABLE}),
    # After a failed attempt the courier retries, or the parcel goes back to the pharmacy.
    S.DELIVERY_FAILED: frozenset({S.OUT_FOR_DELIVERY, S.DISPENSED}),
    S.DELIVERED: frozenset(),
    S.PICKED_UP: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}

TERMINAL: frozenset[State] = frozenset(state for state, nxt in ALLOWED.items() if not nxt)


class TransitionRefused(Exception):
    def __init__(self, current: State, wanted: State) -> None:
        super().__init__(f"{current} cannot move to {wanted}")
        self.current = current
        self.wanted = wanted


def can_move(current: State, wanted: State) -> bool:
    return wanted in ALLOWED[current]


def check_move(current: State, wanted: State) -> None:
    if not can_move(current, wanted):
        raise TransitionRefused(current, wanted)


def supersedes(known: State, known_at: datetime, state: State, at: datetime) -> bool:
    """Whether a status (`state` published `at`) replaces the one a view knows. Nothing replaces
    a terminal state; otherwise the later one wins, and of two published at the same instant
    the one the state machine can move to. A status delivered again never does."""
    if known in TERMINAL:
        return False
    if at != known_at:
        return at > known_at
    return can_move(known, state)
