"""Each service's lag, as its /readyz tells it."""

import time

import httpx

from rxsim.tools.run_metrics import LagSample
from rxsim.tools.stack import Stack

Lags = dict[str, dict[str, int]]  # service -> topic -> events not yet handled


def carried(answered: Lags, last: Lags) -> Lags:
    """The lag of every service: as it answered, or as it last told for one that did not
    answer this time. `last` is updated with what was answered."""
    last.update(answered)
    return {**last, **answered}


class LagSampler:
    """Samples each running service's lag from its /readyz. A service that does not answer in
    time keeps the lag it last told: one busy deciding a batch on a loaded machine answers
    late, and reading that as no lag at all made a bench step whose coordinator was thousands
    of events behind look caught up. (A restarting service keeps its last lag too: what it
    had not handled is still waiting for it.)"""

    def __init__(self, stack: Stack, client: httpx.AsyncClient, timeout: float = 2.0) -> None:
        self.stack, self.client, self.timeout = stack, client, timeout
        self.last: Lags = {}

    async def sample(self) -> LagSample:
        answered = await told(self.client, self.stack.urls(), self.timeout)
        return LagSample(time.time(), carried(answered, self.last))


async def told(client: httpx.AsyncClient, urls: dict[str, str], timeout: float) -> Lags:
    """The lag each service at `urls` tells on its /readyz; those that do not answer in time,
    or answer something else, are left out."""
    answered: Lags = {}
    for name, url in urls.items():
        try:
            answer = await client.get(f"{url}/readyz", timeout=timeout)
            lag = answer.json().get("lag", {})
            answered[name] = {str(k): int(v) for k, v in lag.items()}
        except (httpx.HTTPError, ValueError, AttributeError):
            continue
    return answered
