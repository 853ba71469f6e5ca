"""Parse YAML text into documents with libyaml (duplicate keys noted, aliases bounded); a broken
stream is parsed again piece by piece so one bad document does not hide its neighbours.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from typing import Any

import yaml

from .documents import Document, InputError, LoadResult, Source
from .yaml_values import NotPlain, PlainBuilder

MAX_EXPANDED_NODES = 2_000_000

# A line that starts or ends a YAML document. Quoted scalars may not hold such lines, and block scalars
# are always indented below a top-level key, so splitting on them is safe for error recovery.
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)


# The resolver's answer for a node depends on its kind, value and implicit flags alone (the safe resolver has
# no path resolvers), so it is cached; lru_cache answers a repeated question in C, without a Python frame
# (libyaml asks once per node, and most scalars of a manifest repeat). The cache is emptied after every
# RESOLVED_CLEAR_CHARS characters parsed, so it pins no more than about that much text.
_RESOLVED = functools.lru_cache(maxsize=1 << 16)(yaml.resolver.Resolver().resolve)
RESOLVED_CLEAR_CHARS = 16 * 1024 * 1024
_parsed_since_clear = 0
# With no path resolvers, the resolver's descend and ascend steps do nothing: C callables that do nothing
# stand in for them (libyaml's composer calls both for every node).
_PATH_RESOLVERS = bool(yaml.resolver.Resolver.yaml_path_resolvers)
_DESCEND: Any = {}.get  # (parent, index) -> None
_ASCEND: Any = ().__len__  # () -> 0


class _ManifestLoader(yaml.CSafeLoader):
    """libyaml's safe loader that also notes duplicate mapping keys (kubectl's decoder rejects them, while
    PyYAML keeps the last value silently). Merge keys (<<) may override, as YAML allows."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []  # key, line, first line (0-based)
        self._checked: set[int] = set()
        self.resolve = _RESOLVED  # type: ignore[method-assign]
        if not _PATH_RESOLVERS:
            self.descend_resolver = _DESCEND  # type: ignore[method-assign]
            self.ascend_resolver = _ASCEND  # type: ignore[method-assign]

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
    plain = PlainBuilder(loader)
    may_alias = "&" in text and "*" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1 + line_offset
            data = _build(plain, loader, node, may_alias)
            if data is _ALIAS_BOMB:
                raise _ParseFailure(
                    line, f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (alias bomb?); refused"
                )
            documents.append(
                Document(
                    source,
                    first_index + len(documents),
                    line,
                    data,
                    node.start_mark.index + char_offset,
                    node.end_mark.index + char_offset,
                )
            )
        duplicates.extend(
            InputError(
                source.name,
                dup_line + 1 + line_offset,
                f"duplicate key '{key}' (first at line {first + 1 + line_offset}): kubectl "
                "rejects the manifest; kubecheck checked the last value",
            )
            for key, dup_line, first in sorted([*plain.duplicates, *loader.duplicates], key=lambda d: (d[1], d[0]))
        )
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
        _count_parsed(len(text))
    return LoadResult(documents, duplicates)


def _count_parsed(chars: int) -> None:
    global _parsed_since_clear
    _parsed_since_clear += chars
    if _parsed_since_clear > RESOLVED_CLEAR_CHARS:
        _RESOLVED.cache_clear()
        _parsed_since_clear = 0


_ALIAS_BOMB = object()


def _build(plain: PlainBuilder, loader: _ManifestLoader, node: yaml.Node, may_alias: bool) -> Any:
    """A document's value: built plainly, or by PyYAML's constructor where it has aliases, merge keys or
    tags (then _ALIAS_BOMB when its aliases expand past MAX_EXPANDED_NODES)."""
    try:
        return plain.build(node)
    except NotPlain:
        pass
    data = loader.construct_document(node)
    return _ALIAS_BOMB if may_alias and _expanded_size(data) > MAX_EXPANDED_NODES else data


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
    index = source.first_document
    line_offset, counted = source.line_offset, 0
    for begin, end in itertools.pairwise(starts):
        chunk = text[begin:end]
        line_offset += text.count("\n", counted, begin)  # counted on from the previous chunk: linear
        counted = begin
        try:
            part = _load_yaml_documents(source, chunk, index, line_offset, begin)
        except _ParseFailure as failure:
            hint = " (a Helm or Go template? render it first: helm template ...)" if "{{" in chunk else ""
            result.errors.append(InputError(source.name, failure.line, failure.message + hint))
            index += 1
            continue
        result.documents.extend(part.documents)
        result.errors.extend(part.errors)
        index += len(part.documents)  # as the whole stream counts them: a comment-only chunk is no document
    return result


def _one_line_yaml_error(exc: yaml.MarkedYAMLError, mark: yaml.Mark | None) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    text = "; ".join(" ".join(p.split()) for p in parts) or "invalid YAML"
    if mark is not None:
        text += f" (column {mark.column + 1})"
    return f"YAML parse error: {text}"


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


def parse_yaml(source: Source) -> LoadResult:
    """The documents of a YAML source; when the stream is broken, each `---`-separated piece on its own."""
    try:
        return _load_yaml_documents(source, source.text, source.first_document, source.line_offset)
    except _ParseFailure:
        return _parse_yaml_piecewise(source)


def parse_yaml_excerpt(source: Source, begin: int, end: int, first_index: int, line_offset: int) -> list[Document]:
    """The documents of source.text[begin:end] (numbered from first_index, ``line_offset`` lines before it);
    none when it is broken (parse_yaml reports that)."""
    try:
        return _load_yaml_documents(source, source.text[begin:end], first_index, line_offset, begin).documents
    except _ParseFailure:
        return []
