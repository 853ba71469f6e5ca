"""The fact registry: named facts that rules read (fact: container.effective_capabilities), each a
function of a scope that returns matches (value, place, note, record), computed once per scope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .scope import Match, Scope

# The keys of a fact's match records, each with the values it takes (reason codes), or None for a free
# value (a port, a name): what rule templates may name as {record.KEY}, checked when rules are loaded.
RecordKeys = Mapping[str, tuple[str, ...] | None]


@dataclass(frozen=True)
class Fact:
    name: str
    scope: str  # the narrowest scope the fact needs: resource, pod or container
    compute: Callable[[Scope], list[Match]]
    detail: Callable[[Scope], list[str]] | None = None  # how the value came about, for kubecheck explain
    detail_only: bool = False  # the detail already shows the values (explain lists no matches)
    record: RecordKeys = field(default_factory=dict, hash=False)  # the keys of its matches' records


FACTS: dict[str, Fact] = {}
Compute = Callable[[Scope], list[Match]]


def fact(
    name: str,
    scope: str,
    detail: Callable[[Scope], list[str]] | None = None,
    detail_only: bool = False,
    record: RecordKeys | None = None,
) -> Callable[[Compute], Compute]:
    def register(function: Compute) -> Compute:
        FACTS[name] = Fact(name, scope, function, detail, detail_only, dict(record or {}))
        return function

    return register


def fact_of(scope: Scope, name: str) -> list[Match]:
    """A fact's matches for the scope, computed once per scope."""
    if name not in scope.facts:
        scope.facts[name] = FACTS[name].compute(scope)
    return scope.facts[name]
