"""The supervisor starts a dead service again, each time after a longer pause, and gives up
after MAX_RESTARTS; real processes that really exit stand in for the services."""

import sys
import time
from pathlib import Path

from rxsim.messaging.settings import SERVICES, Settings
from rxsim.tools.stack import MAX_RESTARTS, Restart, Stack


def dying_stack(tmp_path: Path) -> Stack:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:9")  # never reached: no Kafka here
    return Stack(
        settings,
        log_dir=tmp_path,
        command=lambda name: [sys.executable, "-c", "raise SystemExit(3)"],
        restart_pause=0.01,
    )


def supervise_until_quiet(stack: Stack, rounds: int = 400) -> list[Restart]:
    """Call the supervisor as its thread would, until every service is given up on."""
    done: list[Restart] = []
    for _ in range(rounds):
        for proc in stack.processes.values():
            proc.wait()
        done += stack.supervise()
        if len(stack.given_up()) == len(SERVICES):
            break
        time.sleep(0.01)
    return done


def test_a_dead_service_is_restarted_then_given_up(tmp_path: Path) -> None:
    stack = dying_stack(tmp_path)
    for name in SERVICES:
        stack.launch(name)
    done = supervise_until_quiet(stack)
    for name in SERVICES:
        mine = [r for r in done if r.service == name]
        assert [r.count for r in mine] == [*range(1, MAX_RESTARTS + 1), MAX_RESTARTS]
        assert [r.gave_up for r in mine] == [False] * MAX_RESTARTS + [True]
        assert {r.exit_code for r in mine} == {3}
    assert stack.supervise() == []  # given up: nothing more is tried
    assert "left stopped" in str(done[-1])


def test_a_service_that_keeps_running_is_left_alone(tmp_path: Path) -> None:
    stack = Stack(
        Settings(kafka_bootstrap_servers="127.0.0.1:9"),
        log_dir=tmp_path,
        command=lambda name: [sys.executable, "-c", "import time; time.sleep(30)"],
    )
    for name in SERVICES:
        stack.launch(name)
    try:
        assert stack.supervise() == []
        assert stack.restarts == []
    finally:
        stack.stop()
