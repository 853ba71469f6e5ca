"""Privileged-port facts: the pod's unprivileged-port start and the ports below it that a container's
process cannot bind, given its capabilities and user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..semantics.capabilities import CAPABILITIES, Origin, effective_capabilities
from ..semantics.sysctls import pod_sysctls
from ..semantics.users import ROOT, UNKNOWN, User, resolve_user
from .listening import ports_of
from .registry import fact, fact_of
from .scope import Match, Scope

UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start"
DEFAULT_UNPRIVILEGED_PORT_START = 1024
SAFE_PORT_SYSCTL_SINCE = (1, 22)  # the kubelet treats ip_unprivileged_port_start as safe from v1.22


# How NET_BIND_SERVICE stands for a container's process, which decides whether its low ports are findings.
MISSING = "missing"  # not in the capability set: no process binds them, root included (a finding)
ROOT_BINDS = "root"  # root with the capability in its set: binds them
ADDED = "added"  # non-root, NET_BIND_SERVICE named in capabilities.add: binds through file capabilities
NOT_EFFECTIVE = "not-effective"  # non-root, in the set only by default, ALL or privileged (a finding)
IMAGE_DECIDES = "image"  # no runAsUser or runAsNonRoot: the image's USER decides
FILE_CAPABILITY = "the file capability cap_net_bind_service"


@dataclass(frozen=True)
class _LowPorts:
    """The ports a container listens on below the pod's unprivileged-port start, and what decides them."""

    start: Match
    low: list[Match]
    user: User
    capability: Origin | None  # how NET_BIND_SERVICE got into the container's set; None: it is not there
    standing: str  # MISSING, ROOT_BINDS, ADDED, NOT_EFFECTIVE or IMAGE_DECIDES
    pod_lowest: int  # the lowest port below the start that a container of the pod cannot bind
    prefixed_add: int | None  # the index of a capabilities.add entry CAP_NET_BIND_SERVICE that adds nothing

    @property
    def ports(self) -> str:
        return ", ".join(str(port) for port in sorted({m.value for m in self.low}))


def _low_ports(scope: Scope) -> _LowPorts:
    workload, container = scope.workload, scope.container
    assert workload is not None and container is not None
    runtime = scope.params.get("container-runtime")
    start = _unprivileged_port_start(scope)[0]
    low = [m for m in fact_of(scope, "container.listen_ports") if m.value < start.value]
    capability = effective_capabilities(container.spec, runtime).capabilities.get("NET_BIND_SERVICE")
    user = resolve_user(workload.spec, container.spec, container.norm_path)
    # The sysctl is pod-wide: one value, low enough for every port that a container of the pod cannot bind.
    failing = [
        port for each in workload.containers for port in _failing_ports(workload, each, runtime, start.value, scope)
    ]
    return _LowPorts(
        start,
        low,
        user,
        capability,
        _standing(user, capability, container.spec),
        min(failing, default=start.value),
        _prefixed_add(container.spec, runtime),
    )


def _failing_ports(workload: Any, container: Any, runtime: str, start: int, scope: Scope) -> list[int]:
    """The ports below ``start`` that the container's process cannot bind (MISSING or NOT_EFFECTIVE)."""
    low = [port.number for port in ports_of(scope, container.spec) if port.number < start]
    if not low:
        return []
    capability = effective_capabilities(container.spec, runtime).capabilities.get("NET_BIND_SERVICE")
    user = resolve_user(workload.spec, container.spec, container.norm_path)
    return low if _standing(user, capability, container.spec) in (MISSING, NOT_EFFECTIVE) else []


def _prefixed_add(container: dict[str, Any], runtime: str) -> int | None:
    """Where capabilities.add writes CAP_NET_BIND_SERVICE, which containerd prefixes again
    (CAP_CAP_NET_BIND_SERVICE, no capability): an add that adds nothing. CRI-O keeps the prefix."""
    if runtime == "cri-o":
        return None
    context = container.get("securityContext")
    capabilities = context.get("capabilities") if isinstance(context, dict) else None
    adds = capabilities.get("add") if isinstance(capabilities, dict) else None
    for index, value in enumerate(adds if isinstance(adds, list) else []):
        if str(value).upper() == "CAP_NET_BIND_SERVICE":
            return index
    return None


