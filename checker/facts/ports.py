"""Privileged-port facts: the pod's unprivileged-port start and the ports below it that a container's
process cannot bind (semantics/privileged_ports.py decides), with records of the codes that decided it.
"""

from __future__ import annotations

from typing import Any

from ..semantics import privileged_ports as privileged
from ..semantics.ports import Port
from ..semantics.users import NON_ROOT, ROOT, UNKNOWN
from .capabilities import origin_words
from .listening import ports_of
from .registry import fact
from .scope import Match, Scope

START_RECORD = {"start_source": privileged.START_SOURCES, "start_sysctl": None}
PORT_RECORD = {
    "start": None,
    **START_RECORD,
    "standing": privileged.FAILING,
    "user": None,  # where the user comes from: runAsUser 101 in the pod securityContext
    "user_kind": (ROOT, NON_ROOT, UNKNOWN),
    "capability_source": privileged.CAPABILITY_SOURCES,
    "prefixed_add": ("true", "false"),  # capabilities.add writes CAP_NET_BIND_SERVICE, which adds nothing
    "prefixed_add_index": None,
    "fix_plan": privileged.FIX_PLANS,
    "lowest": None,  # the lowest port of the pod that the pod-wide sysctl must allow
    "lowest_is_port": ("true", "false"),
    "capability_fix": privileged.CAPABILITY_FIXES,
}
FILE_CAPABILITY = "the file capability cap_net_bind_service"
# For kubecheck explain: where the start comes from, and how NET_BIND_SERVICE got into a non-root set.
START_NOTES = {
    privileged.KERNEL_DEFAULT: "the kernel default",
    privileged.SYSCTL: f"the pod sets {privileged.UNPRIVILEGED_PORT_START}={{sysctl}}",
    privileged.HOST_NETWORK: "the kernel default; with hostNetwork: true the node's own setting applies",
    privileged.HOST_NETWORK_SYSCTL: (
        f"the kernel default; the pod's {privileged.UNPRIVILEGED_PORT_START}={{sysctl}} does not count: with "
        "hostNetwork: true Kubernetes rejects net.* sysctls"
    ),
}
CAPABILITY_SOURCE_WORDS = {
    privileged.RUNTIME_DEFAULT: "from the runtime default set",
    privileged.ADD_ALL: "added by ALL in capabilities.add",
    privileged.PRIVILEGED: "granted by privileged: true",
}


def _situation(scope: Scope) -> privileged.PrivilegedPorts:
    workload, container = scope.workload, scope.container
    assert workload is not None and container is not None
    runtime = scope.params.get("container-runtime")
    file_capabilities = scope.params.get("file-capabilities")

    def container_ports(spec: dict[str, Any]) -> list[Port]:
        return ports_of(scope, spec)

    # Once per pod, not per container: every container's standing would otherwise be worked out again for
    # each container of the pod (a 2,000-container pod made 4 million calls). The cache keeps the workload
    # (its id is in the key), not container_ports: kept, that closure over the scope tied the scope, its
    # facts and its object into a reference cycle through the context.
    pod_lowest = scope.context.cached(
        ("pod.lowest_unbindable_port", id(workload), runtime, file_capabilities),
        lambda pod: privileged.pod_lowest_unbindable(pod, runtime, container_ports, file_capabilities),
        workload,
    )
    return privileged.privileged_ports(
        workload, container, runtime, scope.params.get("k8s.version"), container_ports, pod_lowest, file_capabilities
    )


def _start_record(start: privileged.PortStart) -> dict[str, object]:
    return {"start_source": start.source, "start_sysctl": start.sysctl.value.strip() if start.sysctl else None}


@fact("pod.unprivileged_port_start", "pod", record=START_RECORD)
def _unprivileged_port_start(scope: Scope) -> list[Match]:
    """The lowest port a process may bind without NET_BIND_SERVICE: the pod's sysctl, else 1024. With
    hostNetwork: true the pod shares the node's network namespace and Kubernetes rejects its net.* sysctls,
    so the sysctl does not count there: the node's own setting applies (taken as the kernel default)."""
    assert scope.workload is not None
    start = privileged.unprivileged_port_start(scope.workload)
    record = _start_record(start)
    note = START_NOTES[start.source].format(sysctl=record["start_sysctl"])
    path = scope.pod_path(start.sysctl.path) if start.sysctl is not None else None
    return [Match(start.value, path, note, record=record)]


def _unbindable_reasons(scope: Scope) -> list[str]:
    return _port_reasons(_situation(scope))


