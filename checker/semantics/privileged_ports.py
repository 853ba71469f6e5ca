"""Ports below the unprivileged-port start and whether a container's process can bind them: the pod's
start, how NET_BIND_SERVICE stands for the process, and the fixes that apply, as codes (no prose).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..workloads.pods import Container, Workload
from .capabilities import CAPABILITIES, Origin, effective_capabilities
from .ports import Port
from .sysctls import SysctlEntry, pod_sysctls
from .users import ROOT, UNKNOWN, User, resolve_user

UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start"
DEFAULT_UNPRIVILEGED_PORT_START = 1024
SAFE_PORT_SYSCTL_SINCE = (1, 22)  # the kubelet treats ip_unprivileged_port_start as safe from v1.22

# Where the pod's unprivileged-port start comes from.
KERNEL_DEFAULT = "kernel-default"
SYSCTL = "sysctl"  # the pod's sysctl
HOST_NETWORK = "host-network"  # hostNetwork: true, no sysctl: the node's own setting, taken as the default
HOST_NETWORK_SYSCTL = "host-network-sysctl"  # hostNetwork: true: Kubernetes rejects the pod's sysctl
START_SOURCES = (KERNEL_DEFAULT, SYSCTL, HOST_NETWORK, HOST_NETWORK_SYSCTL)

# How NET_BIND_SERVICE stands for a container's process, which decides whether its low ports bind.
MISSING = "missing"  # not in the capability set: no process binds them, root included (a finding)
ROOT_BINDS = "root"  # root with the capability in its set: binds them
ADDED = "added"  # non-root, NET_BIND_SERVICE named in capabilities.add: binds through file capabilities
NOT_EFFECTIVE = "not-effective"  # non-root, in the set only by default, ALL or privileged (a finding)
IMAGE_DECIDES = "image"  # no runAsUser or runAsNonRoot: the image's USER decides
NO_FILE_CAPABILITY = "no-file-capability"  # non-root, named in capabilities.add, but the images carry none
FAILING = (MISSING, NOT_EFFECTIVE, NO_FILE_CAPABILITY)

# What the images are known to carry: file capabilities may be there (unknown, the default), or none are.
FILE_CAPABILITIES_UNKNOWN, FILE_CAPABILITIES_NONE = "unknown", "none"

# How NET_BIND_SERVICE got into the container's set.
NONE, RUNTIME_DEFAULT, ADD_ALL, NAMED_ADD, PRIVILEGED = "none", "runtime-default", "all", "added", "privileged"
CAPABILITY_SOURCES = (NONE, RUNTIME_DEFAULT, ADD_ALL, NAMED_ADD, PRIVILEGED)

# The fixes, cheapest first: the pod-wide sysctl (not with hostNetwork, nor before v1.22), a higher port,
# and last keeping the capability in one of these ways.
SYSCTL_FIX, HOST_NETWORK_FIX, PORT_ONLY = "sysctl", "host-network", "port-only"
FIX_PLANS = (SYSCTL_FIX, HOST_NETWORK_FIX, PORT_ONLY)
WRITE_ADD = "write-add"  # capabilities.add writes CAP_NET_BIND_SERVICE: write NET_BIND_SERVICE
ADD_OR_ROOT = "add-or-root"  # in the set, non-root: run as root, or name it in capabilities.add
KEEP = "keep"  # root without it: keep it
KEEP_AS_ROOT = "keep-as-root"  # not root, without it: keep it and run as root
CAPABILITY_FIXES = (WRITE_ADD, ADD_OR_ROOT, KEEP, KEEP_AS_ROOT)


@dataclass(frozen=True)
class PortStart:
    """The lowest port a process may bind without NET_BIND_SERVICE, and where that comes from."""

    value: int
    source: str  # one of START_SOURCES
    sysctl: SysctlEntry | None  # the pod's sysctl entry, counted or (hostNetwork) not


@dataclass(frozen=True)
class PrivilegedPorts:
    """A container's ports below the pod's start, and what decides whether its process binds them."""

    start: PortStart
    low: list[Port]
    user: User
    capability: Origin | None  # how NET_BIND_SERVICE got into the set; None: it is not there
    standing: str  # MISSING, ROOT_BINDS, ADDED, NOT_EFFECTIVE or IMAGE_DECIDES
    capability_source: str  # one of CAPABILITY_SOURCES
    prefixed_add: int | None  # the index of a capabilities.add entry CAP_NET_BIND_SERVICE that adds nothing
    pod_lowest: int  # the lowest port below the start that a container of the pod cannot bind
    fix_plan: str  # one of FIX_PLANS
    capability_fix: str  # one of CAPABILITY_FIXES

    @property
    def unbindable(self) -> list[Port]:
        """The low ports that are findings: no process of the container can bind them as it is set up."""
        return self.low if self.standing in FAILING else []


def unprivileged_port_start(workload: Workload) -> PortStart:
    """The pod's sysctl, else 1024. With hostNetwork: true the pod shares the node's network namespace and
    Kubernetes rejects its net.* sysctls, so the sysctl does not count there: the node's own setting applies
    (taken as the kernel default)."""
    host_network = workload.spec.get("hostNetwork") is True
    for entry in pod_sysctls(workload.pod):
        if entry.name == UNPRIVILEGED_PORT_START and entry.value.strip().isdigit():
            if host_network:
                return PortStart(DEFAULT_UNPRIVILEGED_PORT_START, HOST_NETWORK_SYSCTL, entry)
            return PortStart(int(entry.value), SYSCTL, entry)
    return PortStart(DEFAULT_UNPRIVILEGED_PORT_START, HOST_NETWORK if host_network else KERNEL_DEFAULT, None)


def privileged_ports(
    workload: Workload,
    container: Container,
    runtime: str,
    k8s_version: tuple[int, ...],
    ports_of: Callable[[dict[str, Any]], list[Port]],
    pod_lowest: int | None = None,
    file_capabilities: str = FILE_CAPABILITIES_UNKNOWN,
) -> PrivilegedPorts:
    """The container's low ports and their standing; ``ports_of`` gives the listen ports of a container
    spec. ``pod_lowest`` is pod_lowest_unbindable() of the workload (the pod's other containers decide the
    lowest port the pod-wide sysctl must allow): a caller that asks for every container computes it once per
    pod and passes it, so a pod's cost stays linear in its containers; without it, it is computed here.
    ``file_capabilities`` none says the images' binaries carry no file capability."""
    start = unprivileged_port_start(workload)
    low = [port for port in ports_of(container.spec) if port.number < start.value]
    capability = effective_capabilities(container.spec, runtime).capabilities.get("NET_BIND_SERVICE")
    user = resolve_user(workload.spec, container.spec, container.norm_path)
    prefixed_add = _prefixed_add(container.spec, runtime)
    if pod_lowest is None:
        pod_lowest = pod_lowest_unbindable(workload, runtime, ports_of, file_capabilities)
    if workload.spec.get("hostNetwork") is True:
        fix_plan = HOST_NETWORK_FIX
    else:
        fix_plan = SYSCTL_FIX if k8s_version >= SAFE_PORT_SYSCTL_SINCE else PORT_ONLY
    if prefixed_add is not None:
        capability_fix = WRITE_ADD
    elif capability is not None:
        capability_fix = ADD_OR_ROOT
    else:
        capability_fix = KEEP if user.kind == ROOT else KEEP_AS_ROOT
    return PrivilegedPorts(
        start,
        low,
        user,
        capability,
        _standing(user, capability, container.spec, file_capabilities),
        _capability_source(capability, container.spec),
        prefixed_add,
        pod_lowest,
        fix_plan,
        capability_fix,
    )


