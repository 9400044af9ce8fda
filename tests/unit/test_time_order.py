"""`rxsim tail` prints records in the order of their event time across partitions: each is
held a short window, so that one from another partition that happened earlier but arrived
a little later still comes out before it."""

from datetime import UTC, datetime, timedelta

from rxsim.tools.time_order import TimeOrder

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_records_from_two_partitions_come_out_in_event_time_order() -> None:
    # Given partition 0's records arrive first, then partition 1's, each in its own order
    order: TimeOrder[str] = TimeOrder(window=1.0)
    for name, when in (("p0-a", 1), ("p0-b", 3), ("p1-a", 2), ("p1-b", 4)):
        order.add(at(when), name, arrived=100.0)
    # When the window has passed
    # Then they come out interleaved by event time
    assert order.due(now=100.5) == []
    assert order.due(now=101.0) == ["p0-a", "p1-a", "p0-b", "p1-b"]
    assert order.due(now=105.0) == []


def test_a_record_is_held_no_longer_than_the_window() -> None:
    order: TimeOrder[str] = TimeOrder(window=0.5)
    order.add(at(10), "late", arrived=100.0)
    order.add(at(11), "later", arrived=100.4)
    assert order.due(now=100.5) == ["late"]  # "later" waits its own window
    order.add(at(10.5), "between", arrived=100.6)
    assert order.due(now=100.9) == ["between", "later"]


def test_a_record_held_back_lets_everything_older_go_with_it() -> None:
    # An older record that arrived after a newer one must not be printed after it.
    order: TimeOrder[str] = TimeOrder(window=1.0)
    order.add(at(5), "newer", arrived=100.0)
    order.add(at(1), "older", arrived=100.8)
    assert order.due(now=101.0) == ["older", "newer"]


def test_flush_lets_everything_go_in_order() -> None:
    order: TimeOrder[str] = TimeOrder(window=60.0)
    for name, when in (("c", 3), ("a", 1), ("b", 2)):
        order.add(at(when), name, arrived=0.0)
    assert order.due(now=1.0, flush=True) == ["a", "b", "c"]
    assert len(order) == 0


def test_a_zero_window_keeps_the_arrival_order() -> None:
    order: TimeOrder[str] = TimeOrder(window=0.0)
    order.add(at(2), "first", arrived=0.0)
    assert order.due(now=0.0) == ["first"]
    order.add(at(1), "second", arrived=0.0)
    assert order.due(now=0.0) == ["second"]


def test_equal_times_keep_their_arrival_order() -> None:
    order: TimeOrder[str] = TimeOrder(window=1.0)
    for name in ("x", "y", "z"):
        order.add(at(1), name, arrived=0.0)
    assert order.due(now=2.0) == ["x", "y", "z"]
