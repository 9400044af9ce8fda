"""Runtime settings, read once from the environment (RXSIM_*, and KAFKA_BOOTSTRAP_SERVERS)."""

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rxsim.messaging.bootstrap import bootstrap_problem

SERVICES = ("hospital", "coordinator", "pharmacy", "citizen_app")
# The operations dashboard: a process of the local stack too, but a tool, not a service (it
# decides nothing; rxsim/tools/dashboard), so it is started only where a person looks at it.
DASHBOARD = "dashboard"
# How long a consumer group waits for a silent member before giving its partitions to others
# (every consumer of every service uses it; the supervisor waits it out before a restart).
GROUP_SESSION_TIMEOUT_S = 10.0
# The services that read their topics as a consumer group (the coordinator's and the
# pharmacy's batched workers); the others read by assignment and rebuild their views from the
# beginning, so no group waits for them.
GROUP_CONSUMERS = ("coordinator", "pharmacy")
# A service more events than this behind the topics it reads is not ready (`/readyz` answers
# 503 "behind by N events"): what it shows or decides is that far out of date. A consumer
# that keeps up is a few events behind at most (each hop takes tens of milliseconds); a
# thousand is seconds of a demo's busiest traffic, into the coordinator.
READY_MAX_LAG = 1000
# Seconds a service gives each step of its shutdown after SIGTERM: requests still being
# answered, then each Kafka client's stop. Stopping a client flushes what is still to send and
# leaves the consumer group, which needs the broker: with the broker gone, aiokafka retries
# until its request timeout (40 s) and the process would not exit. Giving up
# loses nothing a restart cannot recover: every service rebuilds from the broker alone, and
# the coordinator and the pharmacy store state only once the broker has what they sent.
STOP_TIMEOUT_S = 3  # whole seconds: what uvicorn takes


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RXSIM_", extra="ignore")

    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "RXSIM_KAFKA_BOOTSTRAP_SERVERS"),
        description="an existing Kafka cluster; unset means rxsim starts its embedded broker",
    )
    partitions: int = Field(default=4, ge=1, description="partitions of every topic rxsim creates")
    scenario: str = Field(default="pilot", description="scenario name or path to a .toml file")
    speedup: float | None = Field(
        default=None, gt=0, description="simulated seconds per real second (overrides the scenario)"
    )
    fetch_max_wait_ms: int = Field(
        default=50,
        ge=1,
        description="how long a consumer's fetch may wait for data. The embedded broker answers "
        "a fetch only when this wait runs out (measured: p50 417 ms per hop at 1500 ms, 4 ms at "
        "50 ms), so it bounds the latency of every hop",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        description="the key every service of a stack signs and checks bearer tokens with "
        "(rxsim.messaging.tokens); `rxsim up` makes a new one at each start",
    )
    requests_per_second: float = Field(
        default=200.0,
        gt=0,
        description="how often one caller (one token's subject) may call a service's API, in "
        "the long run; more is answered 429 RATE_LIMITED with Retry-After",
    )
    request_burst: float = Field(
        default=400.0, ge=1, description="how many requests one caller may make at once"
    )
    host: str = "127.0.0.1"
    hospital_port: int = 8081
    coordinator_port: int = 8082
    pharmacy_port: int = 8083
    citizen_app_port: int = 8084
    dashboard_port: int = Field(
        default=8085, description="the operations dashboard (rxsim.tools.dashboard), a tool"
    )
    pharmacy_url: str | None = Field(
        default=None,
        description="where the citizen app asks the pharmacy service which pharmacies have a "
        "prescription's drugs; unset: the pharmacy port on this host",
    )

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _brokers(cls, servers: str | None) -> str | None:
        problem = None if servers is None else bootstrap_problem(servers)
        if problem:
            raise ValueError(problem)
        return servers

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def url_of(self, service: str) -> str:
        return f"http://{self.host}:{self.port_of(service)}"

    @property
    def pharmacy_api(self) -> str:
        if self.pharmacy_url:
            return self.pharmacy_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # listens on all
        return f"http://{host}:{self.pharmacy_port}"

    @property
    def token_secret(self) -> str:
        """The tokens' key: a service without one would let no one in, so it does not start."""
        if self.auth_secret is None:
            raise RuntimeError(
                "RXSIM_AUTH_SECRET is not set: every service of a stack needs the same secret "
                "to check bearer tokens (`rxsim up` makes one; elsewhere, set it)"
            )
        return self.auth_secret.get_secret_value()

    @property
    def bootstrap(self) -> str:
        if not self.kafka_bootstrap_servers:
            raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set and no embedded broker runs")
        return self.kafka_bootstrap_servers


@lru_cache
def get_settings() -> Settings:
    return Settings()
