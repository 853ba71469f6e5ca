"""Helm values: merge several values files in order (a later file wins, maps merge key by key, as `helm
template -f a -f b` does), and find where a values key is written in a values file."""

from __future__ import annotations

from typing import Any

import yaml


def deep_merge(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Merge extra into into: nested maps merge, anything else is replaced."""
    for key, value in extra.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        else:
            into[key] = value
    return into


def key_position(text: str, keys: tuple[str | int, ...]) -> tuple[int, int] | None:
    """The 1-based line and column of the key at the end of the path in a values file, or None."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    mark = None
    for step in keys:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    mark, node = key_node.start_mark, value_node
                    break
            else:
                return None
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            return None
    if mark is None:
        return None
    return mark.line + 1, mark.column + 1
