"""The normalized pod view of a workload (Workload) and its containers (Container): a Pod-shaped
{metadata, spec} with a mapping from each normalized path back to the real path inside the object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..inputs.paths import Path
from ..inputs.resources import Resource

CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")


@dataclass
class Container:
    """One container of a workload, with its group (containers, initContainers, ...) and index. It does not
    point back at its workload (the scope holds both): a back-reference made every workload and its parsed
    object a reference cycle, freed only by a full garbage collection instead of when its input is done."""

    group: str
    index: int
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        name = self.spec.get("name")
        return str(name) if name else f"{self.group}[{self.index}]"

    @property
    def norm_path(self) -> Path:
        return ("spec", self.group, self.index)


@dataclass
class Workload:
    """A normalized Pod view (``{"metadata": ..., "spec": ...}``) of one pod template in a resource."""

    resource: Resource
    role: str | None
    pod: dict[str, Any]
    mapping: list[tuple[Path, Path]]
    generic: bool = False
    extras: dict[str, Path] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=list)
    _container_index: dict[Path, Container] | None = field(default=None, init=False, repr=False, compare=False)
    _real_paths: dict[Path, Path] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.pod["spec"]  # every normalized view has one (see the kind registry)
        return spec

    @property
    def label(self) -> str:
        return f"{self.resource.kind}/{self.resource.name}" + (f" ({self.role})" if self.role else "")

    def real_path(self, norm: Path) -> Path:
        """Translate a path of the normalized view into the path inside the resource object (remembered:
        rules and message templates ask for the same few paths again and again)."""
        known = self._real_paths
        if known is None:
            known = self._real_paths = {}
        found = known.get(norm)
        if found is None:
            found = known[norm] = self._translated(norm)
        return found

    def _translated(self, norm: Path) -> Path:
        for prefix, real in self.mapping:
            if norm[: len(prefix)] == prefix:
                return real + norm[len(prefix) :]
        return norm

    def container_at(self, real: Path) -> Container | None:
        """The container a path inside the resource object belongs to, if any: the inverse of real_path,
        through the most specific mapping entry."""
        best: tuple[Path, Path] | None = None
        for norm, mapped in self.mapping:
            if real[: len(mapped)] == mapped and (best is None or len(mapped) > len(best[1])):
                best = (norm, mapped)
        norm = best[0] + real[len(best[1]) :] if best is not None else real
        return self._containers_by_path().get(norm[:3])

    def _containers_by_path(self) -> dict[Path, Container]:
        """The containers by their normalized path, built once the list is complete (a lookup per finding
        must not walk every container: a pod with thousands of them made this quadratic)."""
        index = self._container_index
        if index is None or len(index) != len(self.containers):
            index = self._container_index = {container.norm_path: container for container in self.containers}
        return index


def append_listed(
    target: list[Any], mapping: list[tuple[Path, Path]], group: str, entries: Any, base: Path | None
) -> None:
    """Append entries to a normalized list, mapping each new index back to where the entry is written.
    ``entries`` is a list (at ``base``) or a list of (path, entry) pairs (base None)."""
    if not isinstance(entries, list):
        return
    for position, entry in enumerate(entries):
        real, value = entry if base is None else ((*base, position), entry)
        mapping.append((("spec", group, len(target)), real))
        target.append(value)


def containers_of(workload: Workload) -> list[Container]:
    containers: list[Container] = []
    for group in CONTAINER_GROUPS:
        entries = workload.spec.get(group)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                containers.append(Container(group, index, entry))
    return containers


def value_at(value: Any, path: Path) -> Any:
    """The value at a path inside an object, or None where the path leads nowhere."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value
