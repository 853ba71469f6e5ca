"""Paths inside a Kubernetes object (keys and list indices, as tuples) and how messages write them:
``spec.containers[1].securityContext``.
"""

from __future__ import annotations

import functools

PathKey = str | int
Path = tuple[PathKey, ...]


def format_path(path: Path) -> str:
    """Render a path as ``spec.containers[1].securityContext`` (keys with dots or slashes are quoted)."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _plain_key(str(step)):
            out.append(("." if out else "") + str(step))
        else:
            out.append(f'["{step}"]')
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _plain_key(key: str) -> bool:
    """A key written after a dot: letters, digits, _ and - (the same few keys recur in every finding)."""
    return bool(key) and all(ch.isalnum() or ch in "_-" for ch in key)
