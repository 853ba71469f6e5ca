"""The cross-resource index of one scan: lets facts look up other objects of the same scan (ConfigMaps a
pod mounts, Services that select it) by kind, namespace and name, and keeps what they derive per scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, TypeVar

from ..inputs.resources import Resource

T = TypeVar("T")
# The kinds facts look up through a ScanContext (facts/services.py, facts/service_accounts.py,
# semantics/mounted_config.py): a streamed scan (checker/scanning.py) indexes these across its inputs.
RELATED_KINDS = frozenset({"ConfigMap", "Service", "ServiceAccount"})
LabelValue = str | int | float | bool  # the label and selector values a Service match compares


@dataclass
class ScanContext:
    by_kind: dict[str, list[Resource]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[tuple[str, str], list[Resource]] = field(default_factory=lambda: defaultdict(list))
    services_by_label: dict[tuple[str, LabelValue], list[Resource]] = field(default_factory=lambda: defaultdict(list))
    # per-scan cache, see cached(): key -> (value, the arguments it was computed from)
    derived: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = field(default_factory=dict)

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

    def find(self, kind: str, namespace: str | None, name: str, near: Resource | None = None) -> Resource | None:
        """The object of that kind and name that a workload in the namespace sees (see same_namespace). Of
        several, the one written closest to ``near`` (the same file, else the deepest common directory),
        and of those the last, as the last one applied wins."""
        found = same_namespace(self.by_name.get((kind, name), ()), namespace)
        if len(found) < 2 or near is None:
            return found[-1] if found else None
        return max(enumerate(found), key=lambda pair: (_closeness(pair[1], near), pair[0]))[1]

    def services_selecting(self, labels: dict[Any, Any], namespace: str | None) -> list[Resource]:
        """v1 Services whose selector is non-empty and within the labels, in the namespace the way find()
        sees it, in scan order."""
        candidates: dict[int, Resource] = {}
        for pair in labels.items():
            if not isinstance(pair[1], str | int | float | bool):
                continue
            for service in self.services_by_label.get(pair, ()):
                candidates[id(service)] = service
        selecting = [
            service
            for service in candidates.values()
            if all(labels.get(k) == v for k, v in _service_selector(service).items())
        ]
        found = same_namespace(selecting, namespace)
        order = {id(r): i for i, r in enumerate(self.by_kind.get("Service", []))} if len(found) > 1 else {}
        return sorted(found, key=lambda r: order[id(r)]) if order else found

    def cached(self, key: tuple[Any, ...], compute: Callable[..., T], *args: Any) -> T:
        """compute(*args) once per scan for the key (derived data of a resource, such as what a ConfigMap's
        data says); later calls return the same value. The arguments are kept for the scan, so a key that
        holds id() of one (a container a pod view built) cannot be taken over by another object at the
        same address once the first is gone."""
        if key not in self.derived:
            self.derived[key] = (compute(*args), args)
        value: T = self.derived[key][0]  # what compute returned for this key
        return value


def same_namespace(candidates: Iterable[Resource], namespace: str | None) -> list[Resource]:
    """The candidates a workload in the namespace (None: the manifest names none) sees, in their order.

    An object in the same namespace wins, and two objects without a namespace count as the same namespace
    (both land where they are applied). Failing that, an object without a namespace matches any workload,
    and a workload without one matches objects of a single named namespace (applied with -n there); objects
    of several named namespaces leave that workload ambiguous, so it sees none. Two different named
    namespaces never match."""
    candidates = list(candidates)
    exact = [r for r in candidates if r.namespace == namespace]
    if exact:
        return exact
    if namespace is not None:
        return [r for r in candidates if r.namespace is None]
    return candidates if len({r.namespace for r in candidates}) == 1 else []


def _closeness(candidate: Resource, near: Resource) -> int:
    """How near two objects are written: the directories their files share, plus one for the same file."""
    here, there = PurePath(near.document.source.name), PurePath(candidate.document.source.name)
    if here == there:
        return len(here.parts) + 1
    shared = 0
    for mine, theirs in zip(here.parent.parts, there.parent.parts, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def _service_selector(resource: Resource) -> dict[str, LabelValue]:
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
