"""The shape of a day's load and the open-loop schedule that follows it.

A curve is (simulated hour, relative rate) points, linear between them and flat before the
first and after the last; relative 1.0 is the scenario's `rate_per_second`. The simulated day
runs at the scenario's speedup, so at ×7200 a whole day passes in 12 real seconds.
"""

import itertools
from collections.abc import Iterator, Sequence

Curve = Sequence[tuple[float, float]]


def relative_rate(curve: Curve, hour: float) -> float:
    """The curve's value at a simulated hour of the day."""
    if hour <= curve[0][0]:
        return curve[0][1]
    for (h0, r0), (h1, r1) in itertools.pairwise(curve):
        if hour <= h1:
            return r0 + (r1 - r0) * (hour - h0) / (h1 - h0)
    return curve[-1][1]


def due_times(rate: float, speedup: float, curve: Curve = ()) -> Iterator[float]:
    """Real seconds after the start at which the 0th, 1st, 2nd... prescription is due.

    Without a curve, evenly `1/rate` apart. With one, the day starts at the curve's first hour
    and the rate is held for one simulated minute at a time (fine enough for any curve people
    write); past midnight the next day follows the same curve.
    """
    if not curve:
        yield from (index / rate for index in itertools.count())
        return
    step = 60 / speedup  # one simulated minute, in real seconds
    start, elapsed, owed, index = curve[0][0] * 60, 0.0, 0.0, 0
    for minute in itertools.count():
        per_second = rate * relative_rate(curve, ((start + minute + 0.5) / 60) % 24)
        owed_after = owed + per_second * step
        while index < owed_after:  # the index-th prescription falls due within this minute
            yield elapsed + (index - owed) / per_second
            index += 1
        owed, elapsed = owed_after, elapsed + step
