"""Capability facts: the set of capabilities the container runtime grants a container, each with
the step (default set, add, drop, privileged) that put it there.
"""

from __future__ import annotations

from ..semantics.capabilities import Origin, effective_capabilities
from .registry import fact
from .scope import Match, Scope

# The trap of dropping NET_BIND_SERVICE (kubeflow/spark-operator#2211): a binary whose file capability is
# marked effective (+ep) must get that capability at exec, and the kernel refuses the exec with EPERM when
# the bounding set lacks it (capabilities(7), "Safety checking for capability-dumb binaries").
FILE_CAPABILITY_TRAP = (
    "NET_BIND_SERVICE is not in the set: a binary carrying the file capability cap_net_bind_service=+ep then "
    'fails to exec with EPERM ("operation not permitted"), as the Spark Operator v2.0.1 image did '
    "(kubeflow/spark-operator#2211, fixed in v2.0.2 by #2216); check an image with `getcap` on its binaries "
    "(e.g. docker run --rm --entrypoint getcap IMAGE -r /usr/bin), and say file-capabilities=none once none has one"
)


def _capability_steps(scope: Scope) -> list[str]:
    assert scope.container is not None
    computed = effective_capabilities(scope.container.spec, scope.params.get("container-runtime"))
    steps = [*computed.steps, "= " + (", ".join(sorted(computed.capabilities)) or "(none)")]
    if "NET_BIND_SERVICE" not in computed.capabilities and scope.params.get("file-capabilities") != "none":
        steps.append(FILE_CAPABILITY_TRAP)
    return steps


CAPABILITY_RECORD = {
    "ineffective_drop": ("true", "false"),  # a drop entry meant it, but drops nothing
    "drop_entry": None,  # that entry as written (CAP_NET_BIND_SERVICE)
    "drop_runtime_name": None,  # the name the runtime makes of it (CAP_CAP_NET_BIND_SERVICE)
}


# The record of a capability no drop entry meant: one shared value (records are read, never changed).
NO_INEFFECTIVE_DROP: dict[str, object] = {"ineffective_drop": False, "drop_entry": None, "drop_runtime_name": None}


def origin_words(origin: Origin, name: str) -> str:
    """For kubecheck explain: why capability ``name`` is in the set, and the drop entry that drops nothing."""
    drop = origin.ineffective_drop
    if drop is None:
        return origin.reason
    return (
        f"{origin.reason}; drop entry {drop.value!r} becomes {drop.runtime_name} at the runtime and drops nothing "
        f"(write {name})"
    )


@fact(
    "container.effective_capabilities",
    "container",
    detail=_capability_steps,
    detail_only=True,
    record=CAPABILITY_RECORD,
)
def _effective_capabilities(scope: Scope) -> list[Match]:
    """One match per capability the runtime grants the container; the note says why it is there (default
    set, added, re-added after drop ALL, privileged), the record names a drop entry that drops nothing."""
    assert scope.container is not None
    runtime = scope.params.get("container-runtime")
    computed = effective_capabilities(scope.container.spec, runtime)
    matches = []
    paths: dict[tuple[str | int, ...], tuple[str | int, ...]] = {}  # many share one origin (privileged: all 41)
    for name, origin in sorted(computed.capabilities.items()):
        drop = origin.ineffective_drop
        record = NO_INEFFECTIVE_DROP
        if drop is not None:
            record = {"ineffective_drop": True, "drop_entry": drop.value, "drop_runtime_name": drop.runtime_name}
        path = paths.get(origin.path)
        if path is None:
            path = paths[origin.path] = scope.container_path(origin.path)
        matches.append(Match(name, path, origin.reason, record=record))
    return matches
