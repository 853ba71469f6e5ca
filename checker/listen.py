"""Find the listen/bind addresses a container is configured with, and where each is written.

Sources: command and args (``--flag=value`` and ``--flag value``, also inside ``sh -c`` strings) of
flags whose name says bind, listen, address or host, and env variables whose name says the same.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from .resources import Path

ADDRESS_NAME = re.compile(r"bind|listen|address|addr|host", re.IGNORECASE)


@dataclass(frozen=True)
class Setting:
    """A flag or variable with its value, and the container-relative path of the entry holding the value."""

    name: str
    value: str
    path: Path
    origin: str


def flag_settings(container: dict[str, Any]) -> list[Setting]:
    """Every ``--flag=value`` / ``--flag value`` pair in command and args, in order."""
    tokens: list[tuple[str, Path, str]] = []
    for field_name in ("command", "args"):
        entries = container.get(field_name)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, bool) or not isinstance(entry, str | int | float):
                continue
            for token in _split(str(entry)):
                tokens.append((token, (field_name, index), field_name))
    settings: list[Setting] = []
    for position, (token, path, field_name) in enumerate(tokens):
        if not token.startswith("-") or token in ("-", "--"):
            continue
        flag = token.lstrip("-")
        if "=" in flag:
            name, value = flag.split("=", 1)
            settings.append(Setting(name, value, path, f"{field_name}: {token}"))
        elif position + 1 < len(tokens) and not tokens[position + 1][0].startswith("-"):
            value, value_path, _ = tokens[position + 1]
            settings.append(Setting(flag, value, value_path, f"{field_name}: {token} {value}"))
    return settings


def env_settings(container: dict[str, Any]) -> list[Setting]:
    settings: list[Setting] = []
    env = container.get("env")
    if not isinstance(env, list):
        return settings
    for index, entry in enumerate(env):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        value = entry.get("value")
        if isinstance(value, str | int) and not isinstance(value, bool):
            settings.append(Setting(entry["name"], str(value), ("env", index, "value"), f"env {entry['name']}"))
    return settings


def listen_addresses(container: dict[str, Any]) -> list[Setting]:
    """The flag and env settings whose name says it is a bind/listen address or host."""
    return [s for s in (*flag_settings(container), *env_settings(container)) if ADDRESS_NAME.search(s.name)]


def _split(entry: str) -> list[str]:
    if not any(ch.isspace() for ch in entry):
        return [entry]
    try:
        return shlex.split(entry)
    except ValueError:
        return entry.split()
