"""Read the inputs discovery.py finds (files, stdin), decode them and split them into parsed YAML/JSON
documents. Every input that cannot be read or parsed becomes an InputError with file and line; the rest go on.
"""

from __future__ import annotations

import codecs
import itertools
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .discovery import STDIN_NAME, InputError, discover

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_EXPANDED_NODES = 2_000_000

# A line that starts or ends a YAML document. Quoted scalars may not hold such lines, and block scalars
# are always indented below a top-level key, so splitting on them is safe for error recovery.
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)


@dataclass
class Source:
    """One input: its display name and its text (kept for on-demand position lookups)."""

    name: str
    text: str
    is_json: bool = False
    encoding: str = "utf-8-sig"


@dataclass
class Document:
    """One parsed YAML/JSON document of a source."""

    source: Source
    index: int
    line: int
    data: Any
    start: int = 0
    end: int = 0


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    inputs: int = 0
    hidden: list[str] = field(default_factory=list)


def read_source(name: str) -> Source | InputError:
    """Read one input's bytes and decode them: UTF-8 (a BOM and CRLF tolerated), or UTF-16 or UTF-32 with a BOM."""
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            display = STDIN_NAME
        else:
            display = name
            if os.path.getsize(name) > MAX_FILE_BYTES:
                return InputError(name, None, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refused")
            with open(name, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        return InputError(name, None, f"cannot read: {exc.strerror or exc}")
    if len(raw) > MAX_FILE_BYTES:
        return InputError(display, None, f"input is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refused")
    encoding = _encoding_of(raw)
    if encoding == "utf-8-sig" and _looks_like_utf16(raw):
        return InputError(display, None, "looks like UTF-16 text without a byte order mark (NUL bytes between the "
                          "characters): kubectl reads it as UTF-8 and cannot parse it; save it as UTF-8")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        return InputError(display, line, f"not valid {_ENCODING_NAMES[encoding]} text")
    is_json = display.lower().endswith(".json") or (display == STDIN_NAME and text.lstrip()[:1] in ("{", "["))
    return Source(display, text, is_json, encoding)


# Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one). The "utf-16" and
# "utf-32" codecs read the mark, pick the byte order and drop it; "utf-8-sig" drops a UTF-8 mark.
_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte order mark: ASCII text in it has a NUL byte in every other place."""
    if raw.count(0) < max(len(raw) // 4, 1):
        return False
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    return max(even, odd) >= 0.9 * (even + odd) and max(even, odd) >= len(raw) // 4


def _encoding_of(raw: bytes) -> str:
    return next((codec for mark, codec in _BYTE_ORDER_MARKS if raw.startswith(mark)), "utf-8-sig")


def parse_source(source: Source) -> LoadResult:
    """Split a source into documents. A broken document is reported and its neighbours still parsed."""
    if source.is_json:
        result = _parse_json(source)
    else:
        try:
            result = _load_yaml_documents(source, source.text, 0, 0)
        except _ParseFailure:
            result = _parse_yaml_piecewise(source)
    if source.encoding == "utf-32":
        result.errors.append(InputError(source.name, None, "UTF-32 text: kubectl reads only UTF-8 and UTF-16, so "
                                        "it cannot apply this file; kubecheck checked it"))
    return result


class _ManifestLoader(yaml.CSafeLoader):
    """libyaml's safe loader that also notes duplicate mapping keys (kubectl's decoder rejects them, while
    PyYAML keeps the last value silently). Merge keys (<<) may override, as YAML allows."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []  # key, line, first line (0-based)
        self._checked: set[int] = set()

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode) and id(node) not in self._checked:
            self._checked.add(id(node))  # before merges are flattened into it
            first: dict[str, int] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != MERGE_TAG:
                    if key_node.value in first:
                        self.duplicates.append((key_node.value, key_node.start_mark.line, first[key_node.value]))
                    else:
                        first[key_node.value] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


MERGE_TAG = "tag:yaml.org,2002:merge"


