"""The sysctls a pod must set (the required-sysctls parameter) and how the pod stands with each: set, set
to another value, misplaced under a container, absent, or not demanded because the pod shares a node
namespace; as codes (no prose).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..workloads.pods import Container, Workload
from .sysctls import SysctlEntry, container_sysctls, pod_sysctls

IPC_SYSCTL_PATTERN = r"^(?:kernel\.shm|kernel\.msg|kernel\.sem$|fs\.mqueue\.)"  # data.yaml's ipc_sysctl_pattern

# The node namespace a pod shares, which makes Kubernetes reject its sysctls of that namespace.
NETWORK, IPC = "network", "ipc"

# How the pod stands with a required sysctl.
SET = "set"  # in spec.securityContext.sysctls with the required value
EXEMPT = "exempt"  # not demanded: the pod shares the node's namespace of the sysctl
WRONG_VALUE = "wrong-value"  # set to another value (a finding)
MISPLACED = "misplaced"  # only under a container's securityContext, where Kubernetes rejects it (a finding)
ABSENT = "absent"  # not set (a finding)
FINDINGS = (WRONG_VALUE, MISPLACED, ABSENT)


@dataclass(frozen=True)
class RequiredSysctl:
    """One sysctl of the required-sysctls parameter, and how the pod stands with it."""

    name: str
    wanted: str
    standing: str  # SET, EXEMPT, WRONG_VALUE, MISPLACED or ABSENT
    declared: SysctlEntry | None  # the pod's own entry for it (with EXEMPT: set anyway, and rejected)
    misplaced: tuple[Container, SysctlEntry] | None  # the first container that sets it in its securityContext
    host_namespace: str | None  # NETWORK or IPC: the namespace the pod shares (then EXEMPT)
    unsafe: bool  # not in the safe set nor allowed: the kubelet admits the pod only where it is allowed

    @property
    def ipv6(self) -> bool:
        """A net.ipv6.* sysctl, which nodes booted with ipv6.disable=1 do not have."""
        return self.name.startswith("net.ipv6.")


def host_namespace(workload: Workload, name: str, ipc_pattern: str = IPC_SYSCTL_PATTERN) -> str | None:
    """The node namespace that keeps the pod from having its own value of sysctl ``name``, or None: the
    network namespace (hostNetwork: true, a net.* sysctl) or the IPC one (hostIPC: true, an IPC sysctl)."""
    spec = workload.spec
    if spec.get("hostNetwork") is True and name.startswith("net."):
        return NETWORK
    if spec.get("hostIPC") is True and re.search(ipc_pattern, name):
        return IPC
    return None


def required_sysctls(
    workload: Workload, required: Mapping[str, str], allowed: Iterable[str], ipc_pattern: str = IPC_SYSCTL_PATTERN
) -> list[RequiredSysctl]:
    """Each required sysctl (by name) with the pod's standing; ``allowed`` are the safe sysctls and those the
    kubelets allow (names or patterns)."""
    declared = {entry.name: entry for entry in pod_sysctls(workload.pod)}
    misplaced: dict[str, tuple[Container, SysctlEntry]] = {}
    for container in workload.containers:
        for entry in container_sysctls(container.spec, container.norm_path):
            misplaced.setdefault(entry.name, (container, entry))
    allowed_name = _any_of(tuple(allowed))
    found = []
    for name, wanted in sorted(required.items()):
        declared_entry = declared.get(name)
        shared = host_namespace(workload, name, ipc_pattern)
        if shared is not None:
            standing = EXEMPT
        elif declared_entry is not None:
            standing = SET if declared_entry.value == wanted else WRONG_VALUE
        else:
            standing = MISPLACED if name in misplaced else ABSENT
        unsafe = allowed_name is None or allowed_name.match(name) is None
        found.append(RequiredSysctl(name, wanted, standing, declared_entry, misplaced.get(name), shared, unsafe))
    return found


@functools.lru_cache(maxsize=64)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regular expression for a list of names and fnmatch patterns (fnmatchcase against each, at once)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns))
