"""IPv6 facts: whether IPv6 is disabled for a pod, and how (declared for the cluster, or by the
pod's own sysctls).
"""

from __future__ import annotations

from ..semantics.sysctls import pod_sysctls
from .registry import fact
from .scope import Match, Scope
from .sysctls import host_namespace

IPV6_DISABLE_SYSCTLS = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")


DECLARED, SYSCTL, DEFAULT_SYSCTL = "declared", "sysctl", "default-sysctl"


@fact("pod.ipv6_disabled", "pod", record={"ignored_because": ("host-network",), "sysctl": None})
def _ipv6_disabled(scope: Scope) -> list[Match]:
    """True when IPv6 is disabled for the pod: by --set ipv6=disabled, or a pod sysctl disable_ipv6=1 (not
    with hostNetwork: true, where Kubernetes rejects the sysctl and the node's setting applies: then the value
    is false and the record names the ignored sysctl, ignored_because: host-network)."""
    found = _ipv6_disabled_by(scope)
    if found:
        return [Match(True, found[0].path, found[0].note)]
    assert scope.workload is not None
    for entry in pod_sysctls(scope.workload.pod):
        if entry.name in IPV6_DISABLE_SYSCTLS and entry.value == "1" and host_namespace(scope, entry.name):
            record = {"ignored_because": "host-network", "sysctl": entry.name}
            return [Match(False, scope.pod_path(entry.path), f"sysctl {entry.name}=1", record=record)]
    return [Match(False, None, "")]


@fact("pod.ipv6_disabled_by", "pod")
def _ipv6_disabled_by(scope: Scope) -> list[Match]:
    """How IPv6 is disabled for the pod, when it is: "declared" (--set ipv6=disabled: the nodes have the
    ipv6.disable=1 boot flag or disable it by sysctl), "sysctl" (the pod sets net.ipv6.conf.all.disable_ipv6=1:
    no interface of the pod keeps an IPv6 address) or "default-sysctl" (only .default.: interfaces created
    after it get no IPv6, lo keeps ::1). A new pod network namespace does not inherit the node's IPv6
    sysctls, and a hostNetwork pod cannot set its own, so nothing else disables it."""
    if scope.params.get("ipv6") == "disabled":
        return [Match(DECLARED, None, "IPv6 is declared disabled (--set ipv6=disabled)")]
    assert scope.workload is not None
    entries = {entry.name: entry for entry in reversed(pod_sysctls(scope.workload.pod))}
    for name, kind in zip(IPV6_DISABLE_SYSCTLS, (SYSCTL, DEFAULT_SYSCTL), strict=True):
        entry = entries.get(name)
        if entry is not None and entry.value == "1" and not host_namespace(scope, name):
            return [Match(kind, scope.pod_path(entry.path), f"the pod sets sysctl {name}=1")]
    return []
