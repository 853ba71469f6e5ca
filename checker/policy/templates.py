"""Message and note templates of rules: the placeholders they may name, their check at load time, and
filling them in for a finding.
"""

from __future__ import annotations

import json
import re
from collections import abc
from typing import TYPE_CHECKING, Any

from ..inputs.paths import format_path
from .params import Params, format_version

if TYPE_CHECKING:
    from ..facts.scope import Match, Scope
    from ..workloads.pods import Container

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
TEMPLATE_NAMES = frozenset(
    {
        "value",
        "note",
        "path",
        "key",
        "when.note",
        "container.name",
        "container.group",
        "element.name",
        "workload.role",
        "resource.kind",
        "resource.name",
        "resource.namespace",
        "resource.apiVersion",
        "rule.id",
        "rule.check_id",
        "pod.securityContext",
    }
)


def template_mistake(template: str, params: abc.Container[str]) -> str | None:
    """What is wrong with a template, or None: an unknown placeholder, or a brace that opens or closes none."""
    for name in PLACEHOLDER.findall(template):
        if name not in TEMPLATE_NAMES and not (name.startswith("param.") and name[6:] in params):
            return f"unknown placeholder {{{name}}} (known: {', '.join(sorted(TEMPLATE_NAMES))}, param.NAME)"
    stray = PLACEHOLDER.sub("", template)
    if "{" in stray or "}" in stray:
        return "a { or } that is not part of a placeholder like {container.name}"
    return None


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders; names not in ``values`` render as an empty string."""

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(substitute, template)


def template_values(
    scope: Scope, witness: Match, params: Params, rule_id: str, check_id: str | None, when_note: str = ""
) -> dict[str, Any]:
    """The values a template may name, for one witness of a rule on one target; the witness's own note is
    filled in too (notes written in rules may use placeholders)."""
    path = witness.path if witness.path is not None else scope.home
    container, workload, resource = finding_container(scope, witness), scope.workload, scope.resource
    values: dict[str, Any] = {
        "value": show_value(witness.value),
        "note": witness.note,
        "path": format_path(path),
        "key": str(path[-1]) if path else "",
        "when.note": when_note,
        "container.name": container.name if container else None,
        "element.name": witness.element_name,
        "container.group": container.group if container else None,
        "workload.role": workload.role if workload else None,
        "resource.kind": resource.kind,
        "resource.name": resource.name,
        "resource.namespace": resource.namespace,
        "resource.apiVersion": resource.api_version,
        "rule.id": rule_id,
        "rule.check_id": check_id,
        "pod.securityContext": format_path(workload.real_path(("spec", "securityContext"))) if workload else None,
    }
    for name, value in params.values.items():
        values[f"param.{name}"] = format_version(value) if params.specs[name].type == "version" else value
    values["note"] = render(witness.note, values)
    return values


def finding_container(scope: Scope, witness: Match) -> Container | None:
    """The container a finding is about: the scope's, or for a pod-level rule the container whose field the
    witness is (a container named by a Pod Security check, say)."""
    if scope.container is not None or scope.workload is None or witness.path is None:
        return scope.container
    if witness.resource is not None and witness.resource is not scope.resource:
        return None
    return scope.workload.container_at(witness.path)


def show_value(value: object) -> str:
    """A value as a message shows it: booleans in YAML spelling, nothing for an absent value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)
