"""Edit one YAML document's text in place: set a scalar or append to a list at a path, inserting only the
new text at the right spot, so every other byte (comments, quotes, markers, flow content) stays as it was.

The document is composed with libyaml to find where each node starts and ends; nothing is re-dumped.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .paths import Path, format_path

_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_ALIAS = re.compile(r"\*[^\s,\[\]{}]+")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")


class EditError(Exception):
    """An edit that cannot be made safely; ``line`` is 1-based within the edited text, when known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Layout:
    """How the document indents: spaces per mapping level, the dash's offset under its key, line ends."""

    step: int = 2
    dash_offset: int = 0
    newline: str = "\n"


def set_value(text: str, path: Path, value: Any, owner_column: int = 0) -> str | None:
    """The text with the scalar at path set to value (missing mappings on the way created); None when the
    document already holds that value there. ``owner_column`` is the indentation of what holds the text's
    top node (the ``-`` of a list item cut out by regions()); comments indented deeper belong to the node."""
    return _Editor(text).edit(path, value, append=False, owner_column=owner_column)


def append_to_list(text: str, path: Path, value: Any, owner_column: int = 0) -> str | None:
    """The text with value appended to the list at path (the list and missing mappings created); None when
    the list already holds it."""
    return _Editor(text).edit(path, value, append=True, owner_column=owner_column)


@dataclass(frozen=True)
class Region:
    """A block mapping inside a document that can be edited on its own: its text from its first line's start
    to its end, the characters before it on that line (a list item's ``- ``) and that dash's column."""

    path: Path
    start: int
    end: int
    lead: str
    owner_column: int

    def cut(self, text: str) -> str:
        """The region as a text of its own: its lead blanked, so it reads as an indented mapping."""
        return " " * len(self.lead) + text[self.start + len(self.lead) : self.end]

    def paste(self, text: str, edited: str) -> str:
        """Put the edited region back into the text."""
        if edited[: len(self.lead)] != " " * len(self.lead):
            raise EditError(None, "an edit reached before the start of the object")
        return text[: self.start] + self.lead + edited[len(self.lead) :] + text[self.end :]


def regions(text: str, paths: list[Path]) -> list[Region] | None:
    """The regions of the block mappings at the paths (objects of a List, say), so that each is edited
    without composing the whole document again; None when one cannot be cut out cleanly."""
    editor = _Editor(text)
    found = []
    for path in paths:
        node, owner = editor.node_at(path)
        if not isinstance(node, yaml.MappingNode) or node.flow_style or id(node) in editor.shared:
            return None
        line_start = text.rfind("\n", 0, node.start_mark.index) + 1
        lead = text[line_start : node.start_mark.index]
        if lead.strip(" -") or lead.count("-") > 1:
            return None
        found.append(Region(path, line_start, editor.block_end(node, owner), lead, owner))
    found.sort(key=lambda region: region.start)
    if any(a.end > b.start for a, b in itertools.pairwise(found)):
        return None
    return found


