"""Every service stops soon after SIGTERM, whether its broker still answers or is gone: a
supervisor (rxsim up, Kubernetes, docker compose) must not have to wait or SIGKILL.

Each test runs its own stack, since it stops it."""

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rxsim.messaging.settings import SERVICES
from rxsim.tools.stack import Stack
from tests.integration.conftest import stack_settings

pytestmark = pytest.mark.integration
GIVE_UP_S = 20.0  # far beyond "a few seconds": only how long to wait before calling it a hang


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[Stack]:
    settings = stack_settings(None)  # the embedded broker, so the test can stop it
    stack = Stack(settings, log_dir=tmp_path)
    stack.start()
    yield stack
    stack.stop()


def terminate_all(stack: Stack) -> dict[str, float | None]:
    """SIGTERM every service at once; the seconds each took to exit (None: still running when
    the wait gave up; it is killed then)."""
    started = time.monotonic()
    for proc in stack.processes.values():
        proc.send_signal(signal.SIGTERM)
    took: dict[str, float | None] = {}
    while len(took) < len(stack.processes) and time.monotonic() < started + GIVE_UP_S:
        for name, proc in stack.processes.items():
            if name not in took and proc.poll() is not None:
                took[name] = time.monotonic() - started
        time.sleep(0.05)
    for name, proc in stack.processes.items():
        if name not in took:
            proc.kill()
            proc.wait()
            took[name] = None
    return took


@pytest.mark.parametrize("broker", ["running", "gone"])
def test_every_service_stops_on_sigterm(own_stack: Stack, broker: str) -> None:
    if broker == "gone":
        assert own_stack.broker is not None
        own_stack.broker.stop()
    took = terminate_all(own_stack)
    print(f"exit after SIGTERM, broker {broker}:", took)
    assert [name for name in SERVICES if took[name] is None] == []
