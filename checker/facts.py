"""Named facts that rules read (``fact: container.effective_capabilities``): derived values with the place
that produced each one. Kubernetes and runtime semantics live here and in the modules these call.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .capabilities import CAPABILITIES, Origin, effective_capabilities
from .findings import format_path
from .identity import ROOT, UNKNOWN, User, resolve_user
from .listen import ignored_entries, is_address_name, listen_addresses, split_addresses
from .mounted_config import mounted_addresses
from .ports import Port, listen_ports, specific_ipv6
from .scope import Match, Scope
from .sysctls import container_sysctls, pod_sysctls
from .workloads import value_at

IPV6_DISABLE_SYSCTLS = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")
UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start"
DEFAULT_UNPRIVILEGED_PORT_START = 1024
SAFE_PORT_SYSCTL_SINCE = (1, 22)  # the kubelet treats ip_unprivileged_port_start as safe from v1.22
IPC_SYSCTL_PATTERN = r"^(?:kernel\.shm|kernel\.msg|kernel\.sem$|fs\.mqueue\.)"  # data.yaml's ipc_sysctl_pattern
# sparkConf keys of the executor: spark.executor.*, spark.executorEnv.*, spark.kubernetes.executor.*
SPARK_EXECUTOR_KEY = re.compile(r"(?:^|\.)executor(?:Env)?\.")


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
    low = [m for m in _listen_ports(scope) if m.value < start.value]
    capability = effective_capabilities(container.spec, runtime).capabilities.get("NET_BIND_SERVICE")
    user = resolve_user(workload.spec, container.spec, container.norm_path)
    # The sysctl is pod-wide: one value, low enough for every port that a container of the pod cannot bind.
    failing = [port for each in workload.containers
               for port in _failing_ports(workload, each, runtime, start.value, scope)]
    return _LowPorts(start, low, user, capability, _standing(user, capability, container.spec),
                     min(failing, default=start.value), _prefixed_add(container.spec, runtime))


def _failing_ports(workload: Any, container: Any, runtime: str, start: int, scope: Scope) -> list[int]:
    """The ports below ``start`` that the container's process cannot bind (MISSING or NOT_EFFECTIVE)."""
    low = [port.number for port in _ports_of(scope, container.spec) if port.number < start]
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
    return (f"; capabilities.add[{situation.prefixed_add}] CAP_NET_BIND_SERVICE is a no-op, because containerd "
            "adds the CAP_ prefix again (write NET_BIND_SERVICE)")


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
        return [f"{ports} and NET_BIND_SERVICE is not in the capability set (the kernel checks it, for root too)"
                f"{_prefixed_note(situation)}: a finding each"]
    if situation.standing == ROOT_BINDS:
        return [f"{ports}: the process is root ({user.note}) and keeps NET_BIND_SERVICE, so it binds them: "
                "no finding"]
    if situation.standing == ADDED:
        return [f"{ports}: the process runs as non-root ({user.note}) and capabilities.add names NET_BIND_SERVICE; "
                "a non-root process has no effective capabilities after exec, so this works only through "
                f"{FILE_CAPABILITY} on every binary it execs (as ingress-nginx's nginx carries it); the explicit add "
                "states that plan, which the manifest cannot show: no finding"]
    if situation.standing == IMAGE_DECIDES:
        return [f"{ports}: NET_BIND_SERVICE is in the capability set ({capability.reason}) and {user.note}: a "
                f"root USER binds them, a non-root one only through {FILE_CAPABILITY} on its binary; the "
                "manifest cannot show either: no finding"]
    return [f"{ports}: the process runs as non-root ({user.note}) and NET_BIND_SERVICE is in the set only "
            f"{_capability_source(capability)}; a non-root process has no effective capabilities, so it binds "
            f"them only if its binary carries {FILE_CAPABILITY}{_prefixed_note(situation)}: a finding each (add "
            "NET_BIND_SERVICE to capabilities.add to state that plan)"]


@fact("container.effective_capabilities", "container", detail=_capability_steps, detail_only=True)
def _effective_capabilities(scope: Scope) -> list[Match]:
    """One match per capability the runtime grants the container; the note says why it is there."""
    runtime = scope.params.get("container-runtime")
    computed = effective_capabilities(scope.container.spec, runtime)
    return [Match(name, scope.container_path(origin.path), origin.reason)
            for name, origin in sorted(computed.capabilities.items())]


def _ignored_entries(scope: Scope) -> list[str]:
    assert scope.container is not None
    return ignored_entries(scope.container.spec)


