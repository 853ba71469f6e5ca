"""Read one input's bytes (a file or stdin) and decode them: UTF-8 with or without a BOM, UTF-16 and
UTF-32 with a BOM; refuse oversized inputs and name UTF-16 text that lacks its byte order mark.
"""

from __future__ import annotations

import codecs
import os
import sys

from .documents import STDIN_NAME, InputError, Source

MAX_FILE_BYTES = 32 * 1024 * 1024  # an input read whole (parsed at once: api.run, fix, explain)
# An input the streamed scan cuts into pieces (scanning.py, pieces.py): its text is held, never all of it
# parsed at once; one document of it over pieces.MAX_DOCUMENT_CHARS is refused.
MAX_STREAMED_BYTES = 512 * 1024 * 1024


def read_source(name: str, limit: int = MAX_FILE_BYTES) -> Source | InputError:
    """Read one input's bytes and decode them: UTF-8 (a BOM and CRLF tolerated), or UTF-16 or UTF-32 with a
    BOM; an input over ``limit`` bytes is refused."""
    try:
        if name == "-":
            display = STDIN_NAME
            if sys.stdin is None:  # started with stdin closed (`kubecheck scan - <&-`): Python sets it to None
                return InputError(STDIN_NAME, None, "cannot read: stdin is closed")
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            display = name
            if os.path.getsize(name) > limit:
                return InputError(name, None, f"file is larger than {_size(limit)}; refused{_whole_note(limit)}")
            with open(name, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        return InputError(name, None, f"cannot read: {exc.strerror or exc}")
    if len(raw) > limit:
        return InputError(display, None, f"input is larger than {_size(limit)}; refused{_whole_note(limit)}")
    encoding = _encoding_of(raw)
    if encoding == "utf-8-sig" and _looks_like_utf16(raw):
        return InputError(
            display,
            None,
            "looks like UTF-16 text without a byte order mark (NUL bytes between the "
            "characters): kubectl reads it as UTF-8 and cannot parse it; save it as UTF-8",
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        return InputError(display, line, f"not valid {_ENCODING_NAMES[encoding]} text")
    is_json = display.lower().endswith(".json") or (display == STDIN_NAME and text.lstrip()[:1] in ("{", "["))
    return Source(display, text, is_json, encoding)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024 * 1024)} GiB" if limit >= 1024**3 else f"{limit // (1024 * 1024)} MiB"


def _whole_note(limit: int) -> str:
    if limit >= MAX_STREAMED_BYTES:
        return ""
    return f" (read whole here; a plain scan reads inputs up to {_size(MAX_STREAMED_BYTES)} in pieces)"


# Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one). The "utf-16" and
# "utf-32" codecs read the mark, pick the byte order and drop it; "utf-8-sig" drops a UTF-8 mark.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte order mark: ASCII text in it has a NUL byte in every other place."""
    if raw.count(0) < max(len(raw) // 4, 1):
        return False
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    return max(even, odd) >= 0.9 * (even + odd) and max(even, odd) >= len(raw) // 4


def _encoding_of(raw: bytes) -> str:
    return next((codec for mark, codec in _BYTE_ORDER_MARKS if raw.startswith(mark)), "utf-8-sig")
