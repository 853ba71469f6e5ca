"""Paths inside a Kubernetes object (keys and list indices, as tuples) and how messages write them:
``spec.containers[1].securityContext``.
"""

from __future__ import annotations

PathKey = str | int
Path = tuple[PathKey, ...]


def format_path(path: Path) -> str:
    """Render a path as ``spec.containers[1].securityContext`` (keys with dots or slashes are quoted)."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif step and all(ch.isalnum() or ch in "_-" for ch in str(step)):
            out.append(("." if out else "") + str(step))
        else:
            out.append(f'["{step}"]')
    return "".join(out)