@fact("container.unbindable_ports", "container", detail=_unbindable_reasons, record=PORT_RECORD)
def _unbindable_ports(scope: Scope) -> list[Match]:
    """Ports below the pod's unprivileged-port start that the process cannot bind; the note says where the
    port is set, the record why it fails (standing, user, capability source) and the fixes that apply.

    Binding such a port needs NET_BIND_SERVICE effective in the process. Without it in the container's
    capability set no process has it, root included. With it, root binds; a non-root process holds no
    effective capability after exec, so it binds only through its binary's file capability: a finding when
    the capability comes from the default set (or ALL, or privileged), none when capabilities.add names it
    (the plan ingress-nginx follows) or when the user is unknown (the image decides). The fixes come cheapest
    first: the pod-wide sysctl (the lowest port any container of the pod cannot bind), a higher port, then
    keeping the capability, which trades this finding for a drop-net-bind-service one."""
    workload, container = scope.workload, scope.container
    assert workload is not None and container is not None
    start = privileged.unprivileged_port_start(workload).value
    if all(port.number >= start for port in ports_of(scope, container.spec)):
        return []  # no port below the start (most containers): no standing to work out
    situation = _situation(scope)
    found = []
    for port in situation.unbindable:
        record = {
            "start": situation.start.value,
            **_start_record(situation.start),
            "standing": situation.standing,
            "user": situation.user.note,
            "user_kind": situation.user.kind,
            "capability_source": situation.capability_source,
            "prefixed_add": situation.prefixed_add is not None,
            "prefixed_add_index": situation.prefixed_add,
            "fix_plan": situation.fix_plan,
            "lowest": situation.pod_lowest,
            "lowest_is_port": situation.pod_lowest == port.number,
            "capability_fix": situation.capability_fix,
        }
        path, line, column = scope.container_path(port.path), port.line_in_value, port.column_in_value
        found.append(Match(port.number, path, port.origin, None, line, column, record=record))
    return found


def _port_reasons(situation: privileged.PrivilegedPorts) -> list[str]:
    """For kubecheck explain: why the ports below the unprivileged-port start are, or are not, findings."""
    start, user, capability = situation.start.value, situation.user, situation.capability
    if not situation.low:
        return [f"no port below {start}: nothing to check"]
    ports = f"ports {', '.join(str(port) for port in sorted({p.number for p in situation.low}))} < {start}"
    if capability is None:
        return [
            f"{ports} and NET_BIND_SERVICE is not in the capability set (the kernel checks it, for root too)"
            f"{_prefixed_note(situation)}: a finding each"
        ]
    if situation.standing == privileged.ROOT_BINDS:
        return [f"{ports}: the process is root ({user.note}) and keeps NET_BIND_SERVICE, so it binds them: no finding"]
    if situation.standing == privileged.ADDED:
        return [
            f"{ports}: the process runs as non-root ({user.note}) and capabilities.add names NET_BIND_SERVICE; "
            "a non-root process has no effective capabilities after exec, so this works only through "
            f"{FILE_CAPABILITY} on every binary it execs (as ingress-nginx's nginx carries it); the explicit add "
            "states that plan, which the manifest cannot show: no finding"
        ]
    if situation.standing == privileged.IMAGE_DECIDES:
        return [
            f"{ports}: NET_BIND_SERVICE is in the capability set ({origin_words(capability, 'NET_BIND_SERVICE')}) "
            f"and {user.note}: a "
            f"root USER binds them, a non-root one only through {FILE_CAPABILITY} on its binary; the "
            "manifest cannot show either: no finding"
        ]
    if situation.standing == privileged.NO_FILE_CAPABILITY:
        return [
            f"{ports}: the process runs as non-root ({user.note}) and capabilities.add names NET_BIND_SERVICE, "
            "but a non-root process has no effective capabilities after exec and file-capabilities=none says "
            f"its binary carries no {FILE_CAPABILITY}: a finding each"
        ]
    return [
        f"{ports}: the process runs as non-root ({user.note}) and NET_BIND_SERVICE is in the set only "
        f"{CAPABILITY_SOURCE_WORDS[situation.capability_source]}; a non-root process has no effective "
        f"capabilities, so it binds them only if its binary carries {FILE_CAPABILITY}{_prefixed_note(situation)}: "
        "a finding each (add NET_BIND_SERVICE to capabilities.add to state that plan)"
    ]


def _prefixed_note(situation: privileged.PrivilegedPorts) -> str:
    if situation.prefixed_add is None:
        return ""
    return (
        f"; capabilities.add[{situation.prefixed_add}] CAP_NET_BIND_SERVICE is a no-op, because containerd "
        "adds the CAP_ prefix again (write NET_BIND_SERVICE)"
    )
