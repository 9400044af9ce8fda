"""The real stack for integration tests: a Kafka-protocol broker and the four service processes.

Which broker: KAFKA_BOOTSTRAP_SERVERS when set; else RXSIM_TEST_BROKER=kafka starts Apache
Kafka with testcontainers (needs a Docker engine); else the embedded Tansu broker.
"""

import os
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

from rxsim.fhir import bundles
from rxsim.messaging.settings import Settings
from rxsim.tools.stack import Stack, with_free_ports
from tests.support.stack_client import STACK_SCENARIO, StackClient

# 12 simulated hours per real second: the 5-day validity lasts 10 s, a courier trip < 0.4 s.
TEST_SPEEDUP = 43_200.0


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str | None]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    elif os.environ.get("RXSIM_TEST_BROKER") == "kafka":
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        yield None  # the Stack starts the embedded broker itself


def stack_settings(kafka_bootstrap: str | None, scenario: Path = STACK_SCENARIO) -> Settings:
    """A test stack's settings: the test broker, a scenario, the test clock, free ports."""
    return with_free_ports(
        Settings().model_copy(
            update={
                "kafka_bootstrap_servers": kafka_bootstrap,
                "scenario": str(scenario),
                "speedup": TEST_SPEEDUP,
            }
        )
    )


@pytest.fixture(scope="session")
def stack(kafka_bootstrap: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = stack_settings(kafka_bootstrap)
    running = Stack(settings, log_dir=tmp_path_factory.mktemp("stack-logs"))
    running.start()
    running.start_supervisor()  # as `rxsim up` does: a service that dies is started again
    yield running
    running.stop()


NewCode = Callable[..., str]


@pytest.fixture
def new_code() -> NewCode:
    """Prescription codes of this test alone: the stack is shared by every test of the session
    and refuses a code it has seen, so no test may reuse another's."""
    rng = random.Random(uuid.uuid4().int)
    return lambda facility, letter="c": bundles.new_code(rng, facility, letter)


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """Headless Debian chromium, driven by Playwright (tests/support/browser.py)."""
    from tests.support import browser as chromium

    lacking = chromium.missing()
    assert lacking is None, lacking  # a machine without them fails, never skips
    with chromium.chromium() as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: Stack) -> StackClient:
    """The stack's APIs with each kind of caller's token (tests/support/stack_client.py)."""
    return StackClient(stack)
