"""Kafka's bootstrap servers as a person gives them (`--bootstrap`, KAFKA_BOOTSTRAP_SERVERS):
checked by this one function wherever they are taken, so that a typo is named before anything
starts instead of surfacing as a client library's `invalid literal for int()` or a timeout."""

import ipaddress
import re

# A host name's labels: letters, digits, '-' inside, and '_' (container names such as kafka_1).
_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")
_PORT = re.compile(r"[0-9]{1,5}")
HOW = "(HOST:PORT, several separated by commas, e.g. localhost:9092)"


def bootstrap_problem(servers: str) -> str | None:
    """Why `servers` is not a list of brokers to bootstrap from, or None when it is one."""
    if not servers.strip():
        return f"no address {HOW}"
    for entry in (e.strip() for e in servers.split(",")):
        problem = _address_problem(entry)
        if problem:
            return f"{problem} {HOW}"
    return None


def _address_problem(entry: str) -> str | None:
    if not entry:
        return "an empty address between commas"
    host, colon, port = entry.rpartition(":")
    if not colon or not port:
        return f"{entry!r} has no port"
    if not _PORT.fullmatch(port) or not 0 < int(port) < 65_536:
        return f"{entry!r}: the port {port!r} is not a number from 1 to 65535"
    if not host:
        return f"{entry!r} has no host"
    if host.startswith("[") and host.endswith("]"):
        return None if _is_ip(host[1:-1], ipaddress.IPv6Address) else (
            f"{entry!r}: {host} is not an IPv6 address"
        )  # fmt: skip
    if ":" in host:
        return f"{entry!r}: an IPv6 address is written in brackets, as in [::1]:9092"
    if re.fullmatch(r"[0-9.]+", host) and not _is_ip(host, ipaddress.IPv4Address):
        return f"{entry!r}: {host} is not an IPv4 address"
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        return f"{entry!r}: {host!r} is not a host name or an IP address"
    return None


def _is_ip(text: str, kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True
