"""Sysctl facts: the pod's sysctls, the required sysctls it lacks, and which sysctls a pod cannot
set because it shares a host namespace.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from ..inputs.paths import format_path
from ..semantics.sysctls import container_sysctls, pod_sysctls
from .registry import fact
from .scope import Match, Scope

IPC_SYSCTL_PATTERN = r"^(?:kernel\.shm|kernel\.msg|kernel\.sem$|fs\.mqueue\.)"  # data.yaml's ipc_sysctl_pattern


def host_namespace(scope: Scope, name: str) -> str:
    """Why the pod cannot have its own value of sysctl ``name`` (it shares the node's namespace), or ""."""
    assert scope.workload is not None
    spec = scope.workload.spec
    if spec.get("hostNetwork") is True and name.startswith("net."):
        return (
            "hostNetwork: true the pod shares the node's network namespace: Kubernetes rejects its net.* "
            "sysctls and the node's own setting applies"
        )
    ipc = scope.params.data.get("ipc_sysctl_pattern", IPC_SYSCTL_PATTERN)
    if spec.get("hostIPC") is True and re.search(ipc, name):
        return (
            "hostIPC: true the pod shares the node's IPC namespace: Kubernetes rejects its IPC sysctls "
            "and the node's own setting applies"
        )
    return ""


@dataclass(frozen=True)
class _Required:
    """One sysctl of the required-sysctls parameter, and how the pod stands with it."""

    name: str
    wanted: str
    finding: Match | None
    reason: str  # for kubecheck explain


def _required_sysctls(scope: Scope) -> list[_Required]:
    workload = scope.workload
    assert workload is not None
    declared = {entry.name: entry for entry in pod_sysctls(workload.pod)}
    misplaced = {}
    for container in workload.containers:
        for entry in container_sysctls(container.spec, container.norm_path):
            misplaced.setdefault(entry.name, (container, entry))
    allowed = [*scope.params.data.get("safe_sysctls", ()), *scope.params.get("allowed-unsafe-sysctls")]
    sysctls_path = scope.pod_path(("spec", "securityContext", "sysctls"))
    where = format_path(sysctls_path)
    found: list[_Required] = []
    for name, wanted in sorted(scope.params.get("required-sysctls").items()):
        entry = declared.get(name)
        exempt = host_namespace(scope, name)
        if exempt:
            also = " (the pod sets it anyway, which Kubernetes rejects: see unsafe-sysctls)" if entry else ""
            found.append(_Required(name, wanted, None, f"not demanded: with {exempt}{also}"))
            continue
        if entry is not None and entry.value == wanted:
            found.append(_Required(name, wanted, None, f"set in {where}: no finding"))
            continue
        unsafe = ""
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed):
            unsafe = (
                f" It is not a safe sysctl, so the kubelet admits the pod only where it runs with "
                f"--allowed-unsafe-sysctls={name} (see unsafe-sysctls)."
            )
        if name.startswith("net.ipv6."):
            unsafe += (
                " Nodes booted with ipv6.disable=1 lack it, and the pod fails to start there (scan for them "
                "with --set required-sysctls=)."
            )
        if entry is not None:
            match = Match(
                name, scope.pod_path(entry.path), f'sysctl {name} is set to "{entry.value}", not "{wanted}".{unsafe}'
            )
        elif name in misplaced:
            container, bad = misplaced[name]
            match = Match(
                name,
                scope.pod_path(bad.path),
                f"sysctl {name} is misplaced under container {container.name!r} securityContext, "
                f"where Kubernetes rejects the field; it belongs in {where}.{unsafe}",
            )
        else:
            match = Match(name, sysctls_path, f'{where} does not set {name}="{wanted}".{unsafe}')
        found.append(_Required(name, wanted, match, "a finding"))
    return found


def _required_reasons(scope: Scope) -> list[str]:
    """Each required sysctl: demanded and set, demanded and not (a finding), or not demanded and why."""
    lines = [f"{r.name}={r.wanted}: {r.reason}" for r in _required_sysctls(scope)]
    return lines or ["required-sysctls names no sysctl: nothing to check"]


@fact("pod.missing_required_sysctls", "pod", detail=_required_reasons)
def _missing_required_sysctls(scope: Scope) -> list[Match]:
    """One match per sysctl of the required-sysctls parameter that the pod does not set to its value. Not
    demanded: net.* sysctls of a hostNetwork pod and IPC sysctls of a hostIPC pod, which share the node's
    namespace (Kubernetes rejects the sysctl there, and the node's own setting applies)."""
    return [required.finding for required in _required_sysctls(scope) if required.finding is not None]


@fact("pod.sysctls", "pod")
def _pod_sysctls(scope: Scope) -> list[Match]:
    """One match per sysctl in the pod's spec.securityContext.sysctls (name normalized); the note says when
    required-sysctls demands it (IPv6 disabled, and not exempt by a host namespace)."""
    assert scope.workload is not None
    required = scope.params.get("required-sysctls") if scope.params.get("ipv6") == "disabled" else {}
    matches = []
    for entry in pod_sysctls(scope.workload.pod):
        note = ""
        if entry.name in required and not host_namespace(scope, entry.name):
            note = "; required-sysctls demands it because IPv6 is disabled, so the nodes must allow it"
        matches.append(Match(entry.name, scope.pod_path(entry.path), note))
    return matches
