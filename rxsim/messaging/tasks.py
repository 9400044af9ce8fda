"""Coroutines run in the background (timers of simulated people, couriers, generators)."""

import asyncio
from collections.abc import Coroutine
from typing import Any

# asyncio keeps only weak references to tasks: without this set one could vanish mid-sleep.
_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.ensure_future(coro)
    _running.add(task)
    task.add_done_callback(_running.discard)
