"""How every Kafka client of rxsim reaches the broker: in clear (the default, and all the
embedded broker speaks), or over TLS, SASL, or both, as RXSIM_KAFKA_* says. The two functions
at the bottom turn those settings into the keyword arguments of an aiokafka client and of a
kafka-python client; every client rxsim makes is built from them, so that a service, a tool and
the topic creator all connect the same way.

A wrong combination is refused here, in one line naming the variable, before any client is
made: aiokafka would fail much later and deep down (a SCRAM login to an unknown user ends in
`KeyError: 'v'`), or quietly connect in clear when a CA file was given with PLAINTEXT.
"""

import ssl
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "RXSIM_KAFKA_"
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaSecurityError(ValueError):
    """The Kafka security settings cannot work together; the message is one line."""


class KafkaSecurity(BaseSettings):
    """RXSIM_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM, _SASL_USERNAME, _SASL_PASSWORD,
    _SSL_CAFILE, _SSL_CERTFILE, _SSL_KEYFILE. Protocol and mechanism are plain strings so that
    a wrong one is refused by `check` in one line rather than by pydantic in five."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # Unset: the system's trusted CAs (a broker with a public certificate).
    ssl_cafile: Path | None = None
    # A client certificate (mutual TLS); the key may be in the same PEM file.
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    @property
    def protocol(self) -> str:
        return self.security_protocol.strip().upper()

    @property
    def mechanism(self) -> str:
        return self.sasl_mechanism.strip().upper()

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")


def env_name(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


def check(security: KafkaSecurity) -> KafkaSecurity:
    """`security` if it can work; otherwise KafkaSecurityError saying what to change."""
    if security.protocol not in PROTOCOLS:
        raise KafkaSecurityError(
            f"{env_name('security_protocol')} is {security.security_protocol!r}: "
            f"use one of {', '.join(PROTOCOLS)}"
        )
    _check_sasl(security)
    _check_tls(security)
    return security


def _check_sasl(security: KafkaSecurity) -> None:
    given = [f for f in ("sasl_username", "sasl_password") if getattr(security, f)]
    if not security.uses_sasl:
        if given:  # credentials the client would never send: the operator meant SASL
            raise KafkaSecurityError(
                f"{env_name(given[0])} is set but {env_name('security_protocol')} is "
                f"{security.protocol}, which sends no credentials: use SASL_SSL or SASL_PLAINTEXT"
            )
        return
    if security.mechanism not in MECHANISMS:
        raise KafkaSecurityError(
            f"{env_name('sasl_mechanism')} is {security.sasl_mechanism!r}: "
            f"use one of {', '.join(MECHANISMS)}"
        )
    if len(given) < 2:
        raise KafkaSecurityError(
            f"{env_name('security_protocol')}={security.protocol} needs "
            f"{env_name('sasl_username')} and {env_name('sasl_password')}"
        )


def _check_tls(security: KafkaSecurity) -> None:
    names = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")
    given: dict[str, Path] = {f: getattr(security, f) for f in names if getattr(security, f)}
    if given and not security.uses_tls:  # the files would be ignored and the link left in clear
        raise KafkaSecurityError(
            f"{env_name(next(iter(given)))} is set but {env_name('security_protocol')} is "
            f"{security.protocol}, which does not use TLS: use SSL or SASL_SSL"
        )
    for field, path in given.items():
        if not path.is_file():
            raise KafkaSecurityError(f"{env_name(field)}: no file at {path}")
    if "ssl_keyfile" in given and "ssl_certfile" not in given:
        raise KafkaSecurityError(
            f"{env_name('ssl_keyfile')} is set without {env_name('ssl_certfile')}: a client "
            "key is used only with its certificate"
        )


@lru_cache
def from_environment() -> KafkaSecurity:
    """The process's settings, read once: one process talks to one Kafka, one way."""
    return KafkaSecurity()


def _common(bootstrap: str, security: KafkaSecurity | None) -> tuple[KafkaSecurity, dict[str, Any]]:
    """The settings checked, and what both client libraries take alike."""
    chosen = check(security or from_environment())
    return chosen, {"bootstrap_servers": bootstrap, "security_protocol": chosen.protocol}


def aiokafka_args(bootstrap: str, security: KafkaSecurity | None = None) -> dict[str, Any]:
    """What an aiokafka consumer, producer or admin client needs to reach `bootstrap`
    (`security`: by default, the environment's)."""
    chosen, args = _common(bootstrap, security)
    if chosen.uses_tls:
        args["ssl_context"] = tls_context(chosen)
    if chosen.uses_sasl:
        args |= _sasl(chosen)
    return args


def kafka_python_args(bootstrap: str, security: KafkaSecurity | None = None) -> dict[str, Any]:
    """What a kafka-python consumer, producer or admin client needs to reach `bootstrap`
    (`security`: by default, the environment's)."""
    chosen, args = _common(bootstrap, security)
    if chosen.uses_tls:
        tls_context(chosen)  # the files are read later, deep in a client: fail here instead
        args |= {
            "ssl_check_hostname": True,
            "ssl_cafile": _str(chosen.ssl_cafile),
            "ssl_certfile": _str(chosen.ssl_certfile),
            "ssl_keyfile": _str(chosen.ssl_keyfile),
        }
    if chosen.uses_sasl:
        args |= _sasl(chosen)
    return args


def tls_context(security: KafkaSecurity) -> ssl.SSLContext:
    """The TLS context of `security`, which checks the broker's certificate and host name."""
    try:
        return create_ssl_context(
            cafile=security.ssl_cafile,
            certfile=security.ssl_certfile,
            keyfile=security.ssl_keyfile,
        )
    except (ssl.SSLError, OSError) as exc:
        given = [
            f"{env_name(f)}={getattr(security, f)}"
            for f in ("ssl_cafile", "ssl_certfile", "ssl_keyfile")
            if getattr(security, f)
        ]
        raise KafkaSecurityError(
            f"cannot load the TLS files ({', '.join(given) or 'the system CAs'}): {exc}"
        ) from None


def _sasl(security: KafkaSecurity) -> dict[str, Any]:
    # Both libraries name them so for SCRAM too; the password leaves its SecretStr only here.
    assert security.sasl_password is not None  # check() has made sure
    return {
        "sasl_mechanism": security.mechanism,
        "sasl_plain_username": security.sasl_username,
        "sasl_plain_password": security.sasl_password.get_secret_value(),
    }


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
