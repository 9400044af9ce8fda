"""rxsim's Kafka clients over TLS for real, as RXSIM_KAFKA_* says: aiokafka (the services) and
kafka-python (the tools) write and read through a TLS listener that asks for a client
certificate, and refuse a broker whose certificate their CA did not sign.

The listener is a TLS terminator in front of the embedded broker, which speaks PLAINTEXT only
and advertises the terminator's address; SASL cannot be tried here (the embedded broker's
users live in memory and cannot be created once it asks for them), so SASL is checked as far
as the clients' arguments (tests/unit/test_kafka_security.py) and the deployments are
written for it (deploy/README.md).
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rxsim.messaging import kafka_security
from rxsim.messaging.kafka_io import Consumer, Publisher
from rxsim.messaging.kafka_security import KafkaSecurity, aiokafka_args
from rxsim.tools import hostile
from rxsim.tools.broker import EmbeddedBroker, create_topics, free_port
from rxsim.tools.topic_reader import BrokerUnreachable, open_consumer, read
from tests.support.certificates import Certificates, make_certificates
from tests.support.tls_terminator import TlsTerminator


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_bootstrap(certs: Certificates) -> Iterator[str]:
    """A broker reached over mutual TLS only: its address, 127.0.0.1 as the certificate says."""
    tls_port = free_port()
    broker = EmbeddedBroker(advertised=f"127.0.0.1:{tls_port}")
    terminator = TlsTerminator(tls_port, broker.start(), certs, client_certs=True)
    terminator.start()
    yield f"127.0.0.1:{tls_port}"
    terminator.stop()
    broker.stop()


@pytest.fixture
def over_tls(certs: Certificates, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment an operator sets for a TLS listener with client certificates."""
    monkeypatch.setenv("RXSIM_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("RXSIM_KAFKA_SSL_CAFILE", str(certs.ca))
    monkeypatch.setenv("RXSIM_KAFKA_SSL_CERTFILE", str(certs.client_cert))
    monkeypatch.setenv("RXSIM_KAFKA_SSL_KEYFILE", str(certs.client_key))
    kafka_security.from_environment.cache_clear()
    yield
    monkeypatch.undo()
    kafka_security.from_environment.cache_clear()


def test_the_tools_write_and_read_over_tls(tls_bootstrap: str, over_tls: None) -> None:
    # Given a topic, created over TLS as `rxsim up` creates its topics
    topic = f"tls.tools.{uuid.uuid4().hex[:8]}"
    create_topics(tls_bootstrap, [topic], partitions=1)
    # When a tool writes a record to it
    sent = hostile.Hostile("over TLS", topic, b"key", b"value")
    [landed] = hostile.produce(tls_bootstrap, [sent])
    # Then the tools' reader reads it back
    records = list(read(tls_bootstrap, [topic]))
    assert [(r.key, r.value, r.offset) for r in records] == [(b"key", b"value", landed.offset)]


async def test_a_services_publisher_writes_and_a_consumer_reads_over_tls(
    tls_bootstrap: str, over_tls: None
) -> None:
    topic = f"tls.services.{uuid.uuid4().hex[:8]}"
    create_topics(tls_bootstrap, [topic], partitions=1)
    publisher = Publisher(tls_bootstrap, "hospital")
    await publisher.start()
    try:
        await publisher.send_raw(topic, b"rx-1", b"issued")
    finally:
        await publisher.stop()
    consumer = Consumer(
        **aiokafka_args(tls_bootstrap), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.subscribe([topic])  # no group: assigned every partition, read from the start
        message = await consumer.getone()
    finally:
        await consumer.stop()
    assert (message.key, message.value) == (b"rx-1", b"issued")


def test_a_broker_certificate_another_ca_signed_is_refused(
    tls_bootstrap: str, certs: Certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = make_certificates(tmp_path)  # the same names, signed by another CA
    monkeypatch.setattr(
        kafka_security,
        "from_environment",
        lambda: KafkaSecurity(
            security_protocol="SSL",
            ssl_cafile=stranger.ca,
            ssl_certfile=certs.client_cert,
            ssl_keyfile=certs.client_key,
        ),
    )
    with pytest.raises(BrokerUnreachable):
        open_consumer(tls_bootstrap).close()


def test_a_client_without_a_certificate_is_refused(
    tls_bootstrap: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        kafka_security,
        "from_environment",
        lambda: KafkaSecurity(security_protocol="SSL", ssl_cafile=certs.ca),
    )
    with pytest.raises(BrokerUnreachable):
        open_consumer(tls_bootstrap).close()
