"""Named facts that rules read (``fact: container.effective_capabilities``): derived values with the place
that produced each one. Kubernetes and runtime semantics live here and in the modules these call.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

from .capabilities import effective_capabilities
from .findings import format_path
from .identity import ROOT, User, resolve_user
from .listen import ADDRESS_NAME, listen_addresses
from .mounted_config import mounted_addresses
from .ports import listen_ports
from .scope import Match, Scope
from .sysctls import container_sysctls, pod_sysctls

IPV6_DISABLE_SYSCTLS = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")
UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start"
DEFAULT_UNPRIVILEGED_PORT_START = 1024
SAFE_PORT_SYSCTL_SINCE = (1, 22)  # the kubelet treats ip_unprivileged_port_start as safe from v1.22


@dataclass(frozen=True)
class Fact:
    name: str
    scope: str  # the narrowest scope the fact needs: resource, pod or container
    compute: Callable[[Scope], list[Match]]
    detail: Callable[[Scope], list[str]] | None = None  # how the value came about, for kubecheck explain
    detail_only: bool = False  # the detail already shows the values (explain lists no matches)


FACTS: dict[str, Fact] = {}
Compute = Callable[[Scope], list[Match]]


def fact(name: str, scope: str, detail: Callable[[Scope], list[str]] | None = None,
         detail_only: bool = False) -> Callable[[Compute], Compute]:
    def register(function: Compute) -> Compute:
        FACTS[name] = Fact(name, scope, function, detail, detail_only)
        return function

    return register


def _capability_steps(scope: Scope) -> list[str]:
    assert scope.container is not None
    computed = effective_capabilities(scope.container.spec, scope.params.get("container-runtime"))
    return [*computed.steps, "= " + (", ".join(sorted(computed.capabilities)) or "(none)")]


@dataclass(frozen=True)
class _LowPorts:
    """The ports a container listens on below the pod's unprivileged-port start, and what decides them."""

    start: Match
    low: list[Match]
    can_bind: bool  # NET_BIND_SERVICE is in the container's capability set
    user: User


def _low_ports(scope: Scope) -> _LowPorts:
    workload, container = scope.workload, scope.container
    assert workload is not None and container is not None
    start = _unprivileged_port_start(scope)[0]
    low = [m for m in _listen_ports(scope) if m.value < start.value]
    capabilities = effective_capabilities(container.spec, scope.params.get("container-runtime")).capabilities
    user = resolve_user(workload.spec, container.spec, container.norm_path)
    return _LowPorts(start, low, "NET_BIND_SERVICE" in capabilities, user)


def _port_reasons(scope: Scope) -> list[str]:
    """Why each port below the unprivileged-port start is, or is not, a finding."""
    situation = _low_ports(scope)
    start, user = situation.start.value, situation.user
    if not situation.low:
        return [f"no port below {start}: nothing to check"]
    ports = ", ".join(str(port) for port in sorted({m.value for m in situation.low}))
    if not situation.can_bind:
        return [f"ports {ports} < {start} and NET_BIND_SERVICE is not in the capability set: a finding each"]
    if user.kind == ROOT:
        return [f"ports {ports} < {start}: the process is root ({user.note}) and keeps NET_BIND_SERVICE, so it "
                "binds them: no finding"]
    return [f"ports {ports} < {start}: NET_BIND_SERVICE is in the capability set and the user is {user.kind} "
            f"({user.note}); a non-root process holds it only if every binary it execs carries the file "
            "capability cap_net_bind_service, which the manifest cannot show: no finding"]


@fact("container.effective_capabilities", "container", detail=_capability_steps, detail_only=True)
def _effective_capabilities(scope: Scope) -> list[Match]:
    """One match per capability the runtime grants the container; the note says why it is there."""
    runtime = scope.params.get("container-runtime")
    computed = effective_capabilities(scope.container.spec, runtime)
    return [Match(name, scope.container_path(origin.path), origin.reason)
            for name, origin in sorted(computed.capabilities.items())]


