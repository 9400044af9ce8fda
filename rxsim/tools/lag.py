"""Each service's lag, as its /readyz tells it."""

import time

import httpx

from rxsim.tools.run_metrics import LagSample
from rxsim.tools.stack import Stack


async def sample_lag(stack: Stack, client: httpx.AsyncClient) -> LagSample:
    """Each running service's lag by topic, from its /readyz (left out when it does not
    answer: a restarting service has no lag to tell)."""
    lag: dict[str, dict[str, int]] = {}
    for name, url in stack.urls().items():
        try:
            answer = await client.get(f"{url}/readyz", timeout=1.0)
            lag[name] = {str(k): int(v) for k, v in answer.json().get("lag", {}).items()}
        except (httpx.HTTPError, ValueError, AttributeError):
            continue
    return LagSample(time.time(), lag)
