"""Find the listen/bind addresses a container is configured with, and where each is written.

Sources: command and args (``--flag=value`` and ``--flag value``, also inside ``sh -c`` strings) of
flags whose name says bind, listen, address or host, and env variables whose name says the same (or that
are a known bind variable such as SPARK_LOCAL_IP). A comma-separated list is one address per element.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from typing import Any

from .resources import Path

ADDRESS_NAME = re.compile(r"bind|listen|address|addr|host", re.IGNORECASE)
# Variables that hold a bind address although their name does not say so (Spark's bind address).
ADDRESS_VARIABLES = frozenset({"SPARK_LOCAL_IP"})


@dataclass(frozen=True)
class Setting:
    """A flag or variable with its value, and the container-relative path of the entry holding the value."""

    name: str
    value: str
    path: Path
    origin: str


def is_address_name(name: str) -> bool:
    """True when a flag, variable or config key names a bind/listen address or host. Dotted keys
    (``spark.executorEnv.SPARK_LOCAL_IP``) are also matched by their last part against ADDRESS_VARIABLES."""
    return ADDRESS_NAME.search(name) is not None or name.rpartition(".")[2] in ADDRESS_VARIABLES


def split_addresses(value: str) -> list[str]:
    """The addresses of one value: ``[::]:9090,[::]:9091`` is two; blanks around commas are dropped."""
    if "," not in value:
        return [value]
    return [part.strip() for part in value.split(",") if part.strip()]


def flag_settings(container: dict[str, Any]) -> list[Setting]:
    """Every ``--flag=value`` / ``--flag value`` pair in command and args, in order. When the flag and its
    value sit in different entries (``command: [app, --bind]``, ``args: ["::"]``) the origin names both."""
    tokens: list[tuple[str, Path]] = []
    for field_name in ("command", "args"):
        entries = container.get(field_name)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, bool) or not isinstance(entry, str | int | float):
                continue
            for token in _split(str(entry)):
                tokens.append((token, (field_name, index)))
    settings: list[Setting] = []
    for position, (token, path) in enumerate(tokens):
        if not token.startswith("-") or token in ("-", "--"):
            continue
        flag = token.lstrip("-")
        if "=" in flag:
            name, value = flag.split("=", 1)
            settings.append(Setting(name, value, path, f"{path[0]}: {token}"))
        elif position + 1 < len(tokens) and not tokens[position + 1][0].startswith("-"):
            value, value_path = tokens[position + 1]
            if value_path[0] == path[0]:
                origin = f"{path[0]}: {token} {value}"  # the path points at the value's entry
            else:
                origin = f"{path[0]}: {token}, {value_path[0]}[{value_path[1]}]: {value}"
            settings.append(Setting(flag, value, value_path, origin))
    return settings


def env_settings(container: dict[str, Any]) -> list[Setting]:
    """Every env entry with a literal value (valueFrom is resolved at run time and skipped)."""
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


def address_settings(settings: list[Setting]) -> list[Setting]:
    """The settings whose name says address (see is_address_name), one per comma-separated address."""
    found: list[Setting] = []
    for setting in settings:
        if is_address_name(setting.name):
            found += [replace(setting, value=value) for value in split_addresses(setting.value)]
    return found


def listen_addresses(container: dict[str, Any]) -> list[Setting]:
    """The flag and env settings whose name says it is a bind/listen address or host."""
    return address_settings([*flag_settings(container), *env_settings(container)])


def _split(entry: str) -> list[str]:
    if not any(ch.isspace() for ch in entry):
        return [entry]
    try:
        return shlex.split(entry)
    except ValueError:
        return entry.split()
