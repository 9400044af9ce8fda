"""A service's periodic job runs again after a run that failed, whether it is a function or a
coroutine function."""

import asyncio
import contextlib

from rxsim.messaging.periodic import repeat


async def test_a_job_goes_on_after_a_failed_run_sync_or_async() -> None:
    calls: list[str] = []

    def plain() -> None:
        calls.append("plain")
        if calls.count("plain") == 1:
            raise RuntimeError("the first run fails")

    async def awaited() -> None:
        calls.append("awaited")

    tasks = [asyncio.create_task(repeat(0.01, job, "test")) for job in (plain, awaited)]

    async def each_ran_thrice() -> None:
        while calls.count("plain") < 3 or calls.count("awaited") < 3:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(each_ran_thrice(), timeout=10)  # fails, not hangs, if a job stopped
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
