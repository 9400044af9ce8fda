"""The Kafka connection's security settings become the right keyword arguments of aiokafka's and
kafka-python's clients, and a combination that cannot work is refused in one line that names
the variable to change. No broker: tests/integration/test_kafka_tls.py connects for real."""

import inspect
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from pydantic import SecretStr

from rxsim.messaging import kafka_security
from rxsim.messaging.http import serve
from rxsim.messaging.kafka_security import (
    KafkaSecurity,
    KafkaSecurityError,
    aiokafka_args,
    kafka_python_args,
)
from rxsim.messaging.settings import Settings
from rxsim.tools.stack import Stack, StackError, with_free_ports
from tests.support.certificates import Certificates, make_certificates

BROKER = "kafka.example:9093"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set RXSIM_KAFKA_* for one test; the process's settings are read again before and after."""
    kafka_security.from_environment.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    kafka_security.from_environment.cache_clear()


def sasl(protocol: str = "SASL_SSL", **more: Any) -> KafkaSecurity:
    given: dict[str, Any] = {
        "security_protocol": protocol,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "rxsim",
        "sasl_password": SecretStr("s3cret"),
    }
    return KafkaSecurity(**(given | more))


def test_plaintext_is_the_default_and_adds_nothing_but_the_protocol() -> None:
    security = KafkaSecurity()
    assert aiokafka_args(BROKER, security) == {
        "bootstrap_servers": BROKER,
        "security_protocol": "PLAINTEXT",
    }
    assert kafka_python_args(BROKER, security) == {
        "bootstrap_servers": BROKER,
        "security_protocol": "PLAINTEXT",
    }


def test_ssl_gives_aiokafka_a_context_that_checks_the_broker_against_the_ca(
    certs: Certificates,
) -> None:
    args = aiokafka_args(BROKER, KafkaSecurity(security_protocol="SSL", ssl_cafile=certs.ca))
    context = args.pop("ssl_context")
    assert args == {"bootstrap_servers": BROKER, "security_protocol": "SSL"}
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "rxsim test CA"),),)]


def test_ssl_gives_kafka_python_the_files(certs: Certificates) -> None:
    security = KafkaSecurity(
        security_protocol="ssl",  # any case, as Kafka's own clients take it
        ssl_cafile=certs.ca,
        ssl_certfile=certs.client_cert,
        ssl_keyfile=certs.client_key,
    )
    assert kafka_python_args(BROKER, security) == {
        "bootstrap_servers": BROKER,
        "security_protocol": "SSL",
        "ssl_check_hostname": True,
        "ssl_cafile": str(certs.ca),
        "ssl_certfile": str(certs.client_cert),
        "ssl_keyfile": str(certs.client_key),
    }


def test_a_client_certificate_is_loaded_into_aiokafkas_context(certs: Certificates) -> None:
    security = KafkaSecurity(
        security_protocol="SSL",
        ssl_cafile=certs.ca,
        ssl_certfile=certs.client_cert,
        ssl_keyfile=certs.client_key,
    )
    assert isinstance(aiokafka_args(BROKER, security)["ssl_context"], ssl.SSLContext)
    not_a_key = security.model_copy(update={"ssl_keyfile": certs.ca})
    for build in (aiokafka_args, kafka_python_args):
        with pytest.raises(KafkaSecurityError, match=r"^cannot load the TLS files \(.*KEYFILE="):
            build(BROKER, not_a_key)


def test_sasl_ssl_gives_both_the_credentials_and_tls(certs: Certificates) -> None:
    security = sasl("SASL_SSL", ssl_cafile=certs.ca)
    aio = aiokafka_args(BROKER, security)
    assert isinstance(aio.pop("ssl_context"), ssl.SSLContext)
    credentials = {
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "rxsim",
        "sasl_plain_password": "s3cret",
    }
    assert aio == {"bootstrap_servers": BROKER, "security_protocol": "SASL_SSL"} | credentials
    assert (
        kafka_python_args(BROKER, security)
        == {
            "bootstrap_servers": BROKER,
            "security_protocol": "SASL_SSL",
            "ssl_check_hostname": True,
            "ssl_cafile": str(certs.ca),
            "ssl_certfile": None,
            "ssl_keyfile": None,
        }
        | credentials
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "scram-sha-512"])
def test_sasl_plaintext_sends_credentials_without_tls(mechanism: str) -> None:
    security = sasl("SASL_PLAINTEXT", sasl_mechanism=mechanism)
    expected = {
        "bootstrap_servers": BROKER,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism.upper(),
        "sasl_plain_username": "rxsim",
        "sasl_plain_password": "s3cret",
    }
    assert aiokafka_args(BROKER, security) == expected
    assert kafka_python_args(BROKER, security) == expected


