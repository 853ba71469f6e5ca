"""Security-context facts: the user a container runs as (root, non-root or unknown), the effective
runAsUser and runAsGroup, and the deprecated per-container seccomp annotations of a pod.
"""

from __future__ import annotations

from ..inputs.paths import format_path
from ..semantics.rejected_contexts import CASES, rejected_contexts
from ..semantics.users import resolve_id, resolve_user
from ..workloads.pods import value_at
from .registry import fact
from .scope import Match, Scope


@fact("container.user", "container")
def _user(scope: Scope) -> list[Match]:
    """root, non-root or unknown: runAsUser, then runAsNonRoot, container first, then pod."""
    assert scope.workload is not None and scope.container is not None
    user = resolve_user(scope.workload.spec, scope.container.spec, scope.container.norm_path)
    return [Match(user.kind, scope.pod_path(user.path) if user.path else scope.home, user.note)]


def _effective_id(scope: Scope, field: str) -> list[Match]:
    assert scope.workload is not None and scope.container is not None
    found = resolve_id(scope.workload.spec, scope.container.spec, scope.container.norm_path, field)
    if found is None:
        return []
    note = f"{field} in the {found.level} securityContext"
    return [Match(found.value, scope.pod_path(found.path), note, record={"level": found.level})]


@fact("container.run_as_user", "container", record={"level": ("container", "pod")})
def _run_as_user(scope: Scope) -> list[Match]:
    """The UID the container runs with: runAsUser of its securityContext, else the pod's (record level says
    which); none when neither sets it (the image's USER decides)."""
    return _effective_id(scope, "runAsUser")


@fact("container.run_as_group", "container", record={"level": ("container", "pod")})
def _run_as_group(scope: Scope) -> list[Match]:
    """The primary GID the container runs with: runAsGroup of its securityContext, else the pod's; none when
    neither sets it (the image's group decides, root's group 0 for most images)."""
    return _effective_id(scope, "runAsGroup")


@fact("container.rejected_security_context", "container", record={"case": CASES, "with": None})
def _rejected_security_context(scope: Scope) -> list[Match]:
    """Security-context combinations Kubernetes refuses: privileged: true or capabilities.add CAP_SYS_ADMIN
    with allowPrivilegeEscalation: false (the API server rejects the object), and runAsNonRoot: true with
    runAsUser 0 at the effective level (the kubelet refuses to start the container); located at the first
    field, the record names the case and the other field (``with``)."""
    assert scope.workload is not None and scope.container is not None
    container = scope.container
    return [
        Match(
            value_at(scope.workload.pod, found.path),
            scope.pod_path(found.path),
            found.case,
            record={"case": found.case, "with": format_path(scope.pod_path(found.other))},
        )
        for found in rejected_contexts(scope.workload.spec, container.spec, container.norm_path)
    ]


SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


@fact("pod.container_seccomp_annotations", "pod")
def _container_seccomp_annotations(scope: Scope) -> list[Match]:
    """The deprecated per-container seccomp annotations (container.seccomp.security.alpha.kubernetes.io/NAME)
    of the pod's containers, init and ephemeral containers that have one; located at the annotation."""
    workload = scope.workload
    assert workload is not None
    annotations = workload.pod.get("metadata", {}).get("annotations")
    if not isinstance(annotations, dict):
        return []
    matches = []
    for container in workload.containers:
        key = SECCOMP_CONTAINER_ANNOTATION + container.name
        if isinstance(annotations.get(key), str):
            matches.append(Match(annotations[key], scope.pod_path(("metadata", "annotations", key))))
    return matches
