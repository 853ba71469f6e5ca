"""Sysctl names and where a pod declares them: name normalisation the way the kubelet does it, and the
pod-level and (misplaced) container-level sysctl entries of a pod view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..inputs.paths import Path


def normalize_name(name: str) -> str:
    """Slash-separated names (``net/ipv4/ip_forward``) become dotted: when the first separator is ``/``,
    the kubelet swaps ``/`` and ``.`` (so ``net/ipv6/conf/eth0.100/x`` is ``net.ipv6.conf.eth0/100.x``)."""
    first_dot, first_slash = name.find("."), name.find("/")
    if first_slash == -1 or (first_dot != -1 and first_dot < first_slash):
        return name
    return name.translate(str.maketrans("./", "/."))


@dataclass(frozen=True)
class SysctlEntry:
    name: str
    value: str
    path: Path  # relative to the normalized pod view


def pod_sysctls(pod: dict[str, Any]) -> list[SysctlEntry]:
    """The entries of ``spec.securityContext.sysctls`` with normalized names."""
    security_context = pod.get("spec", {}).get("securityContext")
    if not isinstance(security_context, dict):
        return []
    return _entries(security_context.get("sysctls"), ("spec", "securityContext", "sysctls"))


def container_sysctls(container: dict[str, Any], container_path: Path) -> list[SysctlEntry]:
    """Sysctl entries written under a container's securityContext, a field Kubernetes rejects there."""
    security_context = container.get("securityContext")
    if not isinstance(security_context, dict):
        return []
    return _entries(security_context.get("sysctls"), (*container_path, "securityContext", "sysctls"))


def _entries(value: Any, base: Path) -> list[SysctlEntry]:
    if not isinstance(value, list):
        return []
    entries = []
    for index, item in enumerate(value):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            raw_value = item.get("value")
            if raw_value is None:
                text = ""
            else:
                text = str(raw_value).lower() if isinstance(raw_value, bool) else str(raw_value)
            entries.append(SysctlEntry(normalize_name(item["name"]), text, (*base, index)))
    return entries
