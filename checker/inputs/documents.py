"""The data every input stage passes on: a Source (one input's decoded text), its parsed Documents,
the LoadResult of a scan's reading, and InputError for what could not be read or parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class InputError:
    """An input that could not be read or parsed, or that was refused."""

    file: str
    line: int | None
    message: str


@dataclass
class Source:
    """One input: its display name and its text (kept for on-demand position lookups)."""

    name: str
    text: str
    is_json: bool = False
    encoding: str = "utf-8-sig"
    origin: Any = None  # rendered text (a chart template, a kustomize build): maps places back (inputs/render)
    line_offset: int = 0  # lines of the input before this text (a piece of a big input: see pieces.py)
    first_document: int = 0  # documents of the input before this text

    @property
    def format(self) -> str:
        """The parser that reads it: json or yaml."""
        return "json" if self.is_json else "yaml"


@dataclass
class Document:
    """One parsed YAML/JSON document of a source."""

    source: Source
    index: int
    line: int
    data: Any
    start: int = 0
    end: int = 0
    # The path, inside the document as written, of the value this Document holds: () for a whole document,
    # ("items", 7) for an item of a big JSON List read on its own (pieces.py); positions are found below it.
    root: tuple[str | int, ...] = ()
    first_line: int = 0  # the line where its text starts when that is not .line (a List item: .line is the List's)


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    inputs: int = 0
    hidden: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said even without -v (a named input left out)
