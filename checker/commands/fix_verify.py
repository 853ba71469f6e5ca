"""Check a fixed file against its original before it is written: the same documents, every value equal but
the edited fields, no line or comment lost, and no comment parted from the line it annotates.

Any difference is returned as a sentence; the fix command then leaves the file as it was.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from ..inputs.documents import Source
from ..inputs.yaml_comments import Comment, comments_of
from ..inputs.yaml_parser import parse_yaml


def same_tree(left: Any, right: Any) -> bool:
    """Equal values of equal types all the way down (YAML's true is not the number 1, nor 1.0 the number 1);
    walked with a stack, so any depth the parser accepts can be compared."""
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        if a is b:
            continue
        if type(a) is not type(b):
            return False
        if isinstance(a, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((value, b[key]) for key, value in a.items())
        elif isinstance(a, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif not (a == b or (a != a and b != b)):  # NaN is NaN here
            return False
    return True


def problem_with(source: Source, fixed: str, expected: list[Any]) -> tuple[int | None, str] | None:
    """(line, what is wrong) when the fixed text is not the original with the edits made, else None.

    ``expected`` holds each document's data as the edits should leave it."""
    parsed = parse_yaml(Source(source.name, fixed, source.is_json, source.encoding))
    if parsed.errors:
        error = parsed.errors[0]
        return error.line, f"the edited text does not read back: {error.message}"
    if len(parsed.documents) != len(expected):
        return None, f"the edited text has {len(parsed.documents)} documents instead of {len(expected)}"
    for document, wanted in zip(parsed.documents, expected, strict=True):
        if not same_tree(document.data, wanted):
            return document.line, "a value outside the edited fields would change"
    return _lines_problem(source.text, fixed)


def _lines_problem(original: str, fixed: str) -> tuple[int | None, str] | None:
    """Every original line is kept, in order, or changed in place with its comments kept; new lines are
    not put between a comment and the line below it that it annotates."""
    try:
        comments_before, comments_after = comments_of(original), comments_of(fixed)
    except yaml.YAMLError as exc:
        return None, f"the edited text does not scan: {' '.join(str(exc).split())}"
    old_lines, new_lines = original.split("\n"), fixed.split("\n")
    by_old_line = _by_line(comments_before)
    by_new_line = _by_line(comments_after)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "delete":
            return i1 + 1, f"line {i1 + 1} would be lost"
        if tag == "replace":
            kept = [c.text for j in range(j1, j2) for c in by_new_line.get(j, [])]
            lost = [c.text for i in range(i1, i2) for c in by_old_line.get(i, []) if c.text not in kept]
            if lost:
                return i1 + 1, f"the comment {lost[0]!r} would be lost or moved"
            if j2 - j1 < i2 - i1:
                return i1 + 1, f"line {i1 + 1} would be lost"
        if tag == "insert" and i1 > 0:
            parted = _annotated_line_parted(old_lines, by_old_line, i1)
            if parted is not None:
                return parted + 1, f"the comment at line {parted + 1} would be parted from the line it annotates"
    return None


def _by_line(comments: list[Comment]) -> dict[int, list[Comment]]:
    found: dict[int, list[Comment]] = {}
    for comment in comments:
        found.setdefault(comment.line, []).append(comment)
    return found


def _annotated_line_parted(lines: list[str], comments: dict[int, list[Comment]], at: int) -> int | None:
    """The comment line (0-based) that new lines inserted before line ``at`` would part from the line it
    annotates: the nearest own-line comment above (across blank lines) that is indented no deeper than the
    next line of content. A comment indented deeper than what follows closes the block above it."""
    above = at - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above < 0 or not any(c.own_line for c in comments.get(above, [])):
        return None
    below = at
    while below < len(lines) and (not lines[below].strip() or any(c.own_line for c in comments.get(below, []))):
        below += 1
    if below >= len(lines):
        return None
    comment_indent = next(c.column for c in comments[above] if c.own_line)
    content_indent = len(lines[below]) - len(lines[below].lstrip(" "))
    return above if comment_indent <= content_indent else None