def pod_lowest_unbindable(
    workload: Workload,
    runtime: str,
    ports_of: Callable[[dict[str, Any]], list[Port]],
    file_capabilities: str = FILE_CAPABILITIES_UNKNOWN,
) -> int:
    """The lowest port below the pod's start that some container of the pod cannot bind (the value the
    pod-wide sysctl must allow), else the start itself."""
    start = unprivileged_port_start(workload)
    failing = [
        port
        for other in workload.containers
        for port in _failing_ports(workload, other, runtime, start, ports_of, file_capabilities)
    ]
    return min(failing, default=start.value)


def _failing_ports(
    workload: Workload,
    container: Container,
    runtime: str,
    start: PortStart,
    ports_of: Callable[[dict[str, Any]], list[Port]],
    file_capabilities: str,
) -> list[int]:
    """The ports below the start that the container's process cannot bind (MISSING or NOT_EFFECTIVE)."""
    low = [port.number for port in ports_of(container.spec) if port.number < start.value]
    if not low:
        return []
    capability = effective_capabilities(container.spec, runtime).capabilities.get("NET_BIND_SERVICE")
    user = resolve_user(workload.spec, container.spec, container.norm_path)
    return low if _standing(user, capability, container.spec, file_capabilities) in FAILING else []


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


def _standing(user: User, capability: Origin | None, container: dict[str, Any], file_capabilities: str) -> str:
    """Root keeps the capabilities of its set across exec; a non-root process keeps none (Kubernetes sets no
    ambient capabilities) and gains one only from a binary's file capability, so only a capability the
    manifest names in capabilities.add says that plan; one from the default set, ALL or privileged does not.
    Where the images are known to carry no file capability (file_capabilities none), that plan fails too."""
    if capability is None:
        return MISSING
    if user.kind == ROOT:
        return ROOT_BINDS
    if user.kind == UNKNOWN:
        return IMAGE_DECIDES
    if not _added_by_name(capability, container):
        return NOT_EFFECTIVE
    return NO_FILE_CAPABILITY if file_capabilities == FILE_CAPABILITIES_NONE else ADDED


def _added_by_name(capability: Origin, container: dict[str, Any]) -> bool:
    path = capability.path
    if path[:-1] != (*CAPABILITIES, "add") or not isinstance(path[-1], int):
        return False
    adds = container.get("securityContext", {}).get("capabilities", {}).get("add")
    return isinstance(adds, list) and path[-1] < len(adds) and str(adds[path[-1]]).upper() != "ALL"


def _capability_source(capability: Origin | None, container: dict[str, Any]) -> str:
    if capability is None:
        return NONE
    if capability.path[-1] == "privileged":
        return PRIVILEGED
    if capability.path[:-1] == (*CAPABILITIES, "add"):
        return NAMED_ADD if _added_by_name(capability, container) else ADD_ALL
    return RUNTIME_DEFAULT
