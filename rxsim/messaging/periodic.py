"""A job a service runs every so often (a worker's timers, a view's forgetting), for as long
as the service runs: one failed run is logged and the next one comes anyway."""

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def repeat(interval: float, job: Callable[[], Awaitable[None] | None], owner: str) -> None:
    """Call `job` (a function or a coroutine function) every `interval` seconds, until
    cancelled; `owner` names who runs it in the log."""
    while True:
        await asyncio.sleep(interval)
        try:
            done = job()
            if inspect.isawaitable(done):
                await done
        except Exception:  # one failed run must not end the job
            log.exception("%s: a periodic job failed", owner)
