"""The rule as written in a policy file, its compiled form for one run, and message templates.

A template names values in braces (``{container.name}``, ``{note}``); the names are checked at load time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..findings import Severity
from .conditions import Condition

SCOPES = ("resource", "pod", "container")
REPORT_MODES = ("first", "each")
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
TEMPLATE_NAMES = frozenset({
    "value", "note", "path", "key", "when.note", "container.name", "container.group", "element.name", "workload.role",
    "resource.kind", "resource.name", "resource.namespace", "resource.apiVersion", "rule.id", "rule.check_id",
})


@dataclass(frozen=True)
class PolicyError:
    """A mistake in a policy file, with the line it is on."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class Rule:
    id: str
    title: str
    severity: Severity
    packs: tuple[str, ...]
    scope: str
    assert_spec: Any
    message: str
    remediation: str
    file: str
    when_spec: Any = None
    description: str = ""
    references: tuple[str, ...] = ()
    report: str = "first"
    versions: dict[str, Any] | None = None
    overrides: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    check_id: str | None = None
    examples: dict[str, list[Any]] = field(default_factory=dict)
    fix: tuple[dict[str, Any], ...] = ()


@dataclass
class CompiledRule:
    rule: Rule
    when: Condition | None
    assertion: Condition


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders; names not in ``values`` render as an empty string."""
    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(substitute, template)
