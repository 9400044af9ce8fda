"""A run reports where its CPU and memory went, per process: cores on average and CPU per
prescription from the difference of two readings, memory first, last and highest; a process
restarted under its name is counted from its own start."""

import os

from rxsim.tools.process_use import ProcessUse, Reading, read, summary


def test_cpu_is_what_was_used_between_the_first_and_last_reading() -> None:
    series = {
        "coordinator": [
            [Reading(0.0, 10.0, 90.0), Reading(5.0, 11.0, 120.0), Reading(10.0, 13.0, 100.0)]
        ]
    }
    use = summary(series, prescriptions=500)["coordinator"]
    assert use["cpu_cores_mean"] == 0.3  # 3 CPU seconds over 10 s
    assert use["cpu_ms_per_prescription"] == 6.0  # 3,000 ms over 500
    assert (use["rss_mb_first"], use["rss_mb_last"], use["rss_mb_max"]) == (90.0, 100.0, 120.0)
    assert use["restarts"] == 0


def test_a_restarted_process_is_counted_from_its_own_start_not_against_the_dead_one() -> None:
    dead = [Reading(0.0, 50.0, 100.0), Reading(4.0, 52.0, 110.0)]
    again = [Reading(6.0, 0.5, 60.0), Reading(10.0, 2.5, 70.0)]
    use = summary({"pharmacy": [dead, again]}, prescriptions=100)["pharmacy"]
    assert use["cpu_cores_mean"] == 0.5  # (2 + 2) CPU seconds over (4 + 4) s read
    assert use["cpu_ms_per_prescription"] == 40.0
    assert use["restarts"] == 1
    assert (use["rss_mb_first"], use["rss_mb_last"]) == (100.0, 70.0)


def test_a_process_read_once_or_a_run_that_sent_nothing_has_no_cpu_figures() -> None:
    once = summary({"sender": [[Reading(3.0, 1.0, 40.0)]]}, prescriptions=10)["sender"]
    assert once["cpu_cores_mean"] is None and once["cpu_ms_per_prescription"] is None
    idle = summary({"broker": [[Reading(0.0, 1.0, 40.0), Reading(2.0, 2.0, 40.0)]]}, 0)["broker"]
    assert idle["cpu_cores_mean"] == 0.5 and idle["cpu_ms_per_prescription"] is None


def test_this_process_is_read_from_proc_and_a_gone_one_is_skipped() -> None:
    busy = sum(i * i for i in range(300_000))  # some CPU of our own to read
    mine = read(os.getpid(), 1.0)
    assert mine is not None and busy > 0
    assert mine.cpu_s > 0 and mine.rss_mb > 1

    use = ProcessUse()
    use.sample({"follower": os.getpid(), "gone": 2**22 + 1, "external broker": None}, 0.0)
    use.sample({"follower": os.getpid()}, 1.0)
    assert set(use.series) == {"follower"}
    assert use.summary(10)["follower"]["restarts"] == 0


def test_a_new_pid_under_a_name_starts_a_new_series() -> None:
    use = ProcessUse()
    use.sample({"coordinator": os.getpid()}, 0.0)
    use.sample({"coordinator": os.getppid()}, 1.0)  # the supervisor started it again
    assert len(use.series["coordinator"]) == 2
