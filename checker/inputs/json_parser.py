"""Parse JSON text into documents: one value or a stream of them back to back; a broken value is
reported once and the stream goes on after it (duplicate keys and too-deep nesting are errors).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .documents import Document, InputError, LoadResult, Source

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
# The tokens that matter to find where a JSON value ends: strings (a raw newline ends a broken one, as JSON
# strings may not hold one) and brackets.
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[\[\]{}]')
_OBJECT_LINE = re.compile(r"^\{", re.MULTILINE)
_CLOSING = {"}": "{", "]": "["}
JSON_REPORTED_DEPTH = 900  # the JSON decoder reads about 990 levels; a deeper value is reported where it passes this


def duplicate_noting_decoder() -> tuple[json.JSONDecoder, list[str]]:
    """A JSON decoder that keeps the last value of a duplicated key (as kubectl does), and the list it
    notes each duplicated key in."""
    duplicates: list[str] = []

    def keep_last(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        made = dict(pairs)
        if len(made) < len(pairs):  # only then is a key duplicated: which, in order
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        return made

    return json.JSONDecoder(object_pairs_hook=keep_last), duplicates


def parse_json(source: Source) -> LoadResult:
    """A JSON value, or a stream of them back to back (as kubectl reads: `jq -c '.items[]'` output, say),
    each its own document with its first line and span. A broken value is reported once and skipped: the
    stream goes on after its end (its brackets balance) or at the next line that starts with `{`."""
    result = LoadResult()
    text = source.text
    decoder, duplicates = duplicate_noting_decoder()
    at, line, counted = _after_space(text, 0), 1 + source.line_offset, 0
    while at < len(text):
        try:
            data, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            resume = _resume_after(text, at, exc.pos)
            message = f"JSON parse error: {exc.msg} (column {exc.colno})"
            error_line = exc.lineno + source.line_offset
            result.errors.append(InputError(source.name, error_line, message + _unread_note(text, exc.pos, resume)))
            if resume is None:
                break
            at = resume
            continue
        except RecursionError:
            error_line, message = _too_deep(text, at)
            error_line += source.line_offset
            resume = _resume_after(text, at, at)
            result.errors.append(InputError(source.name, error_line, message + _unread_note(text, at, resume)))
            if resume is None:
                break
            at = resume
            continue
        line += text.count("\n", counted, at)
        counted = at
        number = source.first_document + len(result.documents)
        result.documents.append(Document(source, number, line, data, at, end))
        result.errors.extend(
            InputError(
                source.name,
                line,
                f"duplicate key '{key}' in the object that starts here: "
                "kubectl rejects the manifest; kubecheck checked the last value",
            )
            for key in dict.fromkeys(duplicates)
        )
        duplicates.clear()
        at = _after_space(text, end)
    return result


def _after_space(text: str, at: int) -> int:
    """Where the JSON whitespace (none or more) that starts at `at` ends."""
    space = _JSON_SPACE.match(text, at)
    assert space is not None  # the pattern matches the empty string
    return space.end()


def _value_end(text: str, start: int) -> int | None:
    """Where the JSON value (object or array) that starts at `start` ends, by its brackets alone; None if
    they do not balance."""
    if text[start : start + 1] not in ("{", "["):
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
    return _after_space(text, end)


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
