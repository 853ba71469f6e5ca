"""The fact registry: named facts that rules read (fact: container.effective_capabilities), each a
function of a scope that returns matches (value, place, note), computed once per scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .scope import Match, Scope


@dataclass(frozen=True)
class Fact:
    name: str
    scope: str  # the narrowest scope the fact needs: resource, pod or container
    compute: Callable[[Scope], list[Match]]
    detail: Callable[[Scope], list[str]] | None = None  # how the value came about, for kubecheck explain
    detail_only: bool = False  # the detail already shows the values (explain lists no matches)


FACTS: dict[str, Fact] = {}
Compute = Callable[[Scope], list[Match]]


def fact(
    name: str, scope: str, detail: Callable[[Scope], list[str]] | None = None, detail_only: bool = False
) -> Callable[[Compute], Compute]:
    def register(function: Compute) -> Compute:
        FACTS[name] = Fact(name, scope, function, detail, detail_only)
        return function

    return register


def fact_of(scope: Scope, name: str) -> list[Match]:
    """A fact's matches for the scope, computed once per scope."""
    if name not in scope.facts:
        scope.facts[name] = FACTS[name].compute(scope)
    return scope.facts[name]
