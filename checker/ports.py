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
ADDRESS_PORT = re.compile(r":(\d{1,5})/?$")


@dataclass(frozen=True)
class Port:
    number: int
    path: Path  # container-relative
    origin: str


def listen_ports(container: dict[str, Any]) -> list[Port]:
    """One entry per port number, located where the program is told to listen (a flag, an address, an env
    variable) before the containerPort that only documents it; ``origin`` names every place."""
    found: list[Port] = []
    for setting in (*flag_settings(container), *env_settings(container)):
        if PORT_NAME.search(setting.name) and setting.value.isdigit() and _valid(int(setting.value)):
            found.append(Port(int(setting.value), setting.path, setting.origin))
    for setting in listen_addresses(container):
        match = ADDRESS_PORT.search(setting.value)
        if match and _valid(int(match.group(1))):
            found.append(Port(int(match.group(1)), setting.path, setting.origin))
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


def _valid(number: Any) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536
