"""How often one caller may ask: a token bucket per caller (its token's subject, or the CCCD a
sign-in names), so one caller's flood slows that caller only. Plain data and a clock passed
in, so the rule is tested without a server or waiting."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limit:
    per_second: float  # requests a caller may make each second, in the long run
    burst: float  # and at once, after a quiet while


@dataclass
class RateLimiter:
    limit: Limit
    # caller -> (tokens left, when counted); a caller quiet long enough to be full again is
    # forgotten, so this holds the callers of the last few seconds, not all of them.
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def wait_before(self, caller: str, now: float) -> float:
        """0 if `caller` may ask now (and count the request), else the seconds to wait."""
        tokens, then = self._buckets.get(caller, (self.limit.burst, now))
        tokens = min(self.limit.burst, tokens + (now - then) * self.limit.per_second)
        if tokens < 1:
            self._buckets[caller] = (tokens, now)
            return (1 - tokens) / self.limit.per_second
        self._buckets[caller] = (tokens - 1, now)
        if len(self._buckets) > 10_000:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        for caller, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.limit.per_second >= self.limit.burst:
                del self._buckets[caller]
