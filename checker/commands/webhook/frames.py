"""The frames between the webhook server and its review workers: a 4-byte big-endian length, then that many
bytes. The setup and the worker's hello are JSON; a request is the AdmissionReview body as received; an
answer is one frame: the review's meta JSON (verdict, log fields, findings; no raw newline), a newline, and
the response body as sent to the client.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

LENGTH = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # far above any body the server accepts: a larger length is a broken stream


class BrokenFrames(Exception):
    """The other side closed the stream or wrote something that is not a frame."""


def frame(payload: bytes) -> bytes:
    return LENGTH.pack(len(payload)) + payload


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame from a blocking stream; None at the end of the stream (the server closed it)."""
    head = stream.read(LENGTH.size)
    if not head:
        return None
    if len(head) < LENGTH.size:
        raise BrokenFrames("the stream ended inside a frame's length")
    (size,) = LENGTH.unpack(head)
    if size > MAX_FRAME:
        raise BrokenFrames(f"a frame of {size} bytes is larger than {MAX_FRAME}")
    payload = stream.read(size)
    if len(payload) < size:
        raise BrokenFrames("the stream ended inside a frame")
    return payload