@fact("container.listen_addresses", "container", detail=_ignored_entries)
def _listen_addresses(scope: Scope) -> list[Match]:
    """Listen/bind addresses from args, command and env; for a Spark driver or executor also its envVars map
    and sparkConf (bindAddress settings and driverEnv/executorEnv variables; spark.driver.host is the host
    others connect to); and ConfigMaps of the scan the container mounts or takes variables from (located
    inside the ConfigMap). A comma-separated value is one address per element."""
    matches = [Match(s.value, scope.container_path(s.path), s.origin, None, s.line_in_value, s.column_in_value)
               for s in listen_addresses(scope.container.spec)]
    workload, container = scope.workload, scope.container
    spark_conf_path = workload.extras.get("sparkConf") if workload else None
    if spark_conf_path and container is not None and container.group == "containers" and container.index == 0:
        matches += _spark_env_vars(scope)
        spark_conf = value_at(scope.resource.obj, spark_conf_path)
        if isinstance(spark_conf, dict):
            for key, value in spark_conf.items():
                role = "executor" if SPARK_EXECUTOR_KEY.search(str(key)) else "driver"
                if role == workload.role and is_address_name(str(key)) and isinstance(value, str):
                    matches += [Match(address, (*spark_conf_path, key), f"sparkConf {key}")
                                for address in split_addresses(value)]
    if workload is not None and container is not None:
        for found in mounted_addresses(workload, container, scope.context):
            matches.append(Match(found.value, ("data", found.key), found.origin, found.config_map,
                                 found.line_in_value, found.column_in_value))
    return matches


@fact("container.ipv6_address_binds", "container")
def _ipv6_address_binds(scope: Scope) -> list[Match]:
    """The listen addresses (see container.listen_addresses) that are one specific IPv6 address: ::1,
    [::1]:9090, fd00::1, [fe80::1%eth0]:80; not the all-zero wildcard, IPv4, IPv4-mapped or host names."""
    return [match for match in _fact_of(scope, "container.listen_addresses")
            if isinstance(match.value, str) and specific_ipv6(match.value)]


def _fact_of(scope: Scope, name: str) -> list[Match]:
    """A fact's matches for the scope, computed once per scope."""
    if name not in scope.facts:
        scope.facts[name] = FACTS[name].compute(scope)
    return scope.facts[name]


def _spark_env_vars(scope: Scope) -> list[Match]:
    """The deprecated ``envVars`` map (NAME: value) of a SparkApplication driver or executor, read like env.
    The role's fields sit where the normalized main container maps to, so its real path is found there."""
    path = scope.container_path(("envVars",))
    env_vars = value_at(scope.resource.obj, path)
    if not isinstance(env_vars, dict):
        return []
    return [Match(address, (*path, name), f"envVars {name}")
            for name, value in env_vars.items()
            if is_address_name(str(name)) and isinstance(value, str | int) and not isinstance(value, bool)
            for address in split_addresses(str(value))]


DECLARED, SYSCTL, DEFAULT_SYSCTL = "declared", "sysctl", "default-sysctl"


@fact("pod.ipv6_disabled", "pod")
def _ipv6_disabled(scope: Scope) -> list[Match]:
    """True when IPv6 is disabled for the pod: by --set ipv6=disabled, or a pod sysctl disable_ipv6=1 (not
    with hostNetwork: true, where Kubernetes rejects the sysctl and the node's setting applies)."""
    found = _ipv6_disabled_by(scope)
    if found:
        return [Match(True, found[0].path, found[0].note)]
    assert scope.workload is not None
    for entry in pod_sysctls(scope.workload.pod):
        if entry.name in IPV6_DISABLE_SYSCTLS and entry.value == "1":
            exempt = _host_namespace(scope, entry.name)
            return [Match(False, scope.pod_path(entry.path), f"the pod sets sysctl {entry.name}=1, but with "
                          f"{exempt}; declare a node without IPv6 with --set ipv6=disabled")]
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
        if entry is not None and entry.value == "1" and not _host_namespace(scope, name):
            return [Match(kind, scope.pod_path(entry.path), f"the pod sets sysctl {name}=1")]
    return []