def test_every_argument_is_one_each_client_knows(certs: Certificates) -> None:
    """A misspelt name would fail only when a client is made, against a real broker."""
    every = sasl(
        "SASL_SSL",
        ssl_cafile=certs.ca,
        ssl_certfile=certs.client_cert,
        ssl_keyfile=certs.client_key,
    )
    for client in (AIOKafkaConsumer, AIOKafkaProducer, AIOKafkaAdminClient):
        known = inspect.signature(client).parameters
        assert set(aiokafka_args(BROKER, every)) <= set(known), client
    for config in (KafkaConsumer, KafkaProducer, KafkaAdminClient):
        assert set(kafka_python_args(BROKER, every)) <= set(config.DEFAULT_CONFIG), config


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"security_protocol": "SASL_TLS"},
            "RXSIM_KAFKA_SECURITY_PROTOCOL is 'SASL_TLS': use one of PLAINTEXT, SSL, "
            "SASL_PLAINTEXT, SASL_SSL",
        ),
        (
            {"security_protocol": "SASL_SSL", "sasl_username": "rxsim"},
            "RXSIM_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs RXSIM_KAFKA_SASL_USERNAME and "
            "RXSIM_KAFKA_SASL_PASSWORD",
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_password": SecretStr("s3cret")},
            "RXSIM_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT needs RXSIM_KAFKA_SASL_USERNAME and "
            "RXSIM_KAFKA_SASL_PASSWORD",
        ),
        (
            {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "GSSAPI",
                "sasl_username": "rxsim",
                "sasl_password": SecretStr("s3cret"),
            },
            "RXSIM_KAFKA_SASL_MECHANISM is 'GSSAPI': use one of PLAIN, SCRAM-SHA-256, "
            "SCRAM-SHA-512",
        ),
        (
            {"security_protocol": "SSL", "ssl_cafile": Path("/nowhere/ca.pem")},
            "RXSIM_KAFKA_SSL_CAFILE: no file at /nowhere/ca.pem",
        ),
        (
            {"sasl_username": "rxsim", "sasl_password": SecretStr("s3cret")},
            "RXSIM_KAFKA_SASL_USERNAME is set but RXSIM_KAFKA_SECURITY_PROTOCOL is PLAINTEXT, "
            "which sends no credentials: use SASL_SSL or SASL_PLAINTEXT",
        ),
    ],
)
def test_a_combination_that_cannot_work_is_refused_in_one_line(
    settings: dict[str, Any], message: str
) -> None:
    for build in (aiokafka_args, kafka_python_args):
        with pytest.raises(KafkaSecurityError) as refused:
            build(BROKER, KafkaSecurity(**settings))
        assert str(refused.value) == message


def test_tls_files_with_a_protocol_without_tls_are_refused(certs: Certificates) -> None:
    """Else the connection would go in clear while the operator believes it is encrypted."""
    with pytest.raises(KafkaSecurityError) as refused:
        aiokafka_args(BROKER, sasl("SASL_PLAINTEXT", ssl_cafile=certs.ca))
    assert str(refused.value) == (
        "RXSIM_KAFKA_SSL_CAFILE is set but RXSIM_KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT, "
        "which does not use TLS: use SSL or SASL_SSL"
    )


def test_a_client_key_without_its_certificate_is_refused(certs: Certificates) -> None:
    security = KafkaSecurity(security_protocol="SSL", ssl_keyfile=certs.client_key)
    with pytest.raises(KafkaSecurityError, match="RXSIM_KAFKA_SSL_KEYFILE is set without"):
        kafka_python_args(BROKER, security)


def test_the_settings_are_read_from_rxsim_kafka_variables(
    certs: Certificates, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("RXSIM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    environment.setenv("RXSIM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    environment.setenv("RXSIM_KAFKA_SASL_USERNAME", "rxsim")
    environment.setenv("RXSIM_KAFKA_SASL_PASSWORD", "s3cret")
    environment.setenv("RXSIM_KAFKA_SSL_CAFILE", str(certs.ca))
    args = kafka_python_args(BROKER)  # no settings given: the environment's
    assert args["security_protocol"] == "SASL_SSL"
    assert args["sasl_mechanism"] == "SCRAM-SHA-256"
    assert args["sasl_plain_password"] == "s3cret"
    assert args["ssl_cafile"] == str(certs.ca)
    assert "s3cret" not in repr(KafkaSecurity())  # the password stays out of logs


def test_a_service_with_wrong_settings_stops_at_once_in_one_line(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("RXSIM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(SystemExit) as stopped:
        serve("hospital", FastAPI())  # before uvicorn: it would listen otherwise
    assert str(stopped.value) == (
        "hospital cannot start: RXSIM_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs "
        "RXSIM_KAFKA_SASL_USERNAME and RXSIM_KAFKA_SASL_PASSWORD"
    )


def test_the_stack_refuses_sasl_or_tls_on_the_embedded_broker(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment.setenv("RXSIM_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    environment.setenv("RXSIM_KAFKA_SASL_USERNAME", "rxsim")
    environment.setenv("RXSIM_KAFKA_SASL_PASSWORD", "s3cret")
    stack = Stack(with_free_ports(Settings()), log_dir=tmp_path)
    with pytest.raises(StackError, match="the embedded broker speaks PLAINTEXT only"):
        stack.start()
    assert stack.broker is None and not stack.processes  # nothing was started


def test_the_stack_refuses_wrong_settings_before_it_starts_anything(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment.setenv("RXSIM_KAFKA_SECURITY_PROTOCOL", "SSL")
    environment.setenv("RXSIM_KAFKA_SSL_CAFILE", str(tmp_path / "missing.pem"))
    settings = with_free_ports(Settings(kafka_bootstrap_servers="kafka.example:9093"))
    stack = Stack(settings, log_dir=tmp_path)
    with pytest.raises(StackError) as refused:
        stack.start()
    assert str(refused.value) == f"RXSIM_KAFKA_SSL_CAFILE: no file at {tmp_path / 'missing.pem'}"
    assert not stack.processes
