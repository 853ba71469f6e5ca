"""The ports a container listens on, and where each is written: containerPort entries, port flags
(``--port=443``, ``--webhook-port 443``), the port of listen addresses (``:443``) and PORT env variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .listen import env_settings, flag_settings, listen_addresses
from .resources import Path

PORT_NAME = re.compile(r"port", re.IGNORECASE)
# Port settings that name where the program connects to, not where it listens.
REMOTE_NAME = re.compile(r"target|upstream|remote|backend|peer|proxy|client|dest|connect|db|database|redis|mysql|"
                         r"postgres|mongo|kafka|zookeeper|etcd|smtp|ldap|service_port|svc", re.IGNORECASE)
# Env variables are read as listen ports only when their name says so (PORT, HTTP_PORT, LISTEN_PORT, ...).
LISTEN_ENV_PORT = re.compile(r"^(?:(?:listen|bind|server|http|https|web|app|metrics|health|admin|grpc)_?)*port$",
                             re.IGNORECASE)
ADDRESS_PORT = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(\[[0-9a-fA-F:.]*\]|[0-9.]*|::|localhost):(\d{1,5})/?$")
LISTEN_NAME = re.compile(r"bind|listen", re.IGNORECASE)


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
        if PORT_NAME.search(setting.name) and not REMOTE_NAME.search(setting.name) and _number(setting.value):
            found.append(Port(int(setting.value), setting.path, setting.origin))
    for setting in env_settings(container):
        if LISTEN_ENV_PORT.match(setting.name) and _number(setting.value):
            found.append(Port(int(setting.value), setting.path, setting.origin))
    for setting in listen_addresses(container):
        # host:port is where a program listens when the host is empty, a wildcard or a local IP (or the
        # setting says bind/listen); "frontend:80" is somewhere it connects to.
        match = ADDRESS_PORT.match(setting.value)
        if match is None and LISTEN_NAME.search(setting.name):
            match = re.match(r"^.*:(\d{1,5})/?$", setting.value)
            port = match.group(1) if match else None
        else:
            port = match.group(2) if match else None
        if port is not None and _number(port) and not REMOTE_NAME.search(setting.name):
            found.append(Port(int(port), setting.path, setting.origin))
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


def _number(text: str) -> bool:
    return text.isdigit() and _valid(int(text))


def _valid(number: Any) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536