def _prefixed_note(situation: _LowPorts) -> str:
    if situation.prefixed_add is None:
        return ""
    return (
        f"; capabilities.add[{situation.prefixed_add}] CAP_NET_BIND_SERVICE is a no-op, because containerd "
        "adds the CAP_ prefix again (write NET_BIND_SERVICE)"
    )


def _standing(user: User, capability: Origin | None, container: dict[str, Any]) -> str:
    """Root keeps the capabilities of its set across exec; a non-root process keeps none (Kubernetes sets no
    ambient capabilities) and gains one only from a binary's file capability, so only a capability the
    manifest names in capabilities.add says that plan; one from the default set, ALL or privileged does not."""
    if capability is None:
        return MISSING
    if user.kind == ROOT:
        return ROOT_BINDS
    if user.kind == UNKNOWN:
        return IMAGE_DECIDES
    return ADDED if _added_by_name(capability, container) else NOT_EFFECTIVE


def _added_by_name(capability: Origin, container: dict[str, Any]) -> bool:
    path = capability.path
    if path[:-1] != (*CAPABILITIES, "add") or not isinstance(path[-1], int):
        return False
    adds = container.get("securityContext", {}).get("capabilities", {}).get("add")
    return isinstance(adds, list) and path[-1] < len(adds) and str(adds[path[-1]]).upper() != "ALL"


def _capability_source(capability: Origin) -> str:
    if capability.path[-1] == "privileged":
        return "granted by privileged: true"
    if capability.path[:-1] == (*CAPABILITIES, "add"):
        return "added by ALL in capabilities.add"
    return "from the runtime default set"


def _port_reasons(scope: Scope) -> list[str]:
    """Why the ports below the unprivileged-port start are, or are not, findings."""
    situation = _low_ports(scope)
    start, user, capability = situation.start.value, situation.user, situation.capability
    if not situation.low:
        return [f"no port below {start}: nothing to check"]
    ports = f"ports {situation.ports} < {start}"
    if capability is None:
        return [
            f"{ports} and NET_BIND_SERVICE is not in the capability set (the kernel checks it, for root too)"
            f"{_prefixed_note(situation)}: a finding each"
        ]
    if situation.standing == ROOT_BINDS:
        return [f"{ports}: the process is root ({user.note}) and keeps NET_BIND_SERVICE, so it binds them: no finding"]
    if situation.standing == ADDED:
        return [
            f"{ports}: the process runs as non-root ({user.note}) and capabilities.add names NET_BIND_SERVICE; "
            "a non-root process has no effective capabilities after exec, so this works only through "
            f"{FILE_CAPABILITY} on every binary it execs (as ingress-nginx's nginx carries it); the explicit add "
            "states that plan, which the manifest cannot show: no finding"
        ]
    if situation.standing == IMAGE_DECIDES:
        return [
            f"{ports}: NET_BIND_SERVICE is in the capability set ({capability.reason}) and {user.note}: a "
            f"root USER binds them, a non-root one only through {FILE_CAPABILITY} on its binary; the "
            "manifest cannot show either: no finding"
        ]
    return [
        f"{ports}: the process runs as non-root ({user.note}) and NET_BIND_SERVICE is in the set only "
        f"{_capability_source(capability)}; a non-root process has no effective capabilities, so it binds "
        f"them only if its binary carries {FILE_CAPABILITY}{_prefixed_note(situation)}: a finding each (add "
        "NET_BIND_SERVICE to capabilities.add to state that plan)"
    ]


@fact("pod.unprivileged_port_start", "pod")
def _unprivileged_port_start(scope: Scope) -> list[Match]:
    """The lowest port a process may bind without NET_BIND_SERVICE: the pod's sysctl, else 1024. With
    hostNetwork: true the pod shares the node's network namespace and Kubernetes rejects its net.* sysctls,
    so the sysctl does not count there: the node's own setting applies (taken as the kernel default)."""
    assert scope.workload is not None
    host_network = scope.workload.spec.get("hostNetwork") is True
    for entry in pod_sysctls(scope.workload.pod):
        if entry.name == UNPRIVILEGED_PORT_START and entry.value.strip().isdigit():
            if host_network:
                return [
                    Match(
                        DEFAULT_UNPRIVILEGED_PORT_START,
                        scope.pod_path(entry.path),
                        f"the kernel default; the pod's {UNPRIVILEGED_PORT_START}={entry.value.strip()} does "
                        "not count: with hostNetwork: true Kubernetes rejects net.* sysctls",
                    )
                ]
            return [
                Match(
                    int(entry.value),
                    scope.pod_path(entry.path),
                    f"the pod sets {UNPRIVILEGED_PORT_START}={entry.value}",
                )
            ]
    if host_network:
        return [
            Match(
                DEFAULT_UNPRIVILEGED_PORT_START,
                None,
                "the kernel default; with hostNetwork: true the node's own setting applies",
            )
        ]
    return [Match(DEFAULT_UNPRIVILEGED_PORT_START, None, "the kernel default")]


