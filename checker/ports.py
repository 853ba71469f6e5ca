"""The ports a container listens on, and where each is written: containerPort entries, port flags
(``--port=443``, ``--webhook-port 443``), the port of listen addresses (``:443``) and PORT env variables.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .listen import env_settings, flag_settings, listen_addresses
from .resources import Path

PORT_NAME = re.compile(r"port", re.IGNORECASE)
LISTEN_NAME = re.compile(r"bind|listen", re.IGNORECASE)
ADDR_NAME = re.compile(r"addr", re.IGNORECASE)  # addr, address; a name with only "host" says where it connects
# Words of a setting's name (split at - _ . and camelCase) that say it names where the program connects to,
# not where it listens: --kubernetes-port, --service-port, --apiserver-host, --statsd-host, ES_HOST, ...
# A name that also says listen or bind (--proxy-listen-port) is still a listen setting.
REMOTE_WORDS = frozenset({
    "target", "upstream", "remote", "backend", "peer", "peers", "proxy", "client", "dest", "destination",
    "connect", "db", "database", "redis", "mysql", "postgres", "postgresql", "mongo", "mongodb", "kafka",
    "zookeeper", "zk", "etcd", "smtp", "ldap", "svc", "service", "apiserver", "kubernetes", "k8s", "master",
    "statsd", "elasticsearch", "es", "opensearch", "otlp", "collector", "jaeger", "zipkin", "graphite",
    "influxdb", "cassandra", "memcached", "rabbitmq", "amqp", "nats", "consul", "vault", "sentry",
})
# Env variables are read as listen ports only when their name says so (PORT, HTTP_PORT, LISTEN_PORT, ...).
LISTEN_ENV_PORT = re.compile(r"^(?:(?:listen|bind|server|http|https|web|app|metrics|health|admin|grpc)_?)*port$",
                             re.IGNORECASE)
# [scheme://]host:port[/path]; the host may be empty (:443), bracketed ([::]:443) or bare (:::443): the
# port is what follows the last colon.
ADDRESS_PORT = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\[[^\]]*\]|[^\[\]/\s]*):(?P<port>\d{1,5})"
                          r"(?:/\S*)?$", re.IGNORECASE)
NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
ANY, LOOPBACK, IP, VARIABLE, HOSTNAME = "any", "loopback", "ip", "variable", "hostname"


@dataclass(frozen=True)
class Port:
    number: int
    path: Path  # container-relative
    origin: str


def listen_ports(container: dict[str, Any]) -> list[Port]:
    """One entry per port number, located where the program is told to listen (a flag, an address, an env
    variable) before the containerPort that only documents it; ``origin`` names every place."""
    found: list[Port] = []
    for setting in flag_settings(container):
        if PORT_NAME.search(setting.name) and _may_listen(setting.name) and _number(setting.value):
            found.append(Port(int(setting.value), setting.path, setting.origin))
    for setting in env_settings(container):
        if LISTEN_ENV_PORT.match(setting.name) and _number(setting.value):
            found.append(Port(int(setting.value), setting.path, setting.origin))
    for setting in listen_addresses(container):
        port = address_port(setting.name, setting.value)
        if port is not None:
            found.append(Port(port, setting.path, setting.origin))
    entries = container.get("ports")
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            number = entry.get("containerPort") if isinstance(entry, dict) else None
            if _valid(number):
                found.append(Port(number, ("ports", index, "containerPort"), f"containerPort {number}"))
    by_number: dict[int, Port] = {}
    for port in found:
        first = by_number.get(port.number)
        if first is None:
            by_number[port.number] = port
        elif port.origin not in first.origin:
            by_number[port.number] = Port(first.number, first.path, f"{first.origin}; {port.origin}")
    return list(by_number.values())


def address_port(name: str, value: str) -> int | None:
    """The port a ``host:port`` value of the setting ``name`` makes the program listen on, or None.

    A name that says listen or bind is a listen address whatever the host. Otherwise a name with a remote
    word is an endpoint; an empty or wildcard host (":443", "0.0.0.0:443", "[::]:443") is a listen address;
    a ``*host`` name with a concrete host, a URL (scheme://) with a concrete host, and a host name
    ("frontend:80") are where the program connects to. What is left (an address name with a loopback, an
    IP literal or a $(VAR) host) is a listen address."""
    match = ADDRESS_PORT.match(value.strip())
    if match is None or not _number(match["port"]):
        return None
    host = match["host"]
    if not host.startswith("[") and ":" in host and _is_ipv6(f"{host}:{match['port']}"):
        return None  # "::1:80" is an IPv6 address, not ::1 and a port
    port = int(match["port"])
    if LISTEN_NAME.search(name):
        return port
    if _remote(name):
        return None
    kind = host_kind(host)
    if kind == ANY:
        return port
    if not ADDR_NAME.search(name) or match["scheme"] or kind == HOSTNAME:
        return None
    return port


def host_kind(host: str) -> str:
    """any (empty, *, 0.0.0.0, ::), loopback, ip, variable ($(POD_IP), set by Kubernetes) or hostname."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if bare in ("", "*"):
        return ANY
    if "$(" in bare or "${" in bare:
        return VARIABLE
    if bare.lower() == "localhost":
        return LOOPBACK
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return HOSTNAME
    if address.is_unspecified:
        return ANY
    return LOOPBACK if address.is_loopback else IP


def name_words(name: str) -> set[str]:
    """The lower-cased words of a setting name, and each pair of neighbours joined (apiServer: apiserver)."""
    words = [word.lower() for word in NAME_WORD.findall(name)]
    return {*words, *(first + second for first, second in pairwise(words))}


def _may_listen(name: str) -> bool:
    return LISTEN_NAME.search(name) is not None or not _remote(name)


def _remote(name: str) -> bool:
    return not name_words(name).isdisjoint(REMOTE_WORDS)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> bool:
    return text.isdigit() and _valid(int(text))


def _valid(number: Any) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536