@fact("container.listen_addresses", "container")
def _listen_addresses(scope: Scope) -> list[Match]:
    """Listen/bind addresses from args, command and env, sparkConf for a Spark driver or executor, and
    ConfigMaps of the scan the container mounts or takes variables from (located inside the ConfigMap)."""
    matches = [Match(s.value, scope.container_path(s.path), s.origin) for s in listen_addresses(scope.container.spec)]
    workload, container = scope.workload, scope.container
    spark_conf_path = workload.extras.get("sparkConf") if workload else None
    if spark_conf_path and container is not None and container.group == "containers" and container.index == 0:
        spark_conf = scope.resource.obj
        for key in spark_conf_path:
            spark_conf = spark_conf.get(key) if isinstance(spark_conf, dict) else None
        if isinstance(spark_conf, dict):
            for key, value in spark_conf.items():
                role = "executor" if ".executor." in str(key) else "driver"
                if role == workload.role and ADDRESS_NAME.search(str(key)) and isinstance(value, str):
                    matches.append(Match(value, (*spark_conf_path, key), f"sparkConf {key}"))
    if workload is not None and container is not None:
        for found in mounted_addresses(workload, container, scope.context):
            matches.append(Match(found.value, ("data", found.key), found.origin, found.config_map,
                                 found.line_in_value))
    return matches


@fact("pod.ipv6_disabled", "pod")
def _ipv6_disabled(scope: Scope) -> list[Match]:
    """True when IPv6 is disabled for the pod: by --set ipv6=disabled, or a pod sysctl disable_ipv6=1."""
    if scope.params.get("ipv6") == "disabled":
        return [Match(True, None, "IPv6 is declared disabled (--set ipv6=disabled)")]
    assert scope.workload is not None
    for entry in pod_sysctls(scope.workload.pod):
        if entry.name in IPV6_DISABLE_SYSCTLS and entry.value == "1":
            return [Match(True, scope.pod_path(entry.path), f"the pod sets sysctl {entry.name}=1")]
    return [Match(False, None, "")]


@fact("pod.missing_required_sysctls", "pod")
def _missing_required_sysctls(scope: Scope) -> list[Match]:
    """One match per sysctl of the required-sysctls parameter that the pod does not set to its value."""
    workload = scope.workload
    assert workload is not None
    declared = {entry.name: entry for entry in pod_sysctls(workload.pod)}
    misplaced = {}
    for container in workload.containers:
        for entry in container_sysctls(container.spec, container.norm_path):
            misplaced.setdefault(entry.name, (container, entry))
    missing: list[Match] = []
    allowed = [*scope.params.data.get("safe_sysctls", ()), *scope.params.get("allowed-unsafe-sysctls")]
    sysctls_path = scope.pod_path(("spec", "securityContext", "sysctls"))
    where = format_path(sysctls_path)
    for name, wanted in sorted(scope.params.get("required-sysctls").items()):
        entry = declared.get(name)
        if entry is not None and entry.value == wanted:
            continue
        unsafe = ""
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed):
            unsafe = (f" It is not a safe sysctl, so the kubelet admits the pod only where it runs with "
                      f"--allowed-unsafe-sysctls={name} (see unsafe-sysctls).")
        if entry is not None:
            missing.append(Match(name, scope.pod_path(entry.path),
                                 f'sysctl {name} is set to "{entry.value}", not "{wanted}".{unsafe}'))
        elif name in misplaced:
            container, bad = misplaced[name]
            missing.append(Match(name, scope.pod_path(bad.path),
                                 f"sysctl {name} is misplaced under container {container.name!r} securityContext, "
                                 f"where Kubernetes rejects the field; it belongs in {where}.{unsafe}"))
        else:
            missing.append(Match(name, sysctls_path, f'{where} does not set {name}="{wanted}".{unsafe}'))
    return missing


@fact("pod.sysctls", "pod")
def _pod_sysctls(scope: Scope) -> list[Match]:
    """One match per sysctl in the pod's spec.securityContext.sysctls (name normalized); the note says when
    required-sysctls demands it (IPv6 disabled)."""
    assert scope.workload is not None
    required = scope.params.get("required-sysctls") if scope.params.get("ipv6") == "disabled" else {}
    matches = []
    for entry in pod_sysctls(scope.workload.pod):
        note = ""
        if entry.name in required:
            note = "; required-sysctls demands it because IPv6 is disabled, so the nodes must allow it"
        matches.append(Match(entry.name, scope.pod_path(entry.path), note))
    return matches


@fact("pod.unprivileged_port_start", "pod")
def _unprivileged_port_start(scope: Scope) -> list[Match]:
    """The lowest port a process may bind without NET_BIND_SERVICE: the pod's sysctl, else 1024."""
    assert scope.workload is not None
    for entry in pod_sysctls(scope.workload.pod):
        if entry.name == UNPRIVILEGED_PORT_START and entry.value.strip().isdigit():
            return [Match(int(entry.value), scope.pod_path(entry.path),
                          f"the pod sets {UNPRIVILEGED_PORT_START}={entry.value}")]
    return [Match(DEFAULT_UNPRIVILEGED_PORT_START, None, "the kernel default")]


