"""JSON written as it is made: a document whose long lists are Streamed (an iterable read once) goes to a
file piece by piece, byte for byte what json.dumps(document, indent=2, ensure_ascii=False) gives.

json.dumps with indent writes a value nested at depth d as it would write it alone, every line after the
first indented by 2*d more spaces (JSON strings hold no raw newline: the encoder escapes it), so each piece
that is not Streamed is dumped whole and indented; only dicts and lists holding a Streamed are walked here.
A Streamed list's items are dumped BATCH at a time, as one list whose brackets are cut off.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any, TextIO

INDENT = 2
BATCH = 256  # items of a Streamed list dumped together: json.dumps sets up its encoder once per call


class Streamed:
    """A list of a JSON document made item by item while it is written (``items`` is iterated once)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _holds_streamed(value: Any) -> bool:
    if isinstance(value, Streamed):
        return True
    if isinstance(value, dict):
        return any(_holds_streamed(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_streamed(item) for item in value)
    return False


def write_json(document: Any, out: TextIO, clean: Callable[[Any], Any] | None = None) -> None:
    """Write the document and a final newline; ``clean`` (escaping.deep with a string cleaner, say) is
    applied to each piece before it is encoded, as it would be to the whole document."""
    _write(document, out, 0, clean or (lambda value: value))
    out.write("\n")


def _dump(value: Any, depth: int) -> str:
    text = json.dumps(value, indent=INDENT, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * (INDENT * depth)) if depth else text


def _write(value: Any, out: TextIO, depth: int, clean: Callable[[Any], Any]) -> None:
    if not _holds_streamed(value):
        out.write(_dump(clean(value), depth))
        return
    inner = "\n" + " " * (INDENT * (depth + 1))
    if isinstance(value, dict):
        first = True
        for key, item in value.items():
            out.write(("{" if first else ",") + inner + _dump(clean(key), 0) + ": ")
            _write(item, out, depth + 1, clean)
            first = False
        out.write("\n" + " " * (INDENT * depth) + "}" if not first else "{}")
        return
    items = iter(value.items if isinstance(value, Streamed) else value)
    first = True
    while batch := list(itertools.islice(items, BATCH)):
        plain = [item for item in batch if not _holds_streamed(item)]
        if len(plain) == len(batch):  # dumped as one list, its brackets cut off: its items as dumped one by one
            dumped = _dump(clean(batch), depth)
            out.write(("[" if first else ",") + dumped[1 : dumped.rindex("\n")])
            first = False
            continue
        for item in batch:
            out.write(("[" if first else ",") + inner)
            _write(item, out, depth + 1, clean)
            first = False
    out.write("\n" + " " * (INDENT * depth) + "]" if not first else "[]")
