"""Message and note templates of rules: the placeholders they may name, their check at load time, and
filling them in for a finding.
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import Any

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
TEMPLATE_NAMES = frozenset({
    "value", "note", "path", "key", "when.note", "container.name", "container.group", "element.name", "workload.role",
    "resource.kind", "resource.name", "resource.namespace", "resource.apiVersion", "rule.id", "rule.check_id",
})


def template_mistake(template: str, params: Container[str]) -> str | None:
    """What is wrong with a template, or None: an unknown placeholder, or a brace that opens or closes none."""
    for name in PLACEHOLDER.findall(template):
        if name not in TEMPLATE_NAMES and not (name.startswith("param.") and name[6:] in params):
            return (f"unknown placeholder {{{name}}} (known: {', '.join(sorted(TEMPLATE_NAMES))}, param.NAME)")
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