class _ParseFailure(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _load_yaml_documents(
    source: Source, text: str, first_index: int, line_offset: int, char_offset: int = 0
) -> LoadResult:
    """The documents of a text (and duplicate keys, as errors); raises _ParseFailure if it is broken."""
    documents: list[Document] = []
    duplicates: list[InputError] = []
    loader = _ManifestLoader(text)
    may_alias = "&" in text and "*" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1 + line_offset
            data = loader.construct_document(node)
            if may_alias and _expanded_size(data) > MAX_EXPANDED_NODES:
                raise _ParseFailure(line, "aliases expand to more than "
                                    f"{MAX_EXPANDED_NODES:,} nodes (alias bomb?); refused")
            documents.append(Document(source, first_index + len(documents), line, data,
                                      node.start_mark.index + char_offset, node.end_mark.index + char_offset))
        duplicates.extend(InputError(source.name, dup_line + 1 + line_offset,
                                     f"duplicate key '{key}' (first at line {first + 1 + line_offset}): kubectl "
                                     "rejects the manifest; kubecheck checked the last value")
                          for key, dup_line, first in loader.duplicates)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and exc.context_mark is not None and mark.line >= text.count("\n"):
            mark = exc.context_mark  # libyaml noticed at the end of the input: the construct that is open
        line = mark.line + 1 + line_offset if mark is not None else None
        raise _ParseFailure(line, _one_line_yaml_error(exc, mark)) from None
    except yaml.reader.ReaderError as exc:
        line, message = _unacceptable_character(text, exc, line_offset)
        raise _ParseFailure(line, message) from None
    except yaml.YAMLError as exc:
        raise _ParseFailure(None, " ".join(str(exc).split())) from None
    except RecursionError:
        raise _ParseFailure(None, "nesting is too deep; refused") from None
    finally:
        loader.dispose()
    return LoadResult(documents, duplicates)


def _unacceptable_character(text: str, exc: yaml.reader.ReaderError, line_offset: int) -> tuple[int, str]:
    """The line and message for a character YAML does not allow. libyaml gives its position in bytes of the
    UTF-8 text; the pure-Python reader gives the character itself (its position is not the character's)."""
    if isinstance(exc.character, int):
        at = len(text.encode("utf-8", "surrogatepass")[: exc.position].decode("utf-8", "replace"))
    else:
        at = max(text.find(str(exc.character)), 0)
    at = min(at, len(text) - 1) if text else 0
    character = text[at] if text else "\0"
    line = text.count("\n", 0, at) + 1 + line_offset
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    what = "control character" if unicodedata.category(character) == "Cc" else "character"
    return line, f"{what} U+{ord(character):04X} at line {line}, column {column} (not allowed in YAML)"


def _parse_yaml_piecewise(source: Source) -> LoadResult:
    """Parse each `---`-separated chunk on its own so that one broken document does not hide the rest."""
    result = LoadResult()
    text = source.text
    starts = [0] + [m.start() for m in _DOCUMENT_MARKER.finditer(text) if m.start() > 0]
    starts.append(len(text))
    index = 0
    for begin, end in itertools.pairwise(starts):
        chunk = text[begin:end]
        line_offset = text.count("\n", 0, begin)
        try:
            part = _load_yaml_documents(source, chunk, index, line_offset, begin)
        except _ParseFailure as failure:
            hint = " (a Helm or Go template? render it first: helm template ...)" if "{{" in chunk else ""
            result.errors.append(InputError(source.name, failure.line, failure.message + hint))
            index += 1
            continue
        result.documents.extend(part.documents)
        result.errors.extend(part.errors)
        index += max(len(part.documents), 1)
    return result


def _one_line_yaml_error(exc: yaml.MarkedYAMLError, mark: yaml.Mark | None) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    text = "; ".join(" ".join(p.split()) for p in parts) or "invalid YAML"
    if mark is not None:
        text += f" (column {mark.column + 1})"
    return f"YAML parse error: {text}"


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
# The tokens that matter to find where a JSON value ends: strings (a raw newline ends a broken one, as JSON
# strings may not hold one) and brackets.
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[\[\]{}]')
_OBJECT_LINE = re.compile(r"^\{", re.MULTILINE)
_CLOSING = {"}": "{", "]": "["}
JSON_REPORTED_DEPTH = 900  # the JSON decoder reads about 990 levels; a deeper value is reported where it passes this


def _parse_json(source: Source) -> LoadResult:
    """A JSON value, or a stream of them back to back (as kubectl reads: `jq -c '.items[]'` output, say),
    each its own document with its first line and span. A broken value is reported once and skipped: the
    stream goes on after its end (its brackets balance) or at the next line that starts with `{`."""
    result = LoadResult()
    text = source.text
    duplicates: list[str] = []

    def keep_last(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        return dict(pairs)

    decoder = json.JSONDecoder(object_pairs_hook=keep_last)
    at, line, counted = _JSON_SPACE.match(text).end(), 1, 0
    while at < len(text):
        try:
            data, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            resume = _resume_after(text, at, exc.pos)
            message = f"JSON parse error: {exc.msg} (column {exc.colno})"
            result.errors.append(InputError(source.name, exc.lineno, message + _unread_note(text, exc.pos, resume)))
            if resume is None:
                break
            at = resume
            continue
        except RecursionError:
            error_line, message = _too_deep(text, at)
            resume = _resume_after(text, at, at)
            result.errors.append(InputError(source.name, error_line, message + _unread_note(text, at, resume)))
            if resume is None:
                break
            at = resume
            continue
        line += text.count("\n", counted, at)
        counted = at
        result.documents.append(Document(source, len(result.documents), line, data, at, end))
        result.errors.extend(InputError(source.name, line, f"duplicate key '{key}' in the object that starts here: "
                                        "kubectl rejects the manifest; kubecheck checked the last value")
                             for key in dict.fromkeys(duplicates))
        duplicates.clear()
        at = _JSON_SPACE.match(text, end).end()
    return result


def _value_end(text: str, start: int) -> int | None:
    """Where the JSON value (object or array) that starts at `start` ends, by its brackets alone; None if
    they do not balance."""
    if text[start:start + 1] not in ("{", "["):
        return None
    open_brackets: list[str] = []
    for token in _JSON_TOKEN.finditer(text, start):
        bracket = token.group()
        if bracket in ("{", "["):
            open_brackets.append(bracket)
        elif bracket in _CLOSING:
            if not open_brackets or open_brackets.pop() != _CLOSING[bracket]:
                return None
            if not open_brackets:
                return token.end()
    return None


def _resume_after(text: str, start: int, error_at: int) -> int | None:
    """Where to go on after a broken value that starts at `start` (the decoder stopped at `error_at`): after
    its end if its brackets balance, else at the next line that starts with `{`; None if neither exists."""
    end = _value_end(text, start)
    if end is None:
        next_object = _OBJECT_LINE.search(text, max(error_at, start + 1))
        end = next_object.start() if next_object else None
    if end is None:
        return None
    return _JSON_SPACE.match(text, end).end()


def _too_deep(text: str, start: int) -> tuple[int, str]:
    """The line and message for a value too deeply nested for the decoder (which gives up at about the
    interpreter's recursion limit): the place where the nesting passes JSON_REPORTED_DEPTH levels, or where
    it is deepest if the decoder gave up before that."""
    depth = deepest = 0
    deepest_at = start
    for token in _JSON_TOKEN.finditer(text, start):
        bracket = token.group()
        if bracket in ("{", "["):
            depth += 1
            if depth > deepest:
                deepest, deepest_at = depth, token.start()
            if depth > JSON_REPORTED_DEPTH:
                break
        elif bracket in _CLOSING:
            depth -= 1
            if depth <= 0:
                break
    line = text.count("\n", 0, deepest_at) + 1
    column = deepest_at - (text.rfind("\n", 0, deepest_at) + 1) + 1
    levels = f"more than {JSON_REPORTED_DEPTH}" if deepest > JSON_REPORTED_DEPTH else str(deepest)
    return line, f"nesting is too deep: {levels} levels at column {column}; refused"


def _unread_note(text: str, error_at: int, resume: int | None) -> str:
    """What a user must know when the stream could not be picked up again after a broken value."""
    return "" if resume is not None or not text[error_at:].strip() else "; the rest of the file was not read"


def _expanded_size(data: Any) -> int:
    """Count the nodes a document would have with every alias expanded, in time linear in its distinct nodes."""
    memo: dict[int, int] = {}

    def size(node: Any) -> int:
        if isinstance(node, dict):
            key = id(node)
            if key not in memo:
                memo[key] = 0
                memo[key] = 1 + sum(size(v) for v in node.values())
            return memo[key]
        if isinstance(node, list):
            key = id(node)
            if key not in memo:
                memo[key] = 0
                memo[key] = 1 + sum(size(v) for v in node)
            return memo[key]
        return 1

    return size(data)


PARALLEL_MIN_INPUTS = 200  # below this, starting worker processes costs more than it saves
CHUNK_SIZE = 64


def load(paths: Iterable[str], include_hidden: bool = False, workers: int | None = None) -> LoadResult:
    """Discover, read and parse every input, in command-line order. Many inputs are parsed in worker
    processes, in chunks whose results are joined in input order, so output stays deterministic."""
    discovery = discover(paths, include_hidden)
    result = LoadResult(errors=list(discovery.errors), inputs=len(discovery.inputs), hidden=discovery.hidden)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    files = [name for name in discovery.inputs if name != "-"]
    parsed: dict[str, LoadResult] = {}
    if workers > 1 and len(files) >= PARALLEL_MIN_INPUTS:
        parsed = _parse_in_workers(files, workers)
    for name in discovery.inputs:
        part = parsed.get(name) or _read_and_parse(name)
        result.documents.extend(part.documents)
        result.errors.extend(part.errors)
    return result


def _read_and_parse(name: str) -> LoadResult:
    source = read_source(name)
    if isinstance(source, InputError):
        return LoadResult(errors=[source])
    result = parse_source(source)
    if name == "-" and not result.errors and all(document.data is None for document in result.documents):
        # `kubectl ... | kubecheck scan -` with a failed kubectl: an empty pipe must not pass the gate
        result.errors.append(InputError(STDIN_NAME, None, "no input on stdin (did the command before the pipe fail?)"))
    return result


def _parse_chunk(names: list[str]) -> list[tuple[str, LoadResult]]:
    return [(name, _read_and_parse(name)) for name in names]


def _parse_in_workers(files: list[str], workers: int) -> dict[str, LoadResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [files[i:i + CHUNK_SIZE] for i in range(0, len(files), CHUNK_SIZE)]
    # fork is cheap and safe here (no threads); elsewhere the platform's default start method is used.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return {name: part for chunk in pool.map(_parse_chunk, chunks) for name, part in chunk}
    except (OSError, RuntimeError):
        return {}  # no worker processes here: the caller parses in this process
