"""Sysctl facts: the pod's sysctls and the required sysctls it lacks (semantics/required_sysctls.py
decides how the pod stands with each), and which sysctls a pod cannot set because it shares a host namespace.
"""

from __future__ import annotations

from ..inputs.paths import format_path
from ..semantics import required_sysctls as requirement
from ..semantics.sysctls import pod_sysctls
from .registry import fact
from .scope import Match, Scope

HOST_NAMESPACE_WORDS = {  # for kubecheck explain and notes: why a shared namespace exempts a sysctl
    requirement.NETWORK: (
        "hostNetwork: true the pod shares the node's network namespace: Kubernetes rejects its net.* "
        "sysctls and the node's own setting applies"
    ),
    requirement.IPC: (
        "hostIPC: true the pod shares the node's IPC namespace: Kubernetes rejects its IPC sysctls "
        "and the node's own setting applies"
    ),
}
BOOLEAN = ("true", "false")
SYSCTLS = ("spec", "securityContext", "sysctls")
REQUIRED_RECORD = {
    "standing": requirement.FINDINGS,
    "wanted": None,
    "set_value": None,  # with wrong-value: the value the pod sets
    "container": None,  # with misplaced: the container whose securityContext names it
    "sysctls_path": None,  # where the pod's sysctls belong, e.g. spec.template.spec.securityContext.sysctls
    "unsafe": BOOLEAN,  # not a safe sysctl nor allowed: the kubelet must allow it
    "ipv6": BOOLEAN,  # a net.ipv6.* sysctl, which nodes booted with ipv6.disable=1 lack
}


def _ipc_pattern(scope: Scope) -> str:
    return str(scope.params.data.get("ipc_sysctl_pattern", requirement.IPC_SYSCTL_PATTERN))


def host_namespace(scope: Scope, name: str) -> str:
    """Why the pod cannot have its own value of sysctl ``name`` (it shares the node's namespace), or ""."""
    assert scope.workload is not None
    shared = requirement.host_namespace(scope.workload, name, _ipc_pattern(scope))
    return HOST_NAMESPACE_WORDS[shared] if shared is not None else ""


def _required_sysctls(scope: Scope) -> list[requirement.RequiredSysctl]:
    assert scope.workload is not None
    allowed = [*scope.params.data.get("safe_sysctls", ()), *scope.params.get("allowed-unsafe-sysctls")]
    demanded = scope.params.get("required-sysctls")
    return requirement.required_sysctls(scope.workload, demanded, allowed, _ipc_pattern(scope))


def _required_reasons(scope: Scope) -> list[str]:
    """For kubecheck explain, each required sysctl: demanded and set, demanded and not (a finding), or not
    demanded and why."""
    where = format_path(scope.pod_path(SYSCTLS))
    lines = []
    for sysctl in _required_sysctls(scope):
        if sysctl.host_namespace is not None:
            also = " (the pod sets it anyway, which Kubernetes rejects: see unsafe-sysctls)" if sysctl.declared else ""
            reason = f"not demanded: with {HOST_NAMESPACE_WORDS[sysctl.host_namespace]}{also}"
        else:
            reason = f"set in {where}: no finding" if sysctl.standing == requirement.SET else "a finding"
        lines.append(f"{sysctl.name}={sysctl.wanted}: {reason}")
    return lines or ["required-sysctls names no sysctl: nothing to check"]


@fact("pod.missing_required_sysctls", "pod", detail=_required_reasons, record=REQUIRED_RECORD)
def _missing_required_sysctls(scope: Scope) -> list[Match]:
    """One match per sysctl of the required-sysctls parameter that the pod does not set to its value, at the
    place to fix (the entry, the misplaced entry, or the pod's sysctls); the record says how it stands. Not
    demanded: net.* sysctls of a hostNetwork pod and IPC sysctls of a hostIPC pod, which share the node's
    namespace (Kubernetes rejects the sysctl there, and the node's own setting applies)."""
    sysctls_path = scope.pod_path(SYSCTLS)
    found = []
    for sysctl in _required_sysctls(scope):
        if sysctl.standing not in requirement.FINDINGS:
            continue
        record = {
            "standing": sysctl.standing,
            "wanted": sysctl.wanted,
            "set_value": sysctl.declared.value if sysctl.declared else None,
            "container": sysctl.misplaced[0].name if sysctl.misplaced else None,
            "sysctls_path": format_path(sysctls_path),
            "unsafe": sysctl.unsafe,
            "ipv6": sysctl.ipv6,
        }
        if sysctl.standing == requirement.WRONG_VALUE and sysctl.declared is not None:
            path = scope.pod_path(sysctl.declared.path)
        elif sysctl.standing == requirement.MISPLACED and sysctl.misplaced is not None:
            path = scope.pod_path(sysctl.misplaced[1].path)
        else:
            path = sysctls_path
        found.append(Match(sysctl.name, path, record=record))
    return found


DEMANDED_NOTE = "; required-sysctls demands it because IPv6 is disabled, so the nodes must allow it"


@fact("pod.sysctls", "pod", record={"required": BOOLEAN})
def _pod_sysctls(scope: Scope) -> list[Match]:
    """One match per sysctl in the pod's spec.securityContext.sysctls (name normalized); the record says
    whether required-sysctls demands it (IPv6 disabled, and not exempt by a host namespace), which explain's
    note repeats."""
    assert scope.workload is not None
    demanded = scope.params.get("required-sysctls") if scope.params.get("ipv6") == "disabled" else {}
    matches = []
    for entry in pod_sysctls(scope.workload.pod):
        required = entry.name in demanded and not host_namespace(scope, entry.name)
        note = DEMANDED_NOTE if required else ""
        matches.append(Match(entry.name, scope.pod_path(entry.path), note, record={"required": required}))
    return matches
