"""The supervisor starts a dead service again, each time after a longer pause, and gives up
after MAX_RESTARTS, and says when a service stops being ready; real processes that really
exit or answer /readyz stand in for the services."""

import sys
import time
from pathlib import Path

import httpx

from rxsim.messaging.settings import SERVICES, Settings
from rxsim.tools.stack import (
    MAX_RESTARTS,
    ReadinessChange,
    Restart,
    Stack,
    new_log_dir,
    readiness_changes,
    with_free_ports,
)


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


# A stand-in service: answers /readyz as a service does, ready unless it is the pharmacy.
READYZ_SERVER = """
import http.server, json, os, sys
name = sys.argv[1]
port = int(os.environ[f"RXSIM_{name.upper()}_PORT"])
class Readyz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ready = name != "pharmacy"
        body = {"status": "ready"}
        if not ready:
            body = {"status": "not ready", "reason": "behind by 5 events"}
        self.send_response(200 if ready else 503)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Readyz).serve_forever()
"""


def answering_stack(tmp_path: Path) -> Stack:
    """Stand-ins for the four services, each answering /readyz."""
    stack = Stack(
        with_free_ports(Settings(kafka_bootstrap_servers="127.0.0.1:9")),
        log_dir=tmp_path,
        command=lambda name: [sys.executable, "-c", READYZ_SERVER, name],
    )
    for name in SERVICES:
        stack.launch(name)
    with httpx.Client(timeout=2) as client:
        deadline = time.monotonic() + 60
        while "not answering" in stack.readiness(client).values():  # not listening yet
            assert time.monotonic() < deadline, stack.readiness(client)
            time.sleep(0.1)
    return stack


def test_the_supervisor_says_when_a_service_stops_being_ready_and_why(tmp_path: Path) -> None:
    stack = answering_stack(tmp_path)
    changes: list[ReadinessChange] = []
    try:
        stack.start_supervisor(on_readiness=changes.append)
        deadline = time.monotonic() + 60
        while not changes and time.monotonic() < deadline:
            time.sleep(0.1)
        assert changes == [ReadinessChange("pharmacy", "behind by 5 events")]
        assert str(changes[0]) == "pharmacy is not ready: behind by 5 events"
    finally:
        stack.stop()


def test_readiness_leaves_out_a_dead_service(tmp_path: Path) -> None:
    stack = answering_stack(tmp_path)
    try:
        stack.processes["citizen_app"].kill()
        stack.processes["citizen_app"].wait()
        with httpx.Client(timeout=2) as client:
            assert stack.readiness(client) == {  # a dead one is the restarts' business
                "hospital": None,
                "coordinator": None,
                "pharmacy": "behind by 5 events",
            }
    finally:
        stack.stop()


def test_only_a_change_between_ready_and_not_is_said() -> None:
    known: dict[str, str | None] = {"hospital": None, "pharmacy": "behind by 1200 events"}
    assert readiness_changes(known, {"hospital": None, "pharmacy": "behind by 1500 events"}) == []
    assert readiness_changes(known, {"hospital": "consumer stopped", "pharmacy": None}) == [
        ReadinessChange("hospital", "consumer stopped"),
        ReadinessChange("pharmacy", None),
    ]
    assert str(ReadinessChange("pharmacy", None)) == "pharmacy is ready again"


def test_run_logs_stay_in_one_folder_and_only_the_latest_runs_are_kept(tmp_path: Path) -> None:
    made = [new_log_dir(tmp_path, kept=3) for _ in range(5)]

    assert all(run.parent == tmp_path for run in made)
    assert sorted(p for p in tmp_path.iterdir()) == sorted(made[-3:])
