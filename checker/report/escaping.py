"""Make file names and manifest values safe for each output: visible escapes for a terminal or a log,
valid Unicode for JSON and SARIF, characters XML can hold for JUnit, and percent-encoded URIs.

File names may hold bytes that are not UTF-8 (Python keeps them as lone surrogates, U+DC80-U+DCFF) and
values may hold ESC, NUL and other control characters; none of them reaches an output raw.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

# Bidirectional overrides and isolates reorder what a terminal shows (CVE-2021-42574, "Trojan Source").
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SURROGATES = re.compile("[\ud800-\udfff]")
# XML 1.0 allows tab, line feed, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF
# (https://www.w3.org/TR/xml/#charsets); everything else makes the document not well-formed.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters a URI path may hold as they are (RFC 3986: unreserved, sub-delims, ':' and '@', and '/').
_URI_SAFE = "/!$&'()*+,;=:@~"


def escape_character(character: str) -> str:
    """One character as a visible escape: ``\\x1b``, ``\\xff`` for an undecodable byte of a file name,
    ``\\u202e``."""
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


# What visible() escapes: control characters (C0, DEL, C1: category Cc), lone surrogates (Cs), the line and
# paragraph separators (Zl, Zp) and the bidirectional controls.
_UNSAFE = "\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029" + "".join(sorted(_BIDI_CONTROLS))


@lru_cache(maxsize=8)
def _unsafe_pattern(keep: str) -> re.Pattern[str]:
    kept = "".join(re.escape(character) for character in keep)
    return re.compile(f"(?![{kept}])[{_UNSAFE}]" if kept else f"[{_UNSAFE}]")


def visible(text: str, keep: str = "") -> str:
    """Text safe for a terminal or a CI log: control characters (C0, DEL, C1), lone surrogates, line and
    paragraph separators and bidirectional controls as visible escapes; the characters in ``keep`` (say
    ``\\n`` for text of several lines) and all others as they are."""
    return _unsafe_pattern(keep).sub(lambda match: escape_character(match.group()), text)


def valid_unicode(text: str) -> str:
    """Text that encodes as UTF-8: lone surrogates (undecodable bytes of file names, or JSON's ``\\udcff``)
    as visible escapes. Control characters are left to the JSON encoder, which escapes them."""
    return _SURROGATES.sub(lambda match: escape_character(match.group()), text)


def xml_text(text: str) -> str:
    """Text an XML 1.0 document can hold: the characters it does not allow as visible escapes."""
    return _NOT_XML.sub(lambda match: escape_character(match.group()), text)


def uri_path(path: str) -> str:
    """A relative path as a URI reference: its bytes (undecodable ones included) percent-encoded where a
    URI path cannot hold them as they are (space, %, #, ?, control characters, non-ASCII)."""
    return quote(os.fsencode(path), safe=_URI_SAFE)


def deep(value: Any, clean: Any) -> Any:
    """Apply a string cleaner to every string (keys included) inside dicts and lists."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {deep(key, clean): deep(item, clean) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [deep(item, clean) for item in value]
    return value
