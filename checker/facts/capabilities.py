"""Capability facts: the set of capabilities the container runtime grants a container, each with
the step (default set, add, drop, privileged) that put it there.
"""

from __future__ import annotations

from ..semantics.capabilities import effective_capabilities
from .registry import fact
from .scope import Match, Scope


def _capability_steps(scope: Scope) -> list[str]:
    assert scope.container is not None
    computed = effective_capabilities(scope.container.spec, scope.params.get("container-runtime"))
    return [*computed.steps, "= " + (", ".join(sorted(computed.capabilities)) or "(none)")]


@fact("container.effective_capabilities", "container", detail=_capability_steps, detail_only=True)
def _effective_capabilities(scope: Scope) -> list[Match]:
    """One match per capability the runtime grants the container; the note says why it is there."""
    runtime = scope.params.get("container-runtime")
    computed = effective_capabilities(scope.container.spec, runtime)
    return [
        Match(name, scope.container_path(origin.path), origin.reason)
        for name, origin in sorted(computed.capabilities.items())
    ]
