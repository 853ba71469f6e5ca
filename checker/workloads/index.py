"""The cross-resource index of one scan: lets facts and rules look up other objects of the same scan (the
ConfigMaps a pod mounts, the Services or PodDisruptionBudgets that select it, the pod templates a Service
selects, the NetworkPolicies of a namespace) by kind, namespace and name or by labels, and keeps what they
derive per scan.

Indexes are built lazily, once per scan and kind, and only for the kinds the plan looks up (``kinds``, the
plan's related_kinds; None allows any kind): a lookup of another kind is a programming error (LookupError).
The kind token ``workload`` stands for every object with a pod template. Every lookup answers in scan order,
so a streamed scan that indexes the same objects in the same order answers the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Protocol, TypeVar

from ..inputs.paths import Path
from ..inputs.resources import Resource
from .pods import value_at
from .registry import workloads_of
from .selectors import ANY, Selector, controller_labels, label_text, labels_of, parse_selector

T = TypeVar("T")
LabelValue = str | int | float | bool  # the label and selector values a Service match compares
WORKLOAD = "workload"  # the kind token of every object with a pod template
SERVICE_SELECTOR: Path = ("spec", "selector")
FACT_KINDS = frozenset({"ConfigMap", "Service", "ServiceAccount"})  # the kinds facts look up: a fact that looks up
# another kind must add it here (Plan.related_kinds includes these; the index refuses kinds outside it)


@dataclass
class KindIndex:
    """The objects of one kind (or of the ``workload`` token) in scan order, by name and by namespace: each
    by its slot, its place in the scan's objects (ScanContext.resources)."""

    objects: list[int] = field(default_factory=list)
    by_name: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_namespace: dict[str | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_namespaced_name: dict[tuple[str | None, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, slot: int, resource: Resource) -> None:
        self.objects.append(slot)
        if resource.name is not None:
            self.by_name[resource.name].append(slot)
            self.by_namespaced_name[(resource.namespace, resource.name)].append(slot)
        self.by_namespace[resource.namespace].append(slot)


EVERYWHERE = "*"  # the namespace key of a LabelIndex that holds every namespace's entries (no namespace has a "*")
Entry = tuple[int, Any]  # an object's slot and its selector (or its pod templates' labels)


@dataclass
class LabelIndex:
    """Objects by namespace and one label pair each could need (of a selector, or of a pod template's
    labels), and by namespace alone (selectors no pair narrows; every pod template); each also under the
    namespace key EVERYWHERE, for a target without a namespace (see same_namespace)."""

    by_pair: dict[tuple[str | None, str, str], list[Entry]] = field(default_factory=lambda: defaultdict(list))
    by_namespace: dict[str | None, list[Entry]] = field(default_factory=lambda: defaultdict(list))

    def add_pair(self, namespace: str | None, entry: Entry, pair: tuple[str, str]) -> None:
        for key in (namespace, EVERYWHERE):
            self.by_pair[(key, *pair)].append(entry)

    def add(self, namespace: str | None, entry: Entry) -> None:
        for key in (namespace, EVERYWHERE):
            self.by_namespace[key].append(entry)


class Stored(Protocol):
    """Objects of a scan kept other than as a list (workloads/packed.py): each made when read."""

    def __len__(self) -> int: ...

    def made(self, slot: int, made: dict[Any, Any]) -> Resource: ...


@dataclass
class ScanContext:
    """The scan's objects (a list, or Stored: packed, each made when read) and their indexes, which hold
    slots (places in that order); lookups answer with the objects, in scan order. Objects made from a
    Stored are kept for the context's life, so a lookup gives the same object each time."""

    resources: list[Resource] | Stored = field(default_factory=list)
    kinds: frozenset[str] | None = None  # the kinds lookups may use (None: any)
    # per-scan cache, see cached(): key -> (value, the arguments it was computed from)
    derived: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = field(default_factory=dict)
    examined: int = 0  # candidates the label lookups looked at: what a cost test counts
    _grouped: dict[str, list[int]] | None = field(default=None, repr=False)
    _indexes: dict[str, KindIndex] = field(default_factory=dict, repr=False)
    _label_indexes: dict[tuple[str, Path], LabelIndex] = field(default_factory=dict, repr=False)
    _pod_labels: LabelIndex | None = field(default=None, repr=False)
    _homes: dict[int, list[str | None]] | None = field(default=None, repr=False)
    _made: dict[Any, Any] = field(default_factory=dict, repr=False)  # what this context made of Stored objects

    @classmethod
    def of(cls, resources: list[Resource], kinds: frozenset[str] | None = None) -> ScanContext:
        return cls(list(resources), kinds)

    def sharing_indexes(self) -> ScanContext:
        """A context over the same objects whose indexes (built by either, on first use) are shared with this
        one, with its own per-scan cache: what a streamed scan gives each input, so an input's derived data
        goes with it."""
        return ScanContext(
            self.resources,
            self.kinds,
            _grouped=self._grouped_slots(),
            _indexes=self._indexes,
            _label_indexes=self._label_indexes,
        )

    def build_indexes(self) -> None:
        """Build now what lookups would build on first use: the index of every kind the plan looks up and
        the Services' selector index. A streamed scan builds them once, before it forks its workers, which
        then share them (built in each worker, they were a private copy per worker: about 2 MB per copy of
        the corpus each)."""
        for kind in sorted(self.kinds or ()):
            if kind != WORKLOAD:
                self.index(kind)
        if self.kinds is None or "Service" in self.kinds:
            self._label_index("Service", SERVICE_SELECTOR)
        self._grouped_slots()

    def resource(self, slot: int) -> Resource:
        """The object in a slot (made from its record the first time this context reads a Stored one)."""
        if isinstance(self.resources, list):
            return self.resources[slot]
        found: Resource | None = self._made.get(slot)
        if found is None:
            found = self._made[slot] = self.resources.made(slot, self._made)
        return found

    def _read(self, slot: int) -> Resource:
        """The object in a slot, to index it: one made of a Stored record is not kept (indexes keep slots)."""
        if isinstance(self.resources, list):
            return self.resources[slot]
        return self.resources.made(slot, {})

    def _grouped_slots(self) -> dict[str, list[int]]:
        if self._grouped is None:
            self._grouped = defaultdict(list)
            for slot in range(len(self.resources)):
                self._grouped[self._read(slot).kind].append(slot)
        return self._grouped

    def index(self, kind: str) -> KindIndex:
        """The index of one kind (or of ``workload``), built on first use."""
        found = self._indexes.get(kind)
        if found is not None:
            return found
        if self.kinds is not None and kind not in self.kinds:
            raise LookupError(f"kind {kind} is not among the kinds this plan looks up")
        found = KindIndex()
        if kind == WORKLOAD:
            members: Iterable[int] = (s for s in range(len(self.resources)) if workloads_of(self._read(s)))
        else:
            members = self._grouped_slots().get(kind, ())
        for slot in members:
            found.add(slot, self._read(slot))
        self._indexes[kind] = found
        return found

    def find(self, kind: str, namespace: str | None, name: str, near: Resource | None = None) -> Resource | None:
        """The object of that kind and name that a workload in the namespace sees (see same_namespace). Of
        several, the one written closest to ``near`` (the same file, else the deepest common directory),
        and of those the last, as the last one applied wins."""
        index = self.index(kind)
        slots = index.by_namespaced_name.get((namespace, name)) or []  # same_namespace(), by index lookups
        if not slots and namespace is not None:
            slots = index.by_namespaced_name.get((None, name)) or []
        if not slots and namespace is None:
            found = same_namespace(self._made_all(index.by_name.get(name, ())), None)
        elif len(slots) < 2 or near is None:
            return self.resource(slots[-1]) if slots else None
        else:
            found = self._made_all(slots)
        if len(found) < 2 or near is None:
            return found[-1] if found else None
        return max(enumerate(found), key=lambda pair: (_closeness(pair[1], near), pair[0]))[1]

    def in_namespace(self, kind: str, namespace: str | None) -> list[Resource]:
        """Every object of the kind that a workload in the namespace sees (see same_namespace), in scan order."""
        by_namespace = self.index(kind).by_namespace
        exact = by_namespace.get(namespace)
        if exact:
            return self._made_all(exact)
        if namespace is not None:
            return self._made_all(by_namespace.get(None, ()))
        named = [slots for slots in by_namespace.values() if slots]
        return self._made_all(named[0]) if len(named) == 1 else []

    def services_selecting(self, labels: dict[Any, Any], namespace: str | None) -> list[Resource]:
        """v1 Services whose selector is non-empty and within the labels, in the namespace the way find()
        sees it, in scan order."""
        return self.selecting("Service", SERVICE_SELECTOR, labels, namespace)

    def selecting(self, kind: str, at: Path, labels: dict[Any, Any], namespace: str | None) -> list[Resource]:
        """Objects of the kind whose selector (at the path in them) selects the labels, in the namespace the
        way find() sees it, in scan order. Services count with a non-empty selector and apiVersion v1 only
        (a Service without one selects no pod)."""
        index = self._label_index(kind, at)
        if not index.by_pair and not index.by_namespace:
            return []  # none of the kind in the scan (a review's object alone, a tree without Services)
        text = {str(k): v for k, v in ((k, label_text(v)) for k, v in labels.items()) if v is not None}
        found = self._matching(index, namespace, list(text.items()), True, lambda s: bool(s.matches(text)))
        return self._made_all(sorted(found))

    def selected_pods(self, selector: Selector, namespace: str | None, kinds: Iterable[str] = ()) -> list[Resource]:
        """The objects with a pod template (of the kinds, when named) whose pod labels the selector selects,
        in the namespace the way find() sees it, in scan order."""
        keys = selector.index_keys()
        keys += [(key, ANY) for key, _ in keys]  # or the label a controller sets to any value
        wanted = set(kinds)

        def selected(every: list[dict[str, str]]) -> bool:
            return any(selector.matches(labels) for labels in every)

        found = self._made_all(sorted(self._matching(self._pod_label_index(), namespace, keys, not keys, selected)))
        return [r for r in found if not wanted or r.kind in wanted]

    def _made_all(self, slots: Iterable[int]) -> list[Resource]:
        return [self.resource(slot) for slot in slots]

    def _matching(
        self,
        index: LabelIndex,
        namespace: str | None,
        pairs: list[tuple[str, str]],
        whole_namespace: bool,
        test: Callable[[Any], bool],
    ) -> list[int]:
        """The slots of the entries that pass the test, found the way same_namespace() sees them: those of
        the namespace, else those without one, else (for a target without one) those of a single named
        namespace. Only the entries of one namespace and the pairs (and with ``whole_namespace``, the
        namespace's unindexed entries) are examined, so a lookup costs what it finds, not the size of the
        scan."""

        def passing(key: str | None) -> list[int]:
            candidates: dict[int, Any] = {}
            for pair in pairs:
                for slot, data in index.by_pair.get((key, *pair), ()):
                    candidates[slot] = data
            if whole_namespace:
                for slot, data in index.by_namespace.get(key, ()):
                    candidates[slot] = data
            self.examined += len(candidates)
            return [slot for slot, data in candidates.items() if test(data)]

        found = passing(namespace)
        if found:
            return found
        if namespace is not None:
            return passing(None)
        everywhere = passing(EVERYWHERE)
        return everywhere if len({self.resource(slot).namespace for slot in everywhere}) == 1 else []

    def namespace_homes(self) -> dict[int, list[str | None]]:
        """The namespaces of the scan's workloads (those without one make one namespace of their own, None),
        keyed by id() of their home: the Namespace object when the scan holds one, else the namespace's first
        workload. A Namespace object without workloads of its own is no such namespace (the workloads
        without a namespace are judged once, in theirs, not once per Namespace object)."""
        if self._homes is not None:
            return self._homes
        named: dict[str, Resource] = {}
        for namespace in self._made_all(self.index("Namespace").objects):
            if namespace.api_version == "v1" and namespace.name is not None:
                named.setdefault(namespace.name, namespace)
        homes: dict[str | None, Resource] = {}
        for workload in self._made_all(self.index(WORKLOAD).objects):
            if workload.namespace not in homes:
                found = named.get(workload.namespace) if workload.namespace is not None else None
                homes[workload.namespace] = found or workload
        self._homes = defaultdict(list)
        for name, home in homes.items():
            self._homes[id(home)].append(name)
        return self._homes

    def cached(self, key: tuple[Any, ...], compute: Callable[..., T], *args: Any) -> T:
        """compute(*args) once per scan for the key (derived data of a resource, such as what a ConfigMap's
        data says); later calls return the same value. The arguments are kept for the scan, so a key that
        holds id() of one (a container a pod view built) cannot be taken over by another object at the
        same address once the first is gone."""
        if key not in self.derived:
            self.derived[key] = (compute(*args), args)
        value: T = self.derived[key][0]  # what compute returned for this key
        return value

    def _label_index(self, kind: str, at: Path) -> LabelIndex:
        found = self._label_indexes.get((kind, at))
        if found is not None:
            return found
        found = LabelIndex()
        for slot in self.index(kind).objects:
            resource = self._read(slot)
            if kind == "Service" and not _service_selector(resource):
                continue
            selector = parse_selector(value_at(resource.obj, at))
            if not selector.valid:
                continue
            keys = selector.index_keys()
            for key in keys:  # an object needs one of the pairs: indexed under each (an In has several)
                found.add_pair(resource.namespace, (slot, selector), key)
            if not keys:
                found.add(resource.namespace, (slot, selector))
        self._label_indexes[(kind, at)] = found
        return found

    def _pod_label_index(self) -> LabelIndex:
        if self._pod_labels is not None:
            return self._pod_labels
        found = LabelIndex()
        for slot in self.index(WORKLOAD).objects:
            resource = self._read(slot)
            added = controller_labels(resource.api_version, resource.kind, resource.name)
            every = [added | labels_of(workload.pod.get("metadata")) for workload in workloads_of(resource)]
            found.add(resource.namespace, (slot, every))
            for pair in dict.fromkeys(pair for labels in every for pair in labels.items()):
                found.add_pair(resource.namespace, (slot, every), pair)
        self._pod_labels = found
        return found


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