@fact("container.user", "container")
def _user(scope: Scope) -> list[Match]:
    """root, non-root or unknown: runAsUser, then runAsNonRoot, container first, then pod."""
    assert scope.workload is not None and scope.container is not None
    user = resolve_user(scope.workload.spec, scope.container.spec, scope.container.norm_path)
    return [Match(user.kind, scope.pod_path(user.path) if user.path else scope.home, user.note)]


@fact("container.listen_ports", "container")
def _listen_ports(scope: Scope) -> list[Match]:
    """Ports from containerPort, port flags, listen addresses and PORT env variables, each at its entry."""
    return [Match(port.number, scope.container_path(port.path), port.origin)
            for port in listen_ports(scope.container.spec)]


@fact("container.unbindable_ports", "container", detail=_port_reasons)
def _unbindable_ports(scope: Scope) -> list[Match]:
    """Ports below the pod's unprivileged-port start that the process cannot bind, with the cheapest fix.

    Binding such a port needs NET_BIND_SERVICE effective in the process, which is impossible when the
    container's capability set lacks it (for root too). With the capability in the set, root binds, and a
    non-root process depends on its binaries' file capabilities: no finding."""
    situation = _low_ports(scope)
    if not situation.low or situation.can_bind:
        # With the capability, root binds; a non-root process gets it only if every binary it execs carries
        # the file capability (ingress-nginx's do), which the manifest cannot show: no finding either way.
        return []
    workload, user, start_match, low = scope.workload, situation.user, situation.start, situation.low
    assert workload is not None
    start = start_match.value
    why = "NET_BIND_SERVICE is not in its capability set (the kernel checks the capability, for root too)"
    host_network = workload.spec.get("hostNetwork") is True
    version_ok = scope.params.get("k8s.version") >= SAFE_PORT_SYSCTL_SINCE
    found = []
    for match in low:
        port = match.value
        fixes = [f"listen on port {start} or above",
                 "keep NET_BIND_SERVICE and run as root" if user.kind != ROOT else "keep NET_BIND_SERVICE"]
        if host_network:
            fixes[0] += f" (hostNetwork: true rules out the {UNPRIVILEGED_PORT_START} sysctl)"
        elif version_ok:
            fixes.insert(0, f"set the safe sysctl {UNPRIVILEGED_PORT_START}={port} in spec.securityContext.sysctls")
        note = (f"listens on port {port} ({match.note}), below {start} ({start_match.note}), but {why}. "
                f"Cheapest fix: {fixes[0]}; or " + "; or ".join(fixes[1:]))
        found.append(Match(port, match.path, note))
    return found


@fact("pod.selecting_services", "pod")
def _selecting_services(scope: Scope) -> list[Match]:
    """One match per Service of the scan that selects the pod (same namespace, selector within the pod's
    labels). Value: "IPv4-SingleStack" when it sets ipFamilyPolicy SingleStack and ipFamilies [IPv4], else
    "other"; the note names the Service and its families."""
    workload = scope.workload
    assert workload is not None
    labels = workload.pod.get("metadata", {}).get("labels")
    labels = labels if isinstance(labels, dict) else {}
    namespace = scope.resource.namespace
    matches = []
    for service in scope.context.services_selecting(labels, namespace):
        spec = service.obj["spec"]
        policy, families = spec.get("ipFamilyPolicy"), spec.get("ipFamilies")
        value = "IPv4-SingleStack" if policy == "SingleStack" and families == ["IPv4"] else "other"
        shown = "[" + ", ".join(map(str, families)) + "]" if isinstance(families, list) else "unset"
        note = f"Service {service.name}: ipFamilyPolicy {policy or 'unset'}, ipFamilies {shown}"
        matches.append(Match(value, ("spec",), note, service))
    return matches


SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


@fact("pod.container_seccomp_annotations", "pod")
def _container_seccomp_annotations(scope: Scope) -> list[Match]:
    """The deprecated per-container seccomp annotations (container.seccomp.security.alpha.kubernetes.io/NAME)
    of the pod's containers, init and ephemeral containers that have one; located at the annotation."""
    workload = scope.workload
    assert workload is not None
    annotations = workload.pod.get("metadata", {}).get("annotations")
    if not isinstance(annotations, dict):
        return []
    matches = []
    for container in workload.containers:
        key = SECCOMP_CONTAINER_ANNOTATION + container.name
        if isinstance(annotations.get(key), str):
            matches.append(Match(annotations[key], scope.pod_path(("metadata", "annotations", key))))
    return matches
