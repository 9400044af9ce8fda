"""The prescription state machine (DESIGN section 2): every pair of states, allowed or refused."""

from itertools import product

import pytest

from rxsim.domain.states import (
    ALLOWED,
    TERMINAL,
    TransitionRefused,
    can_move,
    check_move,
)
from schemas.events import State

S = State

# The moves the design allows, written out here independently of the code's table, so a change
# to ALLOWED that the design does not call for makes a test fail.
DESIGNED_MOVES: frozenset[tuple[State, State]] = frozenset(
    {
        (S.ISSUED, S.VALIDATED),
        (S.ISSUED, S.REJECTED),
        (S.ISSUED, S.CANCELLED),
        (S.VALIDATED, S.AVAILABLE),
        (S.VALIDATED, S.CANCELLED),
        (S.VALIDATED, S.EXPIRED),
        (S.AVAILABLE, S.ORDERED),
        (S.AVAILABLE, S.CANCELLED),
        (S.AVAILABLE, S.EXPIRED),
        (S.ORDERED, S.ACCEPTED),
        (S.ORDERED, S.AVAILABLE),  # pharmacy declined: the citizen chooses again
        (S.ORDERED, S.PENDING_CANCELLATION),  # a pharmacy holds it: it must return it
        (S.ORDERED, S.EXPIRED),
        (S.ACCEPTED, S.DISPENSED),
        (S.ACCEPTED, S.AVAILABLE),  # pharmacy declined after accepting
        (S.ACCEPTED, S.PENDING_CANCELLATION),
        (S.PENDING_CANCELLATION, S.CANCELLED),  # the pharmacy returned it
        (S.PENDING_CANCELLATION, S.DISPENSED),  # the pharmacy had already sold it
        (S.PENDING_CANCELLATION, S.EXPIRED),
        (S.ACCEPTED, S.EXPIRED),
        (S.DISPENSED, S.OUT_FOR_DELIVERY),
        (S.DISPENSED, S.PICKED_UP),
        (S.DISPENSED, S.AVAILABLE),  # part sold and collected: the rest is still to buy
        (S.OUT_FOR_DELIVERY, S.AVAILABLE),  # part sold and delivered: the rest is still to buy
        (S.OUT_FOR_DELIVERY, S.DELIVERED),
        (S.OUT_FOR_DELIVERY, S.DELIVERY_FAILED),
        (S.DELIVERY_FAILED, S.OUT_FOR_DELIVERY),  # courier retries
        (S.DELIVERY_FAILED, S.DISPENSED),  # parcel goes back to the pharmacy
    }
)
ALL_PAIRS = list(product(State, State))
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in DESIGNED_MOVES]


def _id(pair: tuple[State, State]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_table_names_every_state_once() -> None:
    assert set(ALLOWED) == set(State)


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=_id)
def test_can_move_agrees_with_the_allowed_table(pair: tuple[State, State]) -> None:
    current, wanted = pair
    assert can_move(current, wanted) is (wanted in ALLOWED[current])


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=_id)
def test_can_move_agrees_with_the_designed_moves(pair: tuple[State, State]) -> None:
    current, wanted = pair
    assert can_move(current, wanted) is (pair in DESIGNED_MOVES)


@pytest.mark.parametrize("pair", sorted(DESIGNED_MOVES), ids=_id)
def test_check_move_lets_an_allowed_move_through(pair: tuple[State, State]) -> None:
    check_move(*pair)  # does not raise


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=_id)
def test_check_move_refuses_a_move_naming_both_states(pair: tuple[State, State]) -> None:
    current, wanted = pair
    with pytest.raises(TransitionRefused) as refused:
        check_move(current, wanted)
    assert refused.value.current == current
    assert refused.value.wanted == wanted
    message = str(refused.value)
    assert current.value in message
    assert wanted.value in message
    assert message.index(current.value) < message.rindex(wanted.value)


@pytest.mark.parametrize("state", sorted(TERMINAL), ids=str)
def test_a_terminal_state_has_no_exit(state: State) -> None:
    assert not any(can_move(state, other) for other in State)


def test_the_terminal_states_are_the_five_endings() -> None:
    assert {S.DELIVERED, S.PICKED_UP, S.REJECTED, S.CANCELLED, S.EXPIRED} == TERMINAL


def test_no_state_moves_to_itself() -> None:
    assert not [state for state in State if can_move(state, state)]


def test_every_state_is_reachable_from_issued() -> None:
    reached, frontier = {S.ISSUED}, [S.ISSUED]
    while frontier:
        for nxt in ALLOWED[frontier.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(State)


def test_delivered_is_terminal() -> None:
    assert S.DELIVERED in TERMINAL


def test_a_declining_pharmacy_sends_an_ordered_prescription_back_to_available() -> None:
    assert can_move(S.ORDERED, S.AVAILABLE)


def test_a_dispensed_prescription_cannot_be_cancelled() -> None:
    assert not can_move(S.DISPENSED, S.CANCELLED)
    with pytest.raises(TransitionRefused, match="DISPENSED cannot move to CANCELLED"):
        check_move(S.DISPENSED, S.CANCELLED)


def test_rejection_happens_only_from_issued() -> None:
    assert [state for state in State if can_move(state, S.REJECTED)] == [S.ISSUED]


def test_expiry_is_refused_once_dispensed() -> None:
    for state in (S.DISPENSED, S.OUT_FOR_DELIVERY, S.DELIVERY_FAILED):
        assert not can_move(state, S.EXPIRED), state


def test_a_failed_delivery_can_be_retried_or_returned_but_not_delivered_directly() -> None:
    assert can_move(S.DELIVERY_FAILED, S.OUT_FOR_DELIVERY)
    assert can_move(S.DELIVERY_FAILED, S.DISPENSED)
    assert not can_move(S.DELIVERY_FAILED, S.DELIVERED)


def test_a_prescription_cannot_skip_validation_or_the_pharmacy() -> None:
    assert not can_move(S.ISSUED, S.AVAILABLE)
    assert not can_move(S.AVAILABLE, S.ACCEPTED)
    assert not can_move(S.ORDERED, S.DISPENSED)
    assert not can_move(S.ACCEPTED, S.PICKED_UP)
