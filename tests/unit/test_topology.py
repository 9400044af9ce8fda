"""The topology is declared once, in schemas/topics.py: services read what it says they read,
and a write it does not declare is refused before it reaches the broker."""

import tomllib
from pathlib import Path

import pytest

from rxsim import fhir
from rxsim.messaging.kafka_io import Publisher
from rxsim.messaging.settings import SERVICES
from schemas import topics
from services.coordinator.handlers import HANDLERS


def test_the_coordinator_handles_exactly_what_it_reads() -> None:
    assert set(HANDLERS) == {topic.name for topic in topics.reads_of("coordinator")}


def test_every_service_writes_dead_letters() -> None:
    for service in ("hospital", "coordinator", "pharmacy", "citizen_app"):
        assert topics.RX_DEADLETTER in topics.writes_of(service)


def test_the_coordinator_writes_pharmacy_cancellations() -> None:
    assert topics.PHARMACY_CANCELLATIONS in topics.writes_of("coordinator")


def test_a_write_the_topology_does_not_declare_is_refused() -> None:
    with pytest.raises(topics.UndeclaredWrite, match=r"hospital does not write rx\.status"):
        topics.check_write("hospital", topics.RX_STATUS)


async def test_a_publisher_refuses_an_undeclared_topic_before_sending() -> None:
    publisher = Publisher("127.0.0.1:1", "citizen_app")  # never started: no broker is touched
    data = fhir.cancellation("abcde1234567-c", "test")
    with pytest.raises(topics.UndeclaredWrite):
        await publisher.publish(topics.RX_CANCEL, "k", data, subject="abcde1234567-c")


def test_every_service_is_in_the_topology_and_in_the_independence_contract() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    [independence] = [c for c in contracts if c["type"] == "independence"]
    assert set(independence["modules"]) == {f"services.{name}" for name in SERVICES}
    for name in SERVICES:
        assert topics.reads_of(name) and topics.writes_of(name), name