def scalar_text(value: Any) -> str:
    """A value as YAML writes it inline: plain when it reads back as the same string, else JSON (which YAML
    reads as the same value: a double-quoted string or a flow collection)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str) and _PLAIN.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _construct(node: yaml.Node) -> Any:
    return SafeConstructor().construct_object(node, deep=True)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = _construct(node)
    if value is None:
        return "empty"
    what = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(type(value), "a value")
    return f"{what} ({node.value!r})"


class _Editor:
    def __init__(self, text: str) -> None:
        self.text = text
        try:
            root = yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise EditError(mark.line + 1 if mark else None, f"cannot be read back for editing: {exc}") from None
        if root is None:
            raise EditError(None, "the document is empty")
        self.root: yaml.Node = root
        self.shared = self._shared()
        self.layout = self._layout()

    # -- reading the tree ------------------------------------------------------------------------------

    def _line_of(self, index: int) -> int:
        return self.text.count("\n", 0, index) + 1

    def _shared(self) -> set[int]:
        """The nodes that sit at more than one place (an anchored node and its aliases are one node)."""
        seen: set[int] = set()
        shared: set[int] = set()
        stack: list[yaml.Node] = [self.root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                shared.add(id(node))
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                stack.extend(child for pair in node.value for child in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return shared

    def _layout(self) -> Layout:
        steps: Counter[int] = Counter()
        dashes: Counter[int] = Counter()
        for key, value in self._pairs(self.root):
            if not isinstance(value, yaml.CollectionNode) or value.flow_style:
                continue
            if value.start_mark.line <= key.start_mark.line:
                continue
            indent = self._block_column(value) - key.start_mark.column
            (steps if isinstance(value, yaml.MappingNode) else dashes)[indent] += 1
        step = next((s for s, _ in steps.most_common() if s > 0), 2)
        dash = next((d for d, _ in dashes.most_common() if d >= 0), 0)
        return Layout(step, dash, "\r\n" if "\r\n" in self.text else "\n")

    def _pairs(self, root: yaml.Node) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        """Every key and value below the root in document order, each node once (an alias is not followed)."""
        seen: set[int] = set()
        stack: list[yaml.Node] = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                yield from node.value
                stack.extend(value for _, value in reversed(node.value))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(reversed(node.value))

    def _content_end(self, node: yaml.Node, after: int = 0) -> int:
        """Where the node's own text ends: after its last scalar or closing bracket, not after the comments
        and blank lines libyaml counts into a block collection. An alias (its node's marks are those of the
        anchored node, earlier on) ends after its ``*name``, found after the position ``after``."""
        if node.start_mark.index < after:
            alias = _ALIAS.search(self.text, after)
            return alias.end() if alias else int(after)
        if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
            key, value = node.value[-1]
            return max(int(key.end_mark.index), self._content_end(value, key.end_mark.index))
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            previous = node.value[-2] if len(node.value) > 1 else None
            start = self._content_end(previous, node.start_mark.index) if previous else node.start_mark.index
            return max(start + 1, self._content_end(node.value[-1], start + 1))
        end = node.end_mark.index
        while end > node.start_mark.index and self.text[end - 1] in " \t\r\n":
            end -= 1
        return end

    def _block_column(self, node: yaml.Node) -> int:
        """The column of a block collection's keys or dashes (its start mark is at its anchor or tag when it
        has one, on the line above)."""
        if isinstance(node, yaml.MappingNode) and node.value:
            return int(node.value[0][0].start_mark.column)
        if isinstance(node, yaml.SequenceNode) and node.value:
            first = node.value[0].start_mark.index
            line_start = self.text.rfind("\n", 0, first) + 1
            dash = self.text.rfind("-", line_start, first)
            return dash - line_start if dash >= 0 else int(node.value[0].start_mark.column)
        return int(node.start_mark.column)

    # -- walking to the target -------------------------------------------------------------------------

    def node_at(self, path: Path) -> tuple[yaml.Node | None, int]:
        """The node at a path (None where the path leads nowhere) and the column of what holds it: its key,
        or the dash of its list item."""
        node: yaml.Node = self.root
        owner_column = 0
        for step in path:
            if isinstance(step, int) and isinstance(node, yaml.SequenceNode) and 0 <= step < len(node.value):
                owner_column, node = self._block_column(node), node.value[step]
            elif isinstance(node, yaml.MappingNode):
                entries = ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step)
                entry = next(entries, None)
                if entry is None:
                    return None, 0
                owner_column, node = entry[0].start_mark.column, entry[1]
            else:
                return None, 0
        return node, owner_column

    def block_end(self, node: yaml.Node, owner_column: int) -> int:
        """The end of a block node's text: its last line of content and the comment lines after it that are
        indented deeper than what holds it (line ends included)."""
        return self._after_comments(self._content_end(node), owner_column)

    def _after_comments(self, end: int, owner_column: int) -> int:
        """The start of the line after the one holding position end, moved past the comment lines below
        (across blank lines) that are indented deeper than owner_column; trailing blank lines stay after."""
        text = self.text
        line_end = text.find("\n", end)
        at = len(text) if line_end < 0 else line_end + 1
        scan = at
        while scan < len(text):
            line_end = text.find("\n", scan)
            line = text[scan : len(text) if line_end < 0 else line_end]
            stripped = line.lstrip(" \t")
            if stripped.startswith("#") and len(line) - len(stripped) > owner_column:
                at = len(text) if line_end < 0 else line_end + 1
            elif stripped.strip():
                break
            if line_end < 0:
                break
            scan = line_end + 1
        return at

    def edit(self, path: Path, value: Any, append: bool, owner_column: int = 0) -> str | None:
        if not path:
            raise EditError(None, "an edit needs a path")
        node = self.root
        for depth, step in enumerate(path):
            where = path[: depth + 1]
            if isinstance(step, int):
                if not isinstance(node, yaml.SequenceNode) or step >= len(node.value):
                    raise EditError(
                        self._line_of(node.start_mark.index), f"{format_path(path[:depth])} has no item {step}"
                    )
                owner_column, node = self._block_column(node), node.value[step]
                continue
            if not isinstance(node, yaml.MappingNode):
                raise EditError(
                    self._line_of(node.start_mark.index),
                    f"{format_path(path[:depth]) or 'the document'} is {_kind(node)}, not a mapping",
                )
            entry = self._entry(node, step, where)
            if entry is None:
                return self._insert_key(node, path[depth:], value, append, owner_column)
            key, child = entry
            if self._is_null(child):
                return self._replace_null(node, key, child, path[depth + 1 :], value, append)
            if child.start_mark.index < key.end_mark.index:  # an alias: the node is where its anchor is
                owner_column = max(self._block_column(child) - 1, 0)
            else:
                owner_column = key.start_mark.column
            if depth == len(path) - 1:
                return self._change(key, child, path, value, append, owner_column)
            node = child
        raise EditError(None, f"{format_path(path)} ends in a list item, not a field")

    def _entry(self, node: yaml.MappingNode, step: str, where: Path) -> tuple[yaml.Node, yaml.Node] | None:
        found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step]
        if len(found) > 1:
            raise EditError(self._line_of(found[1][0].start_mark.index), f"duplicate key {format_path(where)}")
        if not found and any(k.tag == _MERGE_TAG for k, _ in node.value):
            raise EditError(
                self._line_of(node.start_mark.index),
                f"{format_path(where[:-1]) or 'the document'} takes keys from a merge (<<); edit it by hand",
            )
        return found[0] if found else None

    @staticmethod
    def _is_null(node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG

    # -- the edits -------------------------------------------------------------------------------------

    def _change(
        self, key: yaml.Node, child: yaml.Node, path: Path, value: Any, append: bool, owner_column: int
    ) -> str | None:
        line = self._line_of(key.start_mark.index)
        if append:
            if not isinstance(child, yaml.SequenceNode):
                raise EditError(line, f"{format_path(path)} is {_kind(child)}, not a list")
            if any(isinstance(item, yaml.ScalarNode) and _same(_construct(item), value) for item in child.value):
                return None
            return self._append(child, value, owner_column)
        if not isinstance(child, yaml.ScalarNode):
            raise EditError(line, f"{format_path(path)} is {_kind(child)}, not a single value")
        if _same(_construct(child), value):
            return None
        return self._replace_scalar(child, scalar_text(value))

    def _replace_scalar(self, node: yaml.Node, new: str) -> str:
        start, end = node.start_mark.index, self._content_end(node)
        text = self.text
        # keep an end-of-line comment in its column when the new value is shorter or spaces allow it
        gap = len(text[end:]) - len(text[end:].lstrip(" "))
        after = text[end : end + gap]
        if text[end + gap : end + gap + 1] == "#" and after:
            spaces = max(len(after) + (end - start) - len(new), 1)
            return text[:start] + new + " " * spaces + text[end + gap :]
        return text[:start] + new + text[end:]

    def _append(self, sequence: yaml.SequenceNode, value: Any, owner_column: int) -> str:
        if sequence.flow_style:
            return self._into_flow(sequence, scalar_text(value))
        dash = self._block_column(sequence)
        return self._insert_lines(sequence, [" " * dash + "- " + scalar_text(value)], owner_column)

    def _insert_key(self, mapping: yaml.MappingNode, rest: Path, value: Any, append: bool, owner: int) -> str:
        if mapping.flow_style:
            return self._into_flow(mapping, _flow(rest, value, append))
        return self._insert_lines(mapping, self._block(rest, value, append, self._block_column(mapping)), owner)

    def _replace_null(
        self, parent: yaml.MappingNode, key: yaml.Node, node: yaml.Node, rest: Path, value: Any, append: bool
    ) -> str:
        """Put the value, or a new mapping or list, where the document has an empty value (``key:``,
        ``key: null``, ``key: ~``)."""
        text = self.text
        start, end = node.start_mark.index, node.end_mark.index
        if parent.flow_style or (not rest and not append):
            new = _flow(rest, value, append) if rest or append else scalar_text(value)
            if start != end:
                return text[:start] + new + text[end:]
            if ":" not in text[key.end_mark.index : start]:  # `{key}`
                return text[:start] + ": " + new + text[start:]
            return text[:start] + ("" if text[start - 1].isspace() else " ") + new + text[start:]
        column = key.start_mark.column
        if rest:
            lines = self._block(rest, value, append, column + self.layout.step)
        else:
            lines = [" " * (column + self.layout.dash_offset) + "- " + scalar_text(value)]
        if start != end:  # `key: null`: the word goes, the block follows the line
            while start > 0 and text[start - 1] in " \t":
                start -= 1
            text = text[:start] + text[end:]
        line_end = text.find("\n", key.end_mark.index)
        return self._splice(text, len(text) if line_end < 0 else line_end + 1, lines)

    def _block(self, rest: Path, value: Any, append: bool, column: int) -> list[str]:
        """Lines for a new key (and the mappings below it) at the column."""
        lines: list[str] = []
        for depth, step in enumerate(rest):
            indent = " " * (column + depth * self.layout.step)
            if depth < len(rest) - 1:
                lines.append(f"{indent}{_key_text(step)}:")
            elif append:
                lines.append(f"{indent}{_key_text(step)}:")
                dash = " " * (column + depth * self.layout.step + self.layout.dash_offset)
                lines.append(f"{dash}- {scalar_text(value)}")
            else:
                lines.append(f"{indent}{_key_text(step)}: {scalar_text(value)}")
        return lines

    def _into_flow(self, node: yaml.Node, item: str) -> str:
        """Add an item to a flow mapping or list: after its last item, or inside the empty brackets."""
        text = self.text
        if node.value:
            last = node.value[-1]
            if isinstance(last, tuple):
                key, value = last
                end = max(key.end_mark.index, self._content_end(value, key.end_mark.index))
            else:
                previous = node.value[-2] if len(node.value) > 1 else None
                start = self._content_end(previous, node.start_mark.index) if previous else node.start_mark.index
                end = self._content_end(last, start + 1)
            return text[:end] + ", " + item + text[end:]
        opening = node.start_mark.index + 1
        return text[:opening] + item + text[opening:]

    def _insert_lines(self, node: yaml.Node, lines: list[str], owner_column: int) -> str:
        """Insert whole lines after the node's last line of content and after the comment lines that follow
        it indented deeper than its owner (they belong inside it); comments at the owner's indentation or
        less annotate what comes next, so the new lines go above them."""
        return self._splice(self.text, self._after_comments(self._content_end(node), owner_column), lines)

    def _splice(self, text: str, at: int, lines: list[str]) -> str:
        newline = self.layout.newline
        block = newline.join(lines) + newline
        if at > 0 and text[at - 1] != "\n":  # the last line had no line end
            block = newline + block.removesuffix(newline)
        return text[:at] + block + text[at:]


def _same(current: Any, value: Any) -> bool:
    """Equal and of the same type (YAML's true is not the number 1)."""
    return bool(current == value) and type(current) is type(value)


def _key_text(step: Any) -> str:
    return scalar_text(str(step))


def _flow(rest: Path, value: Any, append: bool) -> str:
    """A new key (and the mappings below it) in flow style: ``capabilities: {drop: [ALL]}``."""
    inner = f"[{scalar_text(value)}]" if append else scalar_text(value)
    if not rest:
        return inner
    for step in reversed(rest[1:]):
        inner = f"{{{_key_text(step)}: {inner}}}"
    return f"{_key_text(rest[0])}: {inner}"
