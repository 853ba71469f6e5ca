"""The cross-resource index of one scan: lets facts look up other objects of the same scan (ConfigMaps a
pod mounts, Services that select it) by kind, namespace and name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .resources import Resource


@dataclass
class ScanContext:
    by_kind: dict[str, list[Resource]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[tuple[str, str], list[Resource]] = field(default_factory=lambda: defaultdict(list))
    services_by_label: dict[tuple[str, str], list[Resource]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, resources: list[Resource]) -> ScanContext:
        context = cls()
        for resource in resources:
            context.by_kind[resource.kind].append(resource)
            if resource.name is not None:
                context.by_name[(resource.kind, resource.name)].append(resource)
            selector = _service_selector(resource)
            if selector:
                context.services_by_label[min(selector.items())].append(resource)
        return context

    def find(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        """The object of that kind and name in the namespace; an object or a workload without a namespace
        (a manifest applied with -n) matches any namespace."""
        for resource in self.by_name.get((kind, name), ()):
            if resource.namespace is None or namespace is None or resource.namespace == namespace:
                return resource
        return None

    def services_selecting(self, labels: dict[str, str], namespace: str | None) -> list[Resource]:
        """v1 Services whose selector is non-empty and within the labels (same namespace, or either has
        none), in scan order."""
        candidates: dict[int, Resource] = {}
        for pair in labels.items():
            if not isinstance(pair[1], str | int | float | bool):
                continue
            for service in self.services_by_label.get(pair, ()):
                candidates[id(service)] = service
        found = []
        for service in candidates.values():
            if namespace and service.namespace and service.namespace != namespace:
                continue
            if all(labels.get(k) == v for k, v in _service_selector(service).items()):
                found.append(service)
        order = {id(r): i for i, r in enumerate(self.by_kind.get("Service", []))} if len(found) > 1 else {}
        return sorted(found, key=lambda r: order[id(r)]) if order else found


def _service_selector(resource: Resource) -> dict[str, str]:
    if resource.kind != "Service" or resource.api_version != "v1":
        return {}
    spec = resource.obj.get("spec")
    selector = spec.get("selector") if isinstance(spec, dict) else None
    if not isinstance(selector, dict):
        return {}
    try:
        return {str(k): v for k, v in selector.items() if isinstance(v, str | int | float | bool)}
    except TypeError:
        return {}
