"""Find the line and column of a path inside a document, on demand.

Only documents that produced findings are composed (one document's span of text, not the whole file), and
each composed document is cached for the other findings in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .resources import Path
from .sources import Document

MERGE_KEY = "<<"


@dataclass(frozen=True)
class Position:
    line: int
    column: int
    exact: bool


def compose_span(text: str, start: int, end: int) -> tuple[yaml.Node | None, int]:
    """Compose the YAML node tree of text[start:end], widened to whole lines; return it with its line offset."""
    line_start = text.rfind("\n", 0, start) + 1
    line_offset = text.count("\n", 0, line_start)
    try:
        node = yaml.compose(text[line_start:end], Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None, line_offset
    return node, line_offset


def locate_in_node(root: yaml.Node | None, path: Path) -> tuple[yaml.Node | None, bool]:
    """Walk a composed node tree along a path. Returns the deepest node reached (for the last mapping step
    the key node, so the location is the line of ``key:``) and whether the whole path was found."""
    node = root
    reached: yaml.Node | None = root
    for step in path:
        found = _child(node, step)
        if found is None:
            return reached, False
        key_node, node = found
        reached = key_node if key_node is not None else node
    return reached, True


def _child(node: yaml.Node | None, step: Any) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        wanted = str(step)
        hit = None
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value == wanted:
                    hit = (key_node, value_node)  # the last duplicate wins, as in the parsed data
                elif key_node.value == MERGE_KEY:
                    merges.append(value_node)
        if hit is not None:
            return hit
        for merged in merges:
            candidates = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for candidate in candidates:
                found = _child(candidate, step)
                if found is not None:
                    return found
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return None, node.value[step]
    return None


class PositionIndex:
    """Caches the composed tree of each document that needs positions."""

    def __init__(self) -> None:
        self._trees: dict[int, tuple[yaml.Node | None, int]] = {}

    def locate(self, document: Document, path: Path, line_in_value: int | None = None) -> Position:
        key = id(document)
        if key not in self._trees:
            self._trees[key] = compose_span(document.source.text, document.start, document.end)
        root, line_offset = self._trees[key]
        if root is None:
            return Position(document.line, 1, False)
        node, exact = locate_in_node(root, path)
        if node is None:
            return Position(document.line, 1, False)
        line, column = node.start_mark.line, node.start_mark.column
        if exact and line_in_value is not None:
            inside = _line_inside_scalar(root, path, line_in_value)
            if inside is not None:
                line = inside
                text_line = _nth_line(document.source.text, line + line_offset)
                column = len(text_line) - len(text_line.lstrip(" "))
        return Position(line + line_offset + 1, column + 1, exact)


def _line_inside_scalar(root: yaml.Node, path: Path, line_in_value: int) -> int | None:
    """The 0-based line (within the composed span) of the n-th line of a scalar's content."""
    node = root
    for step in path:
        found = _child(node, step)
        if found is None:
            return None
        node = found[1]
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.style in ("|", ">"):
        return node.start_mark.line + 1 + line_in_value  # content starts after the indicator line
    return node.start_mark.line + line_in_value


def _nth_line(text: str, index: int) -> str:
    position = 0
    for _ in range(index):
        position = text.find("\n", position) + 1
        if position == 0:
            return ""
    end = text.find("\n", position)
    return text[position:] if end < 0 else text[position:end]
