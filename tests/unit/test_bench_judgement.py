"""How `rxsim bench` judges a step, without a broker: lag that holds is sustained, lag that
grows or a sender that could not keep to the rate is not."""

from rxsim.tools.bench import sustained
from rxsim.tools.lag import Lags, carried


def samples(lags: list[int]) -> list[tuple[float, int]]:
    return [(second * 0.5, lag) for second, lag in enumerate(lags)]


def test_lag_that_wavers_but_holds_is_sustained() -> None:
    trend, end, ok = sustained(20, 20, 340, samples([30, 60, 40, 55, 35, 60, 45, 50, 40, 52]))
    assert ok and end == 52 and abs(trend) < 0.02 * 340


def test_lag_that_keeps_growing_is_not_sustained() -> None:
    growing = samples([10 * step for step in range(30)])  # 20 events more every second
    trend, _, ok = sustained(20, 20, 340, growing)
    assert trend == 20 and not ok


def test_a_sender_that_fell_short_of_the_rate_is_not_sustained() -> None:
    assert not sustained(100, 90, 1700, samples([5, 5, 5, 5]))[2]
    assert sustained(100, 96, 1700, samples([5, 5, 5, 5]))[2]


def test_a_large_backlog_at_the_end_is_not_sustained_even_if_flat() -> None:
    assert not sustained(20, 20, 340, samples([2000] * 10))[2]


def test_no_sample_proves_nothing() -> None:
    assert sustained(20, 20, 340, []) == (0.0, 0, False)


def test_a_service_too_busy_to_answer_keeps_the_lag_it_last_told() -> None:
    # Measured: at 341 prescriptions/s the coordinator, thousands of events behind and
    # falling further, answered /readyz too late for the step's last samples; read as no lag,
    # the step looked caught up (lag 0 at its end) and was judged sustained.
    last: Lags = {}
    growing = [
        {"coordinator": {"rx.issued": 500 * n}, "pharmacy": {"pharmacy.orders": 2}}
        for n in range(1, 9)
    ]
    too_busy: list[Lags] = [{"pharmacy": {"pharmacy.orders": 1}}] * 4
    totals = [sum(sum(t.values()) for t in carried(a, last).values()) for a in growing + too_busy]
    assert totals[-4:] == [4001] * 4
    assert not sustained(341, 341, 4500, samples(totals))[2]
    as_if_none = [sum(sum(t.values()) for t in a.values()) for a in growing + too_busy]
    assert sustained(341, 341, 4500, samples(as_if_none))[2]  # what was judged before


def test_a_lag_growing_by_a_few_percent_of_the_traffic_is_not_sustained() -> None:
    # Measured: 171/s, 2,900 events written a second, the lag growing by 85 a second and
    # 1,360 behind at the end; half of that rate then left the app a second behind.
    lags = samples([1360 * step // 39 for step in range(40)])  # +70 a second
    trend, end, ok = sustained(171, 171, 2900, lags)
    assert 60 < trend < 80 and end == 1360 and not ok
