"""Named facts that rules read (``fact: container.effective_capabilities``): derived values with the place
that produced each one. Kubernetes and runtime semantics live here and in the modules these call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .capabilities import effective_capabilities
from .listen import ADDRESS_NAME, listen_addresses
from .scope import Match, Scope
from .sysctls import container_sysctls, pod_sysctls

IPV6_DISABLE_SYSCTLS = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")


@dataclass(frozen=True)
class Fact:
    name: str
    scope: str  # the narrowest scope the fact needs: resource, pod or container
    compute: Callable[[Scope], list[Match]]
    doc: str


FACTS: dict[str, Fact] = {}


def fact(name: str, scope: str) -> Callable[[Callable[[Scope], list[Match]]], Callable[[Scope], list[Match]]]:
    def register(function: Callable[[Scope], list[Match]]) -> Callable[[Scope], list[Match]]:
        FACTS[name] = Fact(name, scope, function, (function.__doc__ or "").strip())
        return function

    return register


@fact("container.effective_capabilities", "container")
def _effective_capabilities(scope: Scope) -> list[Match]:
    """One match per capability the runtime grants the container; the note says why it is there."""
    runtime = scope.params.get("container-runtime")
    computed = effective_capabilities(scope.target, runtime)
    return [Match(name, scope.target_path(origin.path), origin.reason)
            for name, origin in sorted(computed.capabilities.items())]


@fact("container.listen_addresses", "container")
def _listen_addresses(scope: Scope) -> list[Match]:
    """Listen/bind addresses from args, command and env (and sparkConf for a Spark driver or executor)."""
    matches = [Match(s.value, scope.target_path(s.path), s.origin) for s in listen_addresses(scope.target)]
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
    return [Match(False, None, "IPv6 is not known to be disabled")]


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
    for name, wanted in sorted(scope.params.get("required-sysctls").items()):
        entry = declared.get(name)
        if entry is not None and entry.value == wanted:
            continue
        if entry is not None:
            missing.append(Match(name, scope.pod_path(entry.path),
                                 f"sysctl {name} is set to {entry.value!r}, not {wanted!r}"))
        elif name in misplaced:
            container, bad = misplaced[name]
            missing.append(Match(name, scope.pod_path(bad.path),
                                 f"sysctl {name} is misplaced under container {container.name!r} securityContext, "
                                 "where Kubernetes rejects the field; it belongs in the pod's "
                                 "spec.securityContext.sysctls"))
        else:
            missing.append(Match(name, scope.pod_path(("spec", "securityContext", "sysctls")),
                                 f"spec.securityContext.sysctls does not set {name}={wanted!r}"))
    return missing
