"""How sh splits a command line or an ``sh -c`` script into words and operators, keeping the offset of
every character of a word in the text it came from (so a flag inside a script can be located).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPERATOR_CHARS = ";&|()<>"
# Characters that never end or change a word once it has started: runs of them are taken at once.
_PLAIN_RUN = re.compile(r"[^\\ \t\r\n;&|)<>'\"$]*")
_QUOTED_RUN = re.compile(r'[^"\\]*')


@dataclass(frozen=True)
class Word:
    """A word of a command line (quotes removed) with the entry offset of each of its characters, or an
    operator (; && | > ...)."""

    text: str
    offsets: tuple[int, ...]
    operator: bool = False


def shell_words(entry: str) -> list[Word]:
    """The words and operators of a shell script, as sh splits them: blanks separate words, quotes and
    backslashes group, a backslash-newline continues the line, # starts a comment, $(...) and ${...} stay
    inside their word, and a newline ends a command."""
    words: list[Word] = []
    text: list[str] = []
    offsets: list[int] = []
    started = False
    index, length = 0, len(entry)

    def finish() -> None:
        nonlocal started
        if started:
            words.append(Word("".join(text), tuple(offsets)))
        text.clear()
        offsets.clear()
        started = False

    def take(start: int, end: int) -> None:
        text.extend(entry[start:end])
        offsets.extend(range(start, end))

    while index < length:
        char = entry[index]
        if char == "\\" and index + 1 < length:
            if entry[index + 1] != "\n":
                take(index + 1, index + 2)
                started = True
            index += 2
        elif char in " \t\r":
            finish()
            index += 1
        elif char == "\n" or (char in OPERATOR_CHARS and not (char == "(" and started)):
            finish()
            end = index + 1
            while char != "\n" and end < length and entry[end] in OPERATOR_CHARS:
                end += 1
            words.append(Word(entry[index:end], tuple(range(index, end)), True))
            index = end
        elif char == "#" and not started:
            end = entry.find("\n", index)
            index = length if end < 0 else end
        elif char == "'":
            end = entry.find("'", index + 1)
            end = length if end < 0 else end
            take(index + 1, end)
            started, index = True, end + 1
        elif char == '"':
            index += 1
            while index < length and entry[index] != '"':
                if entry[index] == "\\" and index + 1 < length and entry[index + 1] in '$`"\\\n':
                    if entry[index + 1] != "\n":
                        take(index + 1, index + 2)
                    index += 2
                else:
                    run = _QUOTED_RUN.match(entry, index)  # up to the next " or \
                    assert run is not None  # the pattern matches the empty string
                    end = max(run.end(), index + 1)
                    take(index, end)
                    index = end
            started, index = True, index + 1
        elif char == "$" and entry[index + 1 : index + 2] in ("(", "{"):
            end = _closing(entry, index + 1)
            take(index, end)
            started, index = True, end
        else:  # a run of ordinary characters (a lone $ included) joins the word
            run = _PLAIN_RUN.match(entry, index)
            assert run is not None  # the pattern matches the empty string
            end = max(run.end(), index + 1)
            take(index, end)
            started, index = True, end
    finish()
    return words


def _closing(entry: str, opening: int) -> int:
    """The offset just past the bracket that closes the one at ``opening`` (or the end of the entry)."""
    pair = {"(": ")", "{": "}"}[entry[opening]]
    depth = 0
    for index in range(opening, len(entry)):
        if entry[index] == entry[opening]:
            depth += 1
        elif entry[index] == pair:
            depth -= 1
            if depth == 0:
                return index + 1
    return len(entry)
