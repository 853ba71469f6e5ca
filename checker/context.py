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

    @classmethod
    def of(cls, resources: list[Resource]) -> ScanContext:
        context = cls()
        for resource in resources:
            context.by_kind[resource.kind].append(resource)
            if resource.name is not None:
                context.by_name[(resource.kind, resource.name)].append(resource)
        return context

    def find(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        """The object of that kind and name in the namespace; an object or a workload without a namespace
        (a manifest applied with -n) matches any namespace."""
        for resource in self.by_name.get((kind, name), ()):
            if resource.namespace is None or namespace is None or resource.namespace == namespace:
                return resource
        return None

    def of_kind(self, kind: str) -> list[Resource]:
        return self.by_kind.get(kind, [])
