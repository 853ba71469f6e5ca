"""The evaluation context of one rule on one target (a resource, a pod view or a container).

Holds what conditions and facts read: the target object, the workload and container, parameters, the
cross-resource index of the scan, and a per-target cache of facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from ..inputs.paths import Path
from ..inputs.resources import Resource
from ..workloads.pods import Container, Workload

if TYPE_CHECKING:
    from ..workloads.index import ScanContext


class ParamValues(Protocol):
    """What facts read of a run's parameters (policy/params.py's Params): a value by name, and the shared
    data lists of the policy directories resolved for the run."""

    data: dict[str, Any]

    def get(self, name: str) -> Any: ...


@dataclass(frozen=True, init=False, slots=True)
class Match:
    """A value a subject resolved to, where it sits (a path in ``resource``, or the scope's resource), a
    note that explains it (a short label of where it comes from), and a record of named values (numbers,
    names and reason codes, no prose) that rule templates read as ``{record.KEY}``. ``line_in_value``
    points inside a multi-line string value."""

    value: Any
    path: Path | None
    note: str
    resource: Resource | None
    line_in_value: int | None
    column_in_value: int | None  # with line_in_value: where in that line of the string the value starts
    element_name: str | None  # the name of the `each` element this value was found in
    record: dict[str, Any] = field(hash=False)  # named values for {record.KEY}
    relation: bool  # found by a related: or scan_holds: subject: resource is another object of the scan

    def __init__(
        self,
        value: Any,
        path: Path | None,
        note: str = "",
        resource: Resource | None = None,
        line_in_value: int | None = None,
        column_in_value: int | None = None,
        element_name: str | None = None,
        record: dict[str, Any] | None = None,
        relation: bool = False,
    ) -> None:
        """Each field set through its slot: a frozen dataclass's generated __init__ looks up and calls
        object.__setattr__ per field, and a review makes hundreds of matches (a tenth of its time went there).
        Slots also keep a match small (208 bytes, 256 with a __dict__)."""
        set_value, set_path, set_note, set_resource, set_line, set_column, set_element, set_record, set_flag = _SETTERS
        set_value(self, value)
        set_path(self, path)
        set_note(self, note)
        set_resource(self, resource)
        set_line(self, line_in_value)
        set_column(self, column_in_value)
        set_element(self, element_name)
        set_record(self, {} if record is None else record)
        set_flag(self, relation)

    def changed(self, **changes: Any) -> Match:
        """A copy with some fields changed, as dataclasses.replace makes it but without its per-call look at
        every field (conditions call it for each witness; a pod with thousands of containers has many)."""
        copy = object.__new__(Match)
        for name, setter in zip(_FIELDS, _SETTERS, strict=True):
            setter(copy, changes[name] if name in changes else getattr(self, name))
        return copy


_FIELDS = tuple(f.name for f in fields(Match))
_SETTERS = tuple(getattr(Match, name).__set__ for name in _FIELDS)  # the slots' own setters


@dataclass
class Scope:
    kind: str
    resource: Resource
    params: ParamValues
    context: ScanContext
    workload: Workload | None = None
    container: Container | None = None
    facts: dict[str, list[Match]] = field(default_factory=dict)
    element: Match | None = None  # inside an `each` condition: the element being checked
    scope_namespace: str | None = None  # namespace scope: the namespace (its home is ``resource``)

    @property
    def namespace(self) -> str | None:
        """The namespace the target is in: the scope's own for a namespace scope, else its object's."""
        return self.scope_namespace if self.kind == "namespace" else self.resource.namespace

    def with_element(self, element: Match) -> Scope:
        """A copy for one element of an `each` (sharing the facts cache), as dataclasses.replace makes it but
        without its per-call look at every field: conditions make one per element."""
        copy = object.__new__(Scope)
        copy.__dict__.update(self.__dict__)
        copy.element = element
        return copy

    @property
    def target(self) -> Any:
        if self.element is not None:
            return self.element.value
        if self.container is not None:
            return self.container.spec
        if self.workload is not None:
            return self.workload.pod
        return self.resource.obj

    def target_path(self, relative: Path) -> Path:
        """The real path (inside the resource object) of a path relative to the target."""
        if self.element is not None and self.element.path is not None:
            return self.element.path + relative
        if self.container is not None:
            return self.container_path(relative)
        if self.workload is not None:
            return self.workload.real_path(relative)
        return relative

    def container_path(self, relative: Path) -> Path:
        """The real path of a path relative to the scope's container (not to an `each` element)."""
        assert self.container is not None and self.workload is not None  # a container's scope has its pod
        return self.workload.real_path(self.container.norm_path + relative)

    def pod_path(self, relative: Path) -> Path:
        """The real path of a path relative to the normalized pod view."""
        assert self.workload is not None
        return self.workload.real_path(relative)

    @property
    def home(self) -> Path:
        """Where the target itself sits: the container, the pod spec, or the object root."""
        if self.container is not None:
            return self.target_path(())
        if self.workload is not None:
            return self.workload.real_path(("spec",))
        return ()
