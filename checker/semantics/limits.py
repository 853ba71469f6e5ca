"""Per-value bounds: how long a value kubecheck parses (a command or args entry split as a shell script,
an env value read as an address) may be. Longer values are not parsed, and are named by an info finding
(value-not-analysed), so that one huge script cannot make a scan slow or silently pass.
"""

from __future__ import annotations

MAX_VALUE_CHARS = 262_144  # 256 Ki characters: far above real scripts; a 5,000-line script still parses in ~1 s


def is_oversized(value: object) -> bool:
    return isinstance(value, str) and len(value) > MAX_VALUE_CHARS
