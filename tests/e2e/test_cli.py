"""The CLI as a user runs it: `rxsim demo`, `rxsim up` and Ctrl-C, and clear errors."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rxsim.tools.broker import free_port
from rxsim.tools.run_result import problems

RXSIM = [sys.executable, "-m", "rxsim"]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return subprocess.run([*RXSIM, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_demo_runs_a_scenario_to_the_end_and_prints_a_summary(tmp_path: Path) -> None:
    result = run("demo", "--count", "40", "--rate", "20", "--out", str(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "every prescription reached a terminal state" in result.stdout
    for line in ("issued", "delivered", "still in flight", "issued → in the citizen's app"):
        assert line in result.stdout
    # the same reports as a load run: a result valid against its schema, and its page
    [written] = tmp_path.glob("demo-*.json")
    report = json.loads(written.read_text())
    assert problems(report) == [] and report["command"] == "demo"
    assert report["outcomes"]["issued"] == report["outcomes"]["terminal"] == 40
    assert written.with_suffix(".html").stat().st_size > 0
    assert f"wrote {written}" in result.stdout.replace("\n", "")


def test_demo_can_stay_up_after_its_report_for_a_person_to_look(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160", "RXSIM_STATE_DIR": str(tmp_path)}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    log = tmp_path / "demo.log"
    args = ["demo", "--count", "10", "--rate", "10", "--out", str(tmp_path), "--stay"]
    with log.open("w") as out:
        proc = subprocess.Popen([*RXSIM, *args], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 180
        while "stays up" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not stay up after its report"
            time.sleep(0.3)
        said = log.read_text().split("stays up", 1)[1]
        page = re.search(r"http://127\.0\.0\.1:\d+/app", said)
        dashboard = re.search(r"http://127\.0\.0\.1:\d+/dashboard", said)
        assert page and dashboard, said
        assert httpx.get(page.group(0)).status_code == 200  # the run's pages are still there
        token = subprocess.run(
            [*RXSIM, "token", "operator"], env=env, capture_output=True, text=True, timeout=60
        )
        assert token.returncode == 0, token.stdout + token.stderr  # the tools find it
        operator = {"Authorization": f"Bearer {token.stdout.strip()}"}
        overview = dashboard.group(0).replace("/dashboard", "/api/overview")
        assert httpx.get(overview, headers=operator).status_code == 200

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (tmp_path / "running.json").exists()


def test_scenarios_are_listed() -> None:
    result = run("scenarios")
    assert result.returncode == 0
    assert "pilot" in result.stdout


def test_a_busy_broker_port_gives_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("up", "--broker-port", str(port), timeout=60)
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [(("--count", "-5"), "--count must be 1 or more"), (("--rate", "0"), "--rate must be more")],
)
def test_demo_refuses_impossible_numbers_before_starting(args: tuple[str, ...], said: str) -> None:
    result = run("demo", *args, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "starting the broker" not in result.stdout


def test_unknown_scenario_is_refused_with_the_list() -> None:
    result = run("demo", "--scenario", "nowhere")
    assert result.returncode == 2
    assert "no scenario 'nowhere'" in result.stderr
    assert "pilot" in result.stderr


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.add(int(entry.name))
    return found


def test_up_serves_every_service_and_ctrl_c_leaves_no_process_behind(tmp_path: Path) -> None:
    ports = {
        name: free_port()
        for name in ("HOSPITAL", "COORDINATOR", "PHARMACY", "CITIZEN_APP", "DASHBOARD")
    }
    env = {
        **os.environ,
        "COLUMNS": "160",
        "RXSIM_STATE_DIR": str(tmp_path),
        **{f"RXSIM_{name}_PORT": str(port) for name, port in ports.items()},
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    out = (tmp_path / "up.log").open("w+")
    proc = subprocess.Popen([*RXSIM, "up"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while "ready." not in (tmp_path / "up.log").read_text():
            assert proc.poll() is None, (tmp_path / "up.log").read_text()
            assert time.monotonic() < deadline, "rxsim up did not get ready"
            time.sleep(0.3)
        children = _children(proc.pid)
        assert len(children) >= 6  # the broker, four services and the dashboard
        for port in ports.values():
            assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
            assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200

        # The live tools find the running stack's broker without being told.
        found = subprocess.run(
            [*RXSIM, "deadletters"], env=env, capture_output=True, text=True, timeout=60
        )
        assert found.returncode == 0, found.stdout + found.stderr
        assert (tmp_path / "running.json").exists()
        # `rxsim up` says how to get a token, and `rxsim token` gives one its services take.
        assert "rxsim token operator" in (tmp_path / "up.log").read_text()
        # It prints the citizen's page, which a browser loads from the stack alone.
        page = f"http://127.0.0.1:{ports['CITIZEN_APP']}/app"
        assert page in (tmp_path / "up.log").read_text()
        loaded = httpx.get(page)
        assert loaded.status_code == 200
        assert '<html lang="vi">' in loaded.text
        assert httpx.get(f"{page}/static/app.js").status_code == 200
        stats = f"http://127.0.0.1:{ports['COORDINATOR']}/stats"
        assert httpx.get(stats).status_code == 401
        token = subprocess.run(
            [*RXSIM, "token", "operator"], env=env, capture_output=True, text=True, timeout=60
        )
        assert token.returncode == 0, token.stdout + token.stderr
        operator = {"Authorization": f"Bearer {token.stdout.strip()}"}
        assert httpx.get(stats, headers=operator).status_code == 200
        # And the operations dashboard, which takes the operator's token and no other.
        dashboard = f"http://127.0.0.1:{ports['DASHBOARD']}"
        assert f"{dashboard}/dashboard" in (tmp_path / "up.log").read_text()
        assert '<html lang="en">' in httpx.get(f"{dashboard}/dashboard").text
        assert httpx.get(f"{dashboard}/dashboard/static/dashboard.js").status_code == 200
        assert httpx.get(f"{dashboard}/api/overview").status_code == 401
        overview = httpx.get(f"{dashboard}/api/overview", headers=operator)
        assert overview.status_code == 200 and "by_state" in overview.json()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    still_alive = [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
    ]
    assert still_alive == []
    assert "stopped." in (tmp_path / "up.log").read_text()
    assert not (tmp_path / "running.json").exists()


@pytest.mark.parametrize(
    "command",
    [
        "--help",
        "demo --help",
        "up --help",
        "token --help",
        "chaos --help",
        "fhir wrap --help",
        "report html --help",
        "report compare --help",
    ],
)
def test_help_is_there(command: str) -> None:
    assert run(*command.split()).returncode == 0
