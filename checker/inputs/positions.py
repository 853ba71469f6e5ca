"""Find the line and column of paths inside documents, on demand and in one pass per document.

Only documents with findings are read again: libyaml's event stream over the document's span of text,
following just the paths asked for. Paths through aliases or merge keys fall back to a composed tree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import yaml

from .documents import Document
from .paths import Path

MERGE_KEY = "<<"
_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)


@dataclass(frozen=True)
class Position:
    line: int
    column: int
    exact: bool


@dataclass(frozen=True)
class Request:
    document: Document
    path: Path
    line_in_value: int | None = None  # a line inside a multi-line string value (0-based)
    column_in_value: int | None = None  # a column inside that line of the value (0-based)


@dataclass(frozen=True)
class _Spot:
    """Where a node was seen: the mark to report (a mapping value's key), the node's own start and end, and
    for a scalar its style and value (to find a line inside it)."""

    mark: Any
    node_mark: Any
    style: str | None
    end_mark: Any = None
    value: str | None = None


class _Frame:
    __slots__ = ("expect_key", "index", "is_map", "key", "key_mark", "path", "skip")

    def __init__(self, path: Path, is_map: bool, skip: bool) -> None:
        self.path = path  # () in a frame that is skipped
        self.is_map = is_map
        self.skip = skip
        self.expect_key = True
        self.key: Any = None
        self.key_mark: Any = None
        self.index = 0


def _span(document: Document) -> tuple[str, int]:
    """The document's text from the start of its first line (so columns stay right), and that line's index.
    In a JSON stream an earlier object may end on that line (``}{``): it is blanked out."""
    text = document.source.text
    line_start = text.rfind("\n", 0, document.start) + 1
    lead = text[line_start : document.start]
    if document.source.is_json and lead.strip():
        lead = " " * len(lead)
    first_line = document.first_line or document.line
    return lead + text[document.start : document.end], first_line - 1  # the line of line_start, 0-based


def walk_events(text: str, wanted: set[Path]) -> tuple[dict[Path, _Spot], bool]:
    """Record where each path that is a prefix of a wanted path sits, in one pass over the events; and
    whether an alias or a merge key lies on the way (only then can a composed tree find more)."""
    prefixes = {path[:i] for path in wanted for i in range(len(path) + 1)}
    found: dict[Path, _Spot] = {}
    through_aliases = False
    stack: list[_Frame] = []
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if not isinstance(event, _NODE_EVENTS):
            if isinstance(event, _COLLECTION_END) and stack:
                stack.pop()
            continue
        frame = stack[-1] if stack else None
        if frame is not None and frame.skip:
            if isinstance(event, _COLLECTION_START):
                stack.append(_Frame((), False, True))
            continue
        if frame is None:
            path: Path | None = ()
            mark = event.start_mark
        elif frame.is_map and frame.expect_key:
            frame.expect_key = False
            frame.key = event.value if isinstance(event, yaml.ScalarEvent) else None
            frame.key_mark = event.start_mark
            through_aliases = through_aliases or frame.key == MERGE_KEY
            if isinstance(event, _COLLECTION_START):
                stack.append(_Frame((), False, True))
            continue
        elif frame.is_map:
            frame.expect_key = True
            path = None if frame.key is None else (*frame.path, frame.key)
            mark = frame.key_mark
        else:
            path = (*frame.path, frame.index)
            frame.index += 1
            mark = event.start_mark
        if path is None or path not in prefixes:  # off the wanted paths: skip the node's content
            if isinstance(event, _COLLECTION_START):
                stack.append(_Frame((), False, True))
            continue
        if isinstance(event, yaml.AliasEvent):
            through_aliases = True
        found[path] = _Spot(
            mark,
            event.start_mark,
            getattr(event, "style", None),
            event.end_mark,
            event.value if isinstance(event, yaml.ScalarEvent) else None,
        )
        if isinstance(event, _COLLECTION_START):
            stack.append(_Frame(path, isinstance(event, yaml.MappingStartEvent), False))
    return found, through_aliases


class PositionIndex:
    """Resolves positions for many (document, path) requests, reading each document once."""

    def locate_all(self, requests: list[Request]) -> list[Position]:
        by_document: dict[int, list[int]] = defaultdict(list)
        for number, request in enumerate(requests):
            by_document[id(request.document)].append(number)
        positions: list[Position | None] = [None] * len(requests)
        for numbers in by_document.values():
            document = requests[numbers[0]].document
            text, line_offset = _span(document)
            wanted = {_below(document, requests[n].path) for n in numbers}
            try:
                spots, through_aliases = walk_events(text, wanted)
            except yaml.YAMLError:
                spots, through_aliases = {}, True
            composed: yaml.Node | bool | None = False
            for number in numbers:
                request = requests[number]
                path = _below(document, request.path)
                spot = spots.get(path)
                if spot is None and through_aliases:
                    if composed is False:
                        composed = _compose(text)
                    position = _from_tree(composed, path, request, text, line_offset)  # type: ignore[arg-type]
                    if position is not None:
                        positions[number] = position
                        continue
                positions[number] = _from_spots(spots, path, request, text, line_offset, document)
        return positions  # type: ignore[return-value]


def _below(document: Document, path: Path) -> Path:
    """A path inside the document as written, as a path inside the text the Document holds (below its root:
    an item of a big JSON List read on its own holds only the item's text)."""
    keys = _as_keys(path)
    root = document.root
    return keys[len(root) :] if root and keys[: len(root)] == root else keys


def _as_keys(path: Path) -> Path:
    return tuple(step if isinstance(step, int) else str(step) for step in path)


def _from_spots(
    spots: dict[Path, _Spot], path: Path, request: Request, text: str, line_offset: int, document: Document
) -> Position:
    for depth in range(len(path), -1, -1):
        spot = spots.get(path[:depth])
        if spot is None:
            continue
        exact = depth == len(path)
        if exact and (request.line_in_value is not None or request.column_in_value is not None):
            line, column = _inside_scalar(text, spot.node_mark, spot.end_mark, spot.style, spot.value, request)
            return Position(line + line_offset + 1, column + 1, True)
        return Position(spot.mark.line + line_offset + 1, spot.mark.column + 1, exact)
    return Position(document.line, 1, False)


def _inside_scalar(
    text: str, start: Any, end: Any, style: str | None, value: str | None, request: Request
) -> tuple[int, int]:
    """The 0-based line and column of a place inside a string value. The value's line is found in the
    scalar's source text, whatever its style (literal, folded, quoted, plain); where it cannot be found
    (escapes), block scalars count content lines from the line after the indicator."""
    line_in_value = request.line_in_value or 0
    column_in_value = request.column_in_value or 0
    if value is not None and end is not None:
        raw = text[start.index : end.index]
        lines = value.split("\n")
        cursor, found = 0, None
        for number, content in enumerate(lines[: line_in_value + 1]):
            probe = content.strip()[:40]
            hit = raw.find(probe, cursor) if probe else -1
            if hit >= 0:
                cursor = hit + len(probe)
            if number == line_in_value and hit >= 0:
                indent = len(content) - len(content.lstrip())
                found = start.index + hit + max(column_in_value - indent, 0)
        if found is not None:
            line_start = text.rfind("\n", 0, found) + 1
            return text.count("\n", 0, found), found - line_start
    if request.line_in_value is None:
        return start.line, start.column + column_in_value
    line = start.line + (1 if style in ("|", ">") else 0) + line_in_value
    return line, _indent_of(text, line) + column_in_value


def _indent_of(text: str, line: int) -> int:
    lines = text.split("\n", line + 1)
    content = lines[line] if line < len(lines) else ""
    return len(content) - len(content.lstrip(" "))


# --- fallback over a composed tree (aliases and merge keys) -------------------------------------------


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None


def _from_tree(root: yaml.Node | None, path: Path, request: Request, text: str, line_offset: int) -> Position | None:
    if root is None:
        return None
    node, exact, value_node = locate_in_node(root, path)
    if node is None:
        return None
    if (
        exact
        and isinstance(value_node, yaml.ScalarNode)
        and (request.line_in_value is not None or request.column_in_value is not None)
    ):
        line, column = _inside_scalar(
            text, value_node.start_mark, value_node.end_mark, value_node.style, value_node.value, request
        )
        return Position(line + line_offset + 1, column + 1, True)
    return Position(node.start_mark.line + line_offset + 1, node.start_mark.column + 1, exact)


def locate_in_node(root: yaml.Node | None, path: Path) -> tuple[yaml.Node | None, bool, yaml.Node | None]:
    """Walk a composed tree along a path (following merge keys). Returns the deepest node reached (for a
    mapping step, its key node), whether the whole path was found, and the value node at the end."""
    node = root
    reached: yaml.Node | None = root
    for step in path:
        found = _child(node, step)
        if found is None:
            return reached, False, None
        key_node, node = found
        reached = key_node if key_node is not None else node
    return reached, True, node


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