def _host_namespace(scope: Scope, name: str) -> str:
    """Why the pod cannot have its own value of sysctl ``name`` (it shares the node's namespace), or ""."""
    assert scope.workload is not None
    spec = scope.workload.spec
    if spec.get("hostNetwork") is True and name.startswith("net."):
        return ("hostNetwork: true the pod shares the node's network namespace: Kubernetes rejects its net.* "
                "sysctls and the node's own setting applies")
    ipc = scope.params.data.get("ipc_sysctl_pattern", IPC_SYSCTL_PATTERN)
    if spec.get("hostIPC") is True and re.search(ipc, name):
        return ("hostIPC: true the pod shares the node's IPC namespace: Kubernetes rejects its IPC sysctls "
                "and the node's own setting applies")
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
        exempt = _host_namespace(scope, name)
        if exempt:
            also = " (the pod sets it anyway, which Kubernetes rejects: see unsafe-sysctls)" if entry else ""
            found.append(_Required(name, wanted, None, f"not demanded: with {exempt}{also}"))
            continue
        if entry is not None and entry.value == wanted:
            found.append(_Required(name, wanted, None, f"set in {where}: no finding"))
            continue
        unsafe = ""
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed):
            unsafe = (f" It is not a safe sysctl, so the kubelet admits the pod only where it runs with "
                      f"--allowed-unsafe-sysctls={name} (see unsafe-sysctls).")
        if name.startswith("net.ipv6."):
            unsafe += (" Nodes booted with ipv6.disable=1 lack it, and the pod fails to start there (scan for them "
                       "with --set required-sysctls=).")
        if entry is not None:
            match = Match(name, scope.pod_path(entry.path),
                          f'sysctl {name} is set to "{entry.value}", not "{wanted}".{unsafe}')
        elif name in misplaced:
            container, bad = misplaced[name]
            match = Match(name, scope.pod_path(bad.path),
                          f"sysctl {name} is misplaced under container {container.name!r} securityContext, "
                          f"where Kubernetes rejects the field; it belongs in {where}.{unsafe}")
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
        if entry.name in required and not _host_namespace(scope, entry.name):
            note = "; required-sysctls demands it because IPv6 is disabled, so the nodes must allow it"
        matches.append(Match(entry.name, scope.pod_path(entry.path), note))
    return matches


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
                return [Match(DEFAULT_UNPRIVILEGED_PORT_START, scope.pod_path(entry.path),
                              f"the kernel default; the pod's {UNPRIVILEGED_PORT_START}={entry.value.strip()} does "
                              "not count: with hostNetwork: true Kubernetes rejects net.* sysctls")]
            return [Match(int(entry.value), scope.pod_path(entry.path),
                          f"the pod sets {UNPRIVILEGED_PORT_START}={entry.value}")]
    if host_network:
        return [Match(DEFAULT_UNPRIVILEGED_PORT_START, None, "the kernel default; with hostNetwork: true the "
                      "node's own setting applies")]
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
    return [Match(port.number, scope.container_path(port.path), port.origin, None, port.line_in_value,
                  port.column_in_value)
            for port in _ports_of(scope, scope.container.spec)]


def _ports_of(scope: Scope, container: dict[str, Any]) -> list[Port]:
    """listen_ports of a container spec, worked out once per scan (each container of a pod needs all of them)."""
    return scope.context.cached(("listen-ports", id(container)), listen_ports, container)


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
        why = (f"it runs as non-root ({user.note}): a non-root process has no effective capabilities, and "
               f"NET_BIND_SERVICE {_capability_source(situation.capability)} does not help it unless its binary "
               f"carries {FILE_CAPABILITY}")
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
                sysctl += f" (port {value} is the lowest below {start} that the pod's containers cannot bind, " \
                          "and the sysctl is pod-wide)"
            fixes.insert(0, sysctl)
        fixes.append(_capability_fix(situation))
        note = (f"listens on port {port} ({match.note}), below {start} ({start_match.note}), but {why}. "
                f"Cheapest fix: {fixes[0]}; or " + "; or ".join(fixes[1:]))
        found.append(Match(port, match.path, note, None, match.line_in_value, match.column_in_value))
    return found


def _capability_fix(situation: _LowPorts) -> str:
    """The last resort: keep the capability (root) or state the file-capability plan (non-root); either keeps
    NET_BIND_SERVICE in the set, which drop-net-bind-service reports."""
    if situation.prefixed_add is not None:
        plan = f" for a binary that carries {FILE_CAPABILITY}" if situation.user.kind != ROOT else ""
        return f"write NET_BIND_SERVICE in capabilities.add{plan}, {DROP_RULE_TRADE_OFF}"
    if situation.capability is not None:
        return (f"run as root, or name NET_BIND_SERVICE in capabilities.add for a binary that carries "
                f"{FILE_CAPABILITY}; either keeps the capability, {DROP_RULE_TRADE_OFF}")
    if situation.user.kind == ROOT:
        return f"keep NET_BIND_SERVICE, {DROP_RULE_TRADE_OFF}"
    return f"keep NET_BIND_SERVICE and run as root, {DROP_RULE_TRADE_OFF}"


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
