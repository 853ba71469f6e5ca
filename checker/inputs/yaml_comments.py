"""Find the comments of a YAML text: their line, column and text, and whether each has its line to itself.

A ``#`` starts a comment only outside scalars and after a space or at a line start; libyaml's tokens tell
where scalars are, so a ``#`` inside a quoted or block string is not taken for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#[^\r\n]*", re.MULTILINE)


@dataclass(frozen=True)
class Comment:
    line: int  # 0-based
    column: int
    text: str  # from the # to the line end
    own_line: bool  # nothing but blanks before it on its line


def comments_of(text: str) -> list[Comment]:
    """Every comment of the text in order; raises yaml.YAMLError when the text does not scan as YAML."""
    gaps: list[tuple[int, int]] = []
    position = 0
    for token in yaml.scan(text, Loader=yaml.CSafeLoader):
        start, end = token.start_mark.index, token.end_mark.index
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    if position < len(text):
        gaps.append((position, len(text)))
    found: list[Comment] = []
    for begin, end in gaps:
        for match in _COMMENT.finditer(text, begin, end):
            line_start = text.rfind("\n", 0, match.start()) + 1
            found.append(
                Comment(
                    text.count("\n", 0, match.start()),
                    match.start() - line_start,
                    match.group().rstrip(),
                    not text[line_start : match.start()].strip(),
                )
            )
    return found
