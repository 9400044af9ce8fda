"""The local stack's supervisor: the broker (embedded unless KAFKA_BOOTSTRAP_SERVERS is set),
the topics, and the four services as their own processes, started and stopped together. A
service that dies is started again (with a growing pause, a few times at most); the broker and
the other services go on meanwhile."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from rxsim.messaging import kafka_security, tokens
from rxsim.messaging.codec import now
from rxsim.messaging.settings import (
    DASHBOARD,
    GROUP_CONSUMERS,
    GROUP_SESSION_TIMEOUT_S,
    SERVICES,
    Settings,
)
from rxsim.messaging.tokens import Role
from rxsim.tools.broker import BrokerError, EmbeddedBroker, ensure_topics, free_port, port_in_use


class StackError(RuntimeError):
    """The stack could not start; the message says what to do."""


MAX_RESTARTS = 5  # per service: a service that keeps dying is left stopped, and said so
# Seconds between a service's death and its restart, times the how-many-th restart it is. For a
# consumer group's member the first wait outlasts the group's session: the new process then
# joins a group its dead predecessor has left, and takes all its partitions in one rebalance
# (with the dead member still in the group, the group rebalances twice, and each rebalance
# restores the tables again). A service that reads by assignment comes back at once.
RESTART_PAUSE = GROUP_SESSION_TIMEOUT_S + 1.0
QUICK_RESTART_PAUSE = 0.5
# Every run's service logs go under one folder, one subfolder per run, the latest kept.
LOG_ROOT = Path(tempfile.gettempdir()) / "rxsim-logs"
LOG_RUNS_KEPT = 10
READINESS_EVERY_S = 2.0  # how often the supervisor asks each service's /readyz, when asked to


@dataclass(frozen=True)
class ReadinessChange:
    """A running service stopped being ready, or became ready again (`reason` None)."""

    service: str
    reason: str | None

    def __str__(self) -> str:
        if self.reason is None:
            return f"{self.service} is ready again"
        return f"{self.service} is not ready: {self.reason}"


def readiness_changes(
    known: dict[str, str | None], now: dict[str, str | None]
) -> list[ReadinessChange]:
    """What changed between two readings (service -> why not ready, None if ready): only a
    service going from ready to not or back, not a reason that changes while it stays not
    ready (a lag that grows would say so every few seconds)."""
    return [
        ReadinessChange(name, reason)
        for name, reason in now.items()
        if (reason is None) != (known.get(name) is None)
    ]


@dataclass(frozen=True)
class Restart:
    """The supervisor found a service dead and started it again (or gave up on it)."""

    service: str
    exit_code: int | None
    count: int  # the how-many-th restart of this service
    gave_up: bool = False

    def __str__(self) -> str:
        if self.gave_up:
            return f"{self.service} died again after {self.count} restarts: left stopped"
        return f"{self.service} died (exit {self.exit_code}): restarted ({self.count})"


def new_log_dir(root: Path = LOG_ROOT, kept: int = LOG_RUNS_KEPT) -> Path:
    """A fresh folder for a run's logs under `root` (named by when it started), after removing
    all but the `kept` - 1 latest runs' folders: logs stay in one place and do not pile up."""
    root.mkdir(parents=True, exist_ok=True)
    runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in runs[: max(0, len(runs) - (kept - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    now = time.time_ns()
    started = time.strftime("%Y%m%d-%H%M%S", time.localtime(now / 1e9))
    return Path(tempfile.mkdtemp(prefix=f"{started}.{now % 1_000_000_000:09d}-", dir=root))


def service_command(name: str) -> list[str]:
    module = "rxsim.tools.dashboard" if name == DASHBOARD else f"services.{name}"
    return [sys.executable, "-m", module]


class Stack:
    def __init__(
        self,
        settings: Settings,
        log_dir: Path | None = None,
        broker_port: int | None = None,
        command: Callable[[str], list[str]] = service_command,
        restart_pause: float = RESTART_PAUSE,
    ) -> None:
        if settings.auth_secret is None:  # a new key per stack: an earlier stack's tokens are void
            secret = SecretStr(secrets.token_urlsafe(32))
            settings = settings.model_copy(update={"auth_secret": secret})
        self.settings = settings
        self.command, self.restart_pause = command, restart_pause
        self.quick_pause = min(restart_pause, QUICK_RESTART_PAUSE)
        self.log_dir = log_dir or new_log_dir()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.broker_port = broker_port
        self.broker: EmbeddedBroker | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: list[Restart] = []
        self._died_at: dict[str, float] = {}  # when the supervisor first saw it dead
        self._supervising = threading.Event()
        self._supervisor: threading.Thread | None = None

    @property
    def bootstrap(self) -> str:
        return self.settings.bootstrap

    def urls(self) -> dict[str, str]:
        return {name: self.settings.url_of(name) for name in SERVICES}

    def token(self, role: Role = Role.OPERATOR, subject: str = tokens.OPERATOR) -> str:
        """A bearer token this stack's services accept (an operator's unless said otherwise)."""
        return tokens.issue(self.settings.token_secret, role, subject, now())

    def auth(self, role: Role = Role.OPERATOR, subject: str = tokens.OPERATOR) -> dict[str, str]:
        """The Authorization header of such a token."""
        return {"Authorization": f"Bearer {self.token(role, subject)}"}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
        env["RXSIM_PARTITIONS"] = str(self.settings.partitions)
        env["RXSIM_FETCH_MAX_WAIT_MS"] = str(self.settings.fetch_max_wait_ms)
        env["RXSIM_SCENARIO"] = self.settings.scenario
        env["RXSIM_HOST"] = self.settings.host
        env["RXSIM_AUTH_SECRET"] = self.settings.token_secret
        if self.settings.speedup:
            env["RXSIM_SPEEDUP"] = str(self.settings.speedup)
        for name in (*SERVICES, DASHBOARD):
            env[f"RXSIM_{name.upper()}_PORT"] = str(self.settings.port_of(name))
        return env

    def start(
        self, on_ready: Callable[[str], None] = lambda name: None, timeout: float = 90.0
    ) -> None:
        self._check_kafka_security()
        for name in SERVICES:
            port = self.settings.port_of(name)
            if port_in_use(port, self.settings.host):
                raise StackError(
                    f"port {port} for the {name} service is in use: stop what "
                    f"listens there or set RXSIM_{name.upper()}_PORT"
                )
        try:
            if not self.settings.kafka_bootstrap_servers:
                self.broker = EmbeddedBroker(self.broker_port, self.settings.host)
                bootstrap = self.broker.start()
                self.settings = self.settings.model_copy(
                    update={"kafka_bootstrap_servers": bootstrap}
                )
                on_ready("broker")
            ensure_topics(self.bootstrap, self.settings.partitions)
        except BrokerError as exc:
            self.stop()
            raise StackError(str(exc)) from None
        for name in SERVICES:
            self.launch(name)
        try:
            self._wait_ready(on_ready, timeout)
        except StackError:
            self.stop()
            raise

    def _check_kafka_security(self) -> None:
        """Refuse, in one line, Kafka security settings that cannot work, before anything starts:
        the services would each die on them, five times over."""
        try:
            security = kafka_security.check(kafka_security.from_environment())
        except kafka_security.KafkaSecurityError as exc:
            raise StackError(str(exc)) from None
        if not self.settings.kafka_bootstrap_servers and security.protocol != "PLAINTEXT":
            raise StackError(
                f"{kafka_security.env_name('security_protocol')} is {security.protocol}, but "
                "the embedded broker speaks PLAINTEXT only (on this machine alone): set "
                "KAFKA_BOOTSTRAP_SERVERS to a Kafka that offers it, or unset the variable"
            )

    def launch(self, name: str) -> None:
        # Appended, so a restarted service's log keeps what the dead one said.
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            self.command(name),
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def supervise(self) -> list[Restart]:
        """Start again every service that died, once its pause is over (longer with every
        restart), at most MAX_RESTARTS times; what it did, for the caller to show."""
        done = []
        now = time.monotonic()
        for name in self.dead():
            if name in self.given_up():
                continue
            count = sum(1 for r in self.restarts if r.service == name) + 1
            died_at = self._died_at.setdefault(name, now)
            pause = self.restart_pause if name in GROUP_CONSUMERS else self.quick_pause
            if now - died_at < pause * count:
                continue
            del self._died_at[name]
            exit_code = self.processes[name].returncode
            if count > MAX_RESTARTS:
                done.append(Restart(name, exit_code, count - 1, gave_up=True))
                continue
            self.launch(name)
            done.append(Restart(name, exit_code, count))
        self.restarts += done
        return done

    def start_supervisor(
        self,
        on_restart: Callable[[Restart], None] = lambda restart: None,
        on_readiness: Callable[[ReadinessChange], None] | None = None,
    ) -> None:
        """Supervise in the background until `stop()` (once: a second call changes nothing).
        With `on_readiness`, also read every service's /readyz every READINESS_EVERY_S and
        say when one stops being ready or becomes ready again."""
        if self._supervisor is not None:
            return

        def watch() -> None:
            known: dict[str, str | None] = dict.fromkeys(SERVICES)  # start() saw all ready
            asked = time.monotonic()
            with httpx.Client(timeout=1.0) as client:
                while not self._supervising.wait(0.5):
                    for restart in self.supervise():
                        on_restart(restart)
                    if on_readiness and time.monotonic() - asked >= READINESS_EVERY_S:
                        now = self.readiness(client)
                        for change in readiness_changes(known, now):
                            on_readiness(change)
                        known.update(now)
                        asked = time.monotonic()

        self._supervisor = threading.Thread(target=watch, name="rxsim-supervisor", daemon=True)
        self._supervisor.start()

    def given_up(self) -> list[str]:
        return [r.service for r in self.restarts if r.gave_up]

    def start_dashboard(self, timeout: float = 60.0) -> str:
        """Start the operations dashboard beside the running services (supervised as they
        are, stopped with them); its page's address."""
        port = self.settings.port_of(DASHBOARD)
        if port_in_use(port, self.settings.host):
            raise StackError(
                f"port {port} for the dashboard is in use: stop what listens there or set "
                "RXSIM_DASHBOARD_PORT"
            )
        self.launch(DASHBOARD)
        self._wait_ready(lambda name: None, timeout, [DASHBOARD])
        return f"{self.settings.url_of(DASHBOARD)}/dashboard"

    def stop_dashboard(self) -> None:
        """Stop the dashboard alone (the services go on)."""
        proc = self.processes.pop(DASHBOARD, None)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def _wait_ready(
        self, on_ready: Callable[[str], None], timeout: float, names: Iterable[str] = SERVICES
    ) -> None:
        deadline = time.monotonic() + timeout
        waiting = {name: self.settings.url_of(name) for name in names}
        with httpx.Client(timeout=2.0) as client:
            while waiting:
                for name, url in list(waiting.items()):
                    if self.processes[name].poll() is not None:
                        raise StackError(
                            f"the {name} service exited at start; last lines of "
                            f"{self.log_dir / (name + '.log')}:\n" + self.log_tail(name)
                        )
                    try:
                        if client.get(f"{url}/readyz").status_code == 200:
                            del waiting[name]
                            on_ready(name)
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise StackError(
                        f"not ready after {timeout:.0f}s: {', '.join(waiting)}; "
                        f"logs in {self.log_dir}"
                    )
                time.sleep(0.2)

    def readiness(self, client: httpx.Client) -> dict[str, str | None]:
        """Why each running service is not ready, from its /readyz (None: ready). A service
        that is not running is left out: the supervisor says what happens to it."""
        found: dict[str, str | None] = {}
        for name in self.processes.keys() - set(self.dead()):
            try:
                answer = client.get(f"{self.settings.url_of(name)}/readyz")
            except httpx.HTTPError:
                found[name] = "not answering"
                continue
            if answer.status_code == 200:
                found[name] = None
                continue
            try:
                found[name] = str(answer.json()["reason"])
            except (ValueError, KeyError, TypeError):  # not our answer: say what it was
                found[name] = f"HTTP {answer.status_code}"
        return found

    def log_tail(self, name: str, lines: int = 8) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def signal(self, name: str, sig: signal.Signals) -> int:
        """Send a signal to one service (SIGKILL as the OOM killer would, SIGSTOP as a frozen
        VM would); its pid, to see a restart change it."""
        pid = self.processes[name].pid
        os.kill(pid, sig)
        return pid

    def ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.settings.url_of(name)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def dead(self) -> list[str]:
        return [name for name, proc in self.processes.items() if proc.poll() is not None]

    def stop(self) -> None:
        self._supervising.set()  # first, so that nothing is restarted while it stops
        if self._supervisor:
            self._supervisor.join()
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()
        if self.broker:
            self.broker.stop()
            self.broker = None


def running_file() -> Path:
    """Where `rxsim up` says what it runs, so the live tools find its broker on their own."""
    return Path(os.environ.get("RXSIM_STATE_DIR", Path.home() / ".rxsim")) / "running.json"


def announce(stack: Stack) -> None:
    """Note the stack for the tools, with its tokens' key: readable by this user only."""
    path = running_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    running = {
        "pid": os.getpid(),
        "bootstrap": stack.bootstrap,
        "urls": stack.urls(),
        "auth_secret": stack.settings.token_secret,
    }
    path.write_text(json.dumps(running))


def withdraw() -> None:
    running_file().unlink(missing_ok=True)


def _running(key: str) -> str | None:
    try:
        running = json.loads(running_file().read_text())
        os.kill(int(running["pid"]), 0)  # raises if that process is gone
        return str(running[key])
    except (OSError, ValueError, KeyError):
        return None


def running_bootstrap() -> str | None:
    """The broker of a `rxsim up` still running on this machine, if any."""
    return _running("bootstrap")


def running_token(role: Role, subject: str) -> str | None:
    """A token for the `rxsim up` still running on this machine, if any."""
    secret = _running("auth_secret")
    return None if secret is None else tokens.issue(secret, role, subject, now())


def with_free_ports(settings: Settings) -> Settings:
    """The same settings with every service on a free loopback port (for demos and tests)."""
    ports = {f"{name}_port": free_port(settings.host) for name in (*SERVICES, DASHBOARD)}
    return settings.model_copy(update=ports)
