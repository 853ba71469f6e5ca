"""Which user a container runs as, resolved the way the kubelet does: the container's securityContext
first, then the pod's; runAsUser wins over runAsNonRoot; with neither, the image decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..inputs.paths import Path

ROOT, NON_ROOT, UNKNOWN = "root", "non-root", "unknown"


@dataclass(frozen=True)
class User:
    kind: str  # root | non-root | unknown
    uid: int | None
    path: Path | None  # relative to the normalized pod view
    note: str


def resolve_user(pod_spec: dict[str, Any], container: dict[str, Any], container_path: Path) -> User:
    container_context = container.get("securityContext")
    pod_context = pod_spec.get("securityContext")
    levels = [
        (container_context, (*container_path, "securityContext"), "container securityContext"),
        (pod_context, ("spec", "securityContext"), "pod securityContext"),
    ]
    for context, base, where in levels:
        if isinstance(context, dict) and _uid(context.get("runAsUser")) is not None:
            uid = _uid(context["runAsUser"])
            kind = ROOT if uid == 0 else NON_ROOT
            return User(kind, uid, (*base, "runAsUser"), f"runAsUser {uid} in the {where}")
    for context, base, where in levels:
        if isinstance(context, dict) and isinstance(context.get("runAsNonRoot"), bool):
            if context["runAsNonRoot"]:
                return User(NON_ROOT, None, (*base, "runAsNonRoot"), f"runAsNonRoot: true in the {where}")
            break  # runAsNonRoot: false says nothing about the user
    return User(UNKNOWN, None, None, "neither runAsUser nor runAsNonRoot is set: the image's USER decides")


def _uid(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass(frozen=True)
class SecurityContextId:
    """The runAsUser or runAsGroup a container runs with, where it is written (relative to the normalized pod
    view) and whether it comes from the container's securityContext or the pod's."""

    value: int
    path: Path
    level: str  # container | pod


def resolve_id(
    pod_spec: dict[str, Any], container: dict[str, Any], container_path: Path, field: str
) -> SecurityContextId | None:
    """The effective runAsUser or runAsGroup (``field``): the container's securityContext overrides the pod's
    (PodSecurityContext: "the value specified in SecurityContext takes precedence"); None when neither sets a
    valid one, so the image's USER decides."""
    levels = [
        (container.get("securityContext"), (*container_path, "securityContext", field), "container"),
        (pod_spec.get("securityContext"), ("spec", "securityContext", field), "pod"),
    ]
    for context, path, level in levels:
        if isinstance(context, dict):
            value = _uid(context.get(field))
            if value is not None:
                return SecurityContextId(value, path, level)
    return None
