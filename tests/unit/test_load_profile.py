"""The load's shape and its open-loop schedule, and how impossible arguments are refused."""

import itertools

import pytest

from rxsim.tools.load_profile import ProfileError, parse_duration, parse_profile


def test_a_constant_rate_sends_rate_times_duration_evenly_apart() -> None:
    profile = parse_profile("constant", 50, 4)
    due = list(profile.due_times())
    assert len(due) == profile.expected() == 200
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(due)}
    assert gaps == {0.02}


def test_linear_climbs_so_the_second_half_carries_more_than_the_first() -> None:
    profile = parse_profile("linear:0", 100, 10)
    due = list(profile.due_times())
    # ∫ from 0 to 10 of 10·t dt = 500 sends; the first half carries a quarter of them
    assert abs(len(due) - 500) <= 1
    first_half = sum(1 for t in due if t < 5)
    assert abs(first_half / len(due) - 0.25) < 0.01
    assert due == sorted(due)


def test_steps_hold_each_rate_for_an_equal_share_of_the_run() -> None:
    profile = parse_profile("steps:4", 40, 8)
    due = list(profile.due_times())
    per_step = [sum(1 for t in due if 2 * k <= t < 2 * (k + 1)) for k in range(4)]
    assert all(abs(n - want) <= 1 for n, want in zip(per_step, (20, 40, 60, 80), strict=True))
    assert profile.rate_at(7.9) == 40 and profile.rate_at(0) == 10 and profile.rate_at(8) == 0


@pytest.mark.parametrize(
    ("spec", "rate", "duration", "said"),
    [
        ("constant", 0, 10, "--rate must be more than 0"),
        ("constant", -5, 10, "--rate must be more than 0"),
        ("constant", 10, 0, "--duration must be more than 0"),
        ("sawtooth", 10, 10, "write constant, linear:FROM or steps:N"),
        ("steps:0", 10, 10, "N must be a whole number from 1 to 100"),
        ("steps:2.5", 10, 10, "N must be a whole number from 1 to 100"),
        ("steps:x", 10, 10, "write steps:N"),
        ("linear:-3", 10, 10, "FROM must be 0 or more"),
        ("constant:7", 10, 10, "write constant, linear:FROM or steps:N"),
    ],
)
def test_impossible_shapes_are_refused_saying_what_to_write(
    spec: str, rate: float, duration: float, said: str
) -> None:
    with pytest.raises(ProfileError, match=said):
        parse_profile(spec, rate, duration)


def test_durations_take_seconds_minutes_and_hours() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("90s") == 90
    assert parse_duration("5m") == 300
    assert parse_duration("1h") == 3600
    for bad in ("", "five", "-3", "0m", "5d"):
        with pytest.raises(ProfileError, match="--duration"):
            parse_duration(bad)
