"""The ports a container listens on, and where each is written: containerPort entries, port flags
(``--port=443``, ``--webhook-port 443``), the port of listen addresses (``:443``) and PORT env variables.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

from ..inputs.paths import Path
from .listen import ListenSettings, Setting, is_remote_name, listen_settings, name_words, says_bind

# Env variables are read as listen ports only when their name says so (PORT, HTTP_PORT, LISTEN_PORT, ...).
LISTEN_ENV_PORT = re.compile(
    r"^(?:(?:listen|bind|server|http|https|web|app|metrics|health|admin|grpc)_?)*port$", re.IGNORECASE
)
# [scheme:// | family@]host:port[/path]; the host may be empty (:443), bracketed ([::]:443) or bare (:::443):
# the port is what follows the last colon. Schemes may be upper case with _ (SASL_SSL://), HAProxy prefixes
# the address family (ipv6@:8443).
ADDRESS_PORT = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+._-]*)://|(?P<family>[a-z][a-z0-9]*)@)?"
    r"(?P<host>\[[^\]]*\]|[^\[\]/\s]*):(?P<port>\d{1,5})(?:/\S*)?$",
    re.IGNORECASE,
)
ADDRESS_PARTS = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+._-]*)://|(?P<family>[a-z][a-z0-9]*)@)?(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
PORT_TEXT = re.compile(r"\d+|[a-z][a-z0-9-]*", re.IGNORECASE)  # a port number or service name (http)
ANY, LOOPBACK, IP, VARIABLE, HOSTNAME = "any", "loopback", "ip", "variable", "hostname"


@dataclass(frozen=True)
class Port:
    number: int
    path: Path  # container-relative
    origin: str
    line_in_value: int | None = None  # for a port inside a script: its line and column there
    column_in_value: int | None = None


def listen_ports(container: dict[str, Any], read: ListenSettings | None = None) -> list[Port]:
    """One entry per port number, located where the program is told to listen (a flag, an address, an env
    variable) before the containerPort that only documents it; ``origin`` names every place. ``read``: the
    container's listen_settings, when they were read already."""
    found: list[Port] = []
    read = read or listen_settings(container)
    flags, env = read.flags, read.env
    for settings, is_port_name in ((flags, _port_flag), (env, LISTEN_ENV_PORT.match)):
        remote = _ports_of_remote_hosts(settings)
        for setting in settings:
            if is_port_name(setting.name) and _number(setting.value) and setting not in remote:
                found.append(_port(int(setting.value), setting))
    for setting in read.addresses:
        address_number = address_port(setting.name, setting.value)
        if address_number is not None:
            found.append(_port(address_number, setting))
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
            by_number[port.number] = replace(first, origin=f"{first.origin}; {port.origin}")
    return list(by_number.values())


def _port(number: int, setting: Setting) -> Port:
    return Port(number, setting.path, setting.origin, setting.line_in_value, setting.column_in_value)


def _port_flag(name: str) -> bool:
    """A flag names a listen port when "port" is a word of its name (--port, --webhook-port, --httpsPort; not
    --report-interval, --transport-retries, --sport) and the name is not a remote one (--kubernetes-port)."""
    return "port" in name_words(name) and not is_remote_name(name)


def _ports_of_remote_hosts(settings: list[Setting]) -> list[Setting]:
    """Port settings given beside a host setting of the same prefix that names a concrete remote host
    (``--host=web.ops.svc --port=80``, ``DB_HOST=10.0.0.2 DB_PORT=5432``): the port of that host."""
    remote_prefixes = set()
    for setting in settings:
        words = name_words(setting.name)
        if words and words[-1] in ("host", "hostname") and host_kind(address_host(setting.value)) in (IP, HOSTNAME):
            remote_prefixes.add(tuple(words[:-1]))
    if not remote_prefixes:  # most containers name no remote host
        return []
    return [
        setting
        for setting in settings
        if name_words(setting.name)[-1:] == ["port"] and tuple(name_words(setting.name)[:-1]) in remote_prefixes
    ]


def address_port(name: str, value: str) -> int | None:
    """The port a ``host:port`` value of the address setting ``name`` makes the program listen on, or None.

    A name that says listen or bind is a listen address whatever the host. Otherwise a name with a remote
    word is an endpoint; an empty or wildcard host (":443", "0.0.0.0:443", "[::]:443") is a listen address;
    so is a loopback or $(VAR) host of an address name (--metrics-addr=127.0.0.1:8080) without a scheme.
    A concrete IP (a pod does not know its own IP in advance: --syslog-address=10.0.0.5:514), a host name
    ("frontend:80"), a URL with a concrete host and a ``*host`` name with a concrete host are where the
    program connects to."""
    match = ADDRESS_PORT.match(value.strip())
    if match is None or not _number(match["port"]):
        return None
    host = match["host"]
    if not host.startswith("[") and ":" in host and _is_ipv6(f"{host}:{match['port']}"):
        return None  # "::1:80" is an IPv6 address, not ::1 and a port
    port = int(match["port"])
    if says_bind(name):
        return port
    if is_remote_name(name):
        return None
    kind = host_kind(host)
    if kind == ANY:
        return port
    if match["scheme"] or kind not in (LOOPBACK, VARIABLE) or not _says_addr(name):
        return None
    return port


def address_host(value: str) -> str:
    """The host of an address, without brackets: ``tcp://[fe80::1%eth0]:80/x`` is ``fe80::1%eth0``, ``::1``
    is ``::1`` (an IPv6 address, not ``:`` and a port), ``:::80`` is ``::`` and ``ipv6@:8443`` is empty."""
    parts = ADDRESS_PARTS.match(value.strip())
    rest = parts["rest"] if parts else value.strip()
    if rest.startswith("["):
        return rest[1:].partition("]")[0]
    if parts and parts["scheme"]:
        rest = rest.split("/", 1)[0]  # a URL's path
    if _is_ipv6(rest):
        return rest
    host, colon, port = rest.rpartition(":")
    return host if colon and PORT_TEXT.fullmatch(port) else rest


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


def specific_ipv6(value: str) -> bool:
    """The address binds one IPv6 address (``::1``, ``[fd00::1]:80``, ``fe80::1%eth0``): not the all-zero
    wildcard, not an IPv4-mapped address (which programs may bind on an IPv4 socket), not IPv4 or a name."""
    if value.count(":") < 2:
        return False  # an IPv6 address has two colons at least
    host = address_host(value)
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return not address.is_unspecified and address.ipv4_mapped is None


def _says_addr(name: str) -> bool:
    """addr or address is a word of the name (a name with only "host" says where it connects)."""
    return any(word.endswith(("addr", "address")) for word in name_words(name))


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> bool:
    return text.isdigit() and _valid(int(text))


def _valid(number: Any) -> TypeGuard[int]:
    """A port number as Kubernetes accepts one: an integer (not a boolean) from 1 to 65535."""
    return isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536
