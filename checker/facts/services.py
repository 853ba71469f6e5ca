"""Service facts: the Services of the scan that select a pod, with their IP families."""

from __future__ import annotations

from .registry import fact
from .scope import Match, Scope


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
