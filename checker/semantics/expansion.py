"""``$(NAME)`` references in command, args and env, expanded as the kubelet expands them: from the
container's env entries with a literal value defined earlier, ``$$`` escaping a ``$``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

MAX_EXPANDED = 65536  # references that would add more than this to a value stay as written (A="$(A)$(A)")


@dataclass(frozen=True)
class Expanded:
    text: str
    through: tuple[str, ...]  # the variables whose values went in, in order
    unknown: tuple[str, ...] = ()  # the references left as written (no literal value), in order


def expand_references(text: str, values: dict[str, str]) -> Expanded:
    """Replace ``$(NAME)`` with the value of NAME where ``values`` knows it; an unknown reference stays as
    written, ``$$`` is one ``$`` (so ``$$(X)`` is the text ``$(X)``), and a ``$`` before anything else stays.
    A name runs to the first ``)``, as the kubelet reads it."""
    if "$" not in text:
        return Expanded(text, ())
    closes = [match.start() for match in re.finditer(r"\)", text)]
    out: list[str] = []
    through: list[str] = []
    unknown: list[str] = []
    added = position = 0
    while (dollar := text.find("$", position)) >= 0:
        out.append(text[position:dollar])
        following = text[dollar + 1 : dollar + 2]
        later = bisect.bisect_left(closes, dollar + 2)
        if following == "$":
            out.append("$")
            position = dollar + 2
        elif following == "(" and later < len(closes):
            close = closes[later]
            name = text[dollar + 2 : close]
            if name in values and added + len(values[name]) <= MAX_EXPANDED:
                out.append(values[name])
                through.append(name)
                added += len(values[name])
            else:
                out.append(text[dollar : close + 1])
                unknown.append(name)
            position = close + 1
        else:
            out.append("$")
            position = dollar + 1
    out.append(text[position:])
    return Expanded("".join(out), tuple(dict.fromkeys(through)), tuple(dict.fromkeys(unknown)))


def env_values(container: dict[str, Any]) -> dict[str, str]:
    """The container's variables with a literal value, each expanded with the ones defined before it; a
    later valueFrom entry (known only at run time) hides an earlier literal of the same name."""
    values: dict[str, str] = {}
    for entry in as_list(container.get("env")):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        value = literal(entry.get("value"))
        if value is None:
            values.pop(entry["name"], None)
        else:
            values[entry["name"]] = expand_references(value, values).text
    return values


def literal(value: Any) -> str | None:
    """A value the manifest writes literally (a string or a number), as text."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
