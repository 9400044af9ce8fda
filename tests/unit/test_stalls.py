"""The stalled-partition watch (rxsim/messaging/stalls.py): which partitions it seeks back,
and to where, from what the worker handled and what the broker says is waiting."""

from rxsim.messaging.stalls import HANDLE, REWIND_FOR_S, SKIP, STALL_AFTER_S, Progress, Rewind

LATER = STALL_AFTER_S + 1


def test_events_waiting_and_none_handled_for_long_seeks_back_to_the_next_offset() -> None:
    progress = Progress()
    progress.handled("rx.issued-1", 43, now=0.0)
    assert progress.stalled({"rx.issued-1": 49}, {}, now=1.0) == {}
    assert progress.stalled({"rx.issued-1": 49}, {}, now=LATER) == {"rx.issued-1": 44}


def test_a_partition_nothing_was_handled_from_starts_at_its_committed_offset() -> None:
    progress = Progress()
    assert progress.stalled({"tp": 10}, {"tp": 7}, now=0.0) == {}  # its clock starts now
    assert progress.stalled({"tp": 10}, {"tp": 7}, now=LATER) == {"tp": 7}


def test_nothing_waiting_is_no_stall_however_long_it_is_quiet() -> None:
    progress = Progress()
    progress.handled("tp", 9, now=0.0)
    assert progress.stalled({"tp": 10}, {}, now=LATER * 10) == {}
    # An end not known yet is not a stall either.
    assert progress.stalled({"other": None}, {}, now=LATER * 20) == {}


def test_a_partition_with_nothing_handled_or_committed_is_read_again_from_its_start() -> None:
    progress = Progress()
    assert progress.stalled({"tp": 11}, {"tp": None}, now=0.0) == {}
    assert progress.stalled({"tp": 11}, {"tp": None}, now=LATER) == {"tp": 0}


def test_a_partition_handled_from_recently_is_not_stalled() -> None:
    progress = Progress()
    progress.stalled({"tp": 100}, {"tp": 0}, now=0.0)
    progress.handled("tp", 50, now=LATER - 1)
    assert progress.stalled({"tp": 100}, {"tp": 0}, now=LATER) == {}


def test_a_partition_sought_back_is_given_time_before_the_next_seek() -> None:
    progress = Progress()
    progress.stalled({"tp": 5}, {"tp": 0}, now=0.0)
    assert progress.stalled({"tp": 5}, {"tp": 0}, now=LATER) == {"tp": 0}
    assert progress.stalled({"tp": 5}, {"tp": 0}, now=LATER + 1) == {}
    assert progress.stalled({"tp": 5}, {"tp": 0}, now=2 * LATER) == {"tp": 0}


def test_events_in_order_are_handled_and_repeats_skipped() -> None:
    progress = Progress()
    assert progress.admit("tp", 7, committed=7, now=0.0) == HANDLE
    progress.handled("tp", 7)
    assert progress.admit("tp", 8, committed=7, now=0.0) == HANDLE
    progress.handled("tp", 8)
    assert progress.admit("tp", 8, committed=7, now=0.0) == SKIP  # delivered twice


def test_an_event_further_on_than_the_next_rewinds_the_partition_until_that_one_comes() -> None:
    progress = Progress()
    progress.handled("tp", 43)
    assert progress.admit("tp", 46, committed=None, now=0.0) == Rewind(44)
    # What was fetched before the rewind may still come after it: rewind again, last one wins.
    assert progress.admit("tp", 47, committed=None, now=1.0) == Rewind(44)
    assert progress.admit("tp", 44, committed=None, now=1.5) == HANDLE
    progress.handled("tp", 44)
    assert progress.admit("tp", 45, committed=None, now=1.6) == HANDLE


def test_the_first_event_after_a_start_is_checked_against_the_committed_offset() -> None:
    progress = Progress()
    assert progress.admit("tp", 12, committed=10, now=0.0) == Rewind(10)
    # With nothing committed there is nothing to check against.
    assert progress.admit("other", 12, committed=None, now=0.0) == HANDLE


def test_a_gap_the_rewind_does_not_fill_is_taken_as_real() -> None:
    progress = Progress()
    progress.handled("tp", 3)
    assert progress.admit("tp", 6, committed=None, now=0.0) == Rewind(4)
    assert progress.admit("tp", 6, committed=None, now=REWIND_FOR_S + 0.1) == HANDLE


def test_commits_never_pass_the_next_offset_to_handle() -> None:
    progress = Progress()
    assert progress.commit_limit("tp", 50) is None  # nothing handled here yet
    progress.handled("tp", 43)
    assert progress.commit_limit("tp", 50) == 44  # faust counted 44..49 without handing them
    assert progress.commit_limit("tp", 40) == 40
    assert progress.commit_limit("tp", None) is None


def test_a_stalled_partition_is_resumed_as_fausts_own_partition_type() -> None:
    from aiokafka import TopicPartition
    from faust.transport.consumer import Consumer
    from faust.types import TP

    from rxsim.messaging.streams import resume_fetching

    class Fetching:
        """faust's own resume_partitions and active-partition check, on a consumer's sets."""

        def __init__(self) -> None:
            self._active_partitions: set[object] | None = set()
            self._paused_partitions: set[object] = {TP("rx.issued", 1)}
            self._buffered_partitions: set[object] = {TP("rx.issued", 1)}

        resume_partitions = Consumer.resume_partitions
        _get_active_partitions = Consumer._get_active_partitions

    consumer = Fetching()
    resume_fetching(consumer, TopicPartition("rx.issued", 1))  # as highwaters() keys them

    assert consumer._get_active_partitions() == {TP("rx.issued", 1)}  # faust asserts TP here
    assert not consumer._paused_partitions and not consumer._buffered_partitions