DROP_RULE_TRADE_OFF = "which drop-net-bind-service reports"


@fact("container.unbindable_ports", "container", detail=_port_reasons)
def _unbindable_ports(scope: Scope) -> list[Match]:
    """Ports below the pod's unprivileged-port start that the process cannot bind, with the cheapest fix.

    Binding such a port needs NET_BIND_SERVICE effective in the process. Without it in the container's
    capability set no process has it, root included. With it, root binds; a non-root process holds no
    effective capability after exec, so it binds only through its binary's file capability: a finding when
    the capability comes from the default set (or ALL, or privileged), none when capabilities.add names it
    (the plan ingress-nginx follows) or when the user is unknown (the image decides). The fixes come cheapest
    first: the pod-wide sysctl (the lowest port any container of the pod cannot bind), a higher port, then
    keeping the capability, which trades this finding for a drop-net-bind-service one."""
    situation = _low_ports(scope)
    if not situation.low or situation.standing not in (MISSING, NOT_EFFECTIVE):
        return []
    workload, user, start_match = scope.workload, situation.user, situation.start
    assert workload is not None
    start = start_match.value
    if situation.capability is None:
        why = "NET_BIND_SERVICE is not in its capability set (the kernel checks the capability, for root too)"
    else:
        why = (
            f"it runs as non-root ({user.note}): a non-root process has no effective capabilities, and "
            f"NET_BIND_SERVICE {_capability_source(situation.capability)} does not help it unless its binary "
            f"carries {FILE_CAPABILITY}"
        )
    why += _prefixed_note(situation)
    host_network = workload.spec.get("hostNetwork") is True
    version_ok = scope.params.get("k8s.version") >= SAFE_PORT_SYSCTL_SINCE
    found = []
    for match in situation.low:
        port = match.value
        fixes = [f"listen on port {start} or above"]
        if host_network:
            fixes[0] += f" (hostNetwork: true rules out the {UNPRIVILEGED_PORT_START} sysctl)"
        elif version_ok:
            value = situation.pod_lowest
            sysctl = f"set the safe sysctl {UNPRIVILEGED_PORT_START}={value} in spec.securityContext.sysctls"
            if value != port:
                sysctl += (
                    f" (port {value} is the lowest below {start} that the pod's containers cannot bind, "
                    "and the sysctl is pod-wide)"
                )
            fixes.insert(0, sysctl)
        fixes.append(_capability_fix(situation))
        note = (
            f"listens on port {port} ({match.note}), below {start} ({start_match.note}), but {why}. "
            f"Cheapest fix: {fixes[0]}; or " + "; or ".join(fixes[1:])
        )
        found.append(Match(port, match.path, note, None, match.line_in_value, match.column_in_value))
    return found


def _capability_fix(situation: _LowPorts) -> str:
    """The last resort: keep the capability (root) or state the file-capability plan (non-root); either keeps
    NET_BIND_SERVICE in the set, which drop-net-bind-service reports."""
    if situation.prefixed_add is not None:
        plan = f" for a binary that carries {FILE_CAPABILITY}" if situation.user.kind != ROOT else ""
        return f"write NET_BIND_SERVICE in capabilities.add{plan}, {DROP_RULE_TRADE_OFF}"
    if situation.capability is not None:
        return (
            f"run as root, or name NET_BIND_SERVICE in capabilities.add for a binary that carries "
            f"{FILE_CAPABILITY}; either keeps the capability, {DROP_RULE_TRADE_OFF}"
        )
    if situation.user.kind == ROOT:
        return f"keep NET_BIND_SERVICE, {DROP_RULE_TRADE_OFF}"
    return f"keep NET_BIND_SERVICE and run as root, {DROP_RULE_TRADE_OFF}"
