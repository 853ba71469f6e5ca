"""Security contexts Kubernetes refuses: combinations the API server's validation rejects, and the one the
kubelet refuses at container start; each with the fields involved (paths in the normalized pod view).

Sources: kubernetes pkg/apis/core/validation/validation.go ValidateSecurityContext ("cannot set
`allowPrivilegeEscalation` to false and `privileged` to true"; "... and `capabilities.Add` CAP_SYS_ADMIN",
which compares the entry with the exact string CAP_SYS_ADMIN, so SYS_ADMIN passes validation); and
pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot (effective runAsNonRoot true with an
effective runAsUser 0: "container's runAsUser breaks non-root policy", CreateContainerConfigError).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..inputs.paths import Path
from .users import resolve_id

PRIVILEGED_NO_ESCALATION = "privileged-no-escalation"
SYS_ADMIN_NO_ESCALATION = "sys-admin-no-escalation"
NON_ROOT_UID_0 = "non-root-uid-0"
CASES = (PRIVILEGED_NO_ESCALATION, SYS_ADMIN_NO_ESCALATION, NON_ROOT_UID_0)


@dataclass(frozen=True)
class Rejection:
    """One refused combination: the field the finding points at, the other field involved, the case and
    the level (container or pod) of each."""

    case: str
    path: Path
    other: Path


def rejected_contexts(pod_spec: dict[str, Any], container: dict[str, Any], container_path: Path) -> list[Rejection]:
    found: list[Rejection] = []
    context = container.get("securityContext")
    context = context if isinstance(context, dict) else {}
    base = (*container_path, "securityContext")
    if context.get("allowPrivilegeEscalation") is False:
        escalation = (*base, "allowPrivilegeEscalation")
        if context.get("privileged") is True:
            found.append(Rejection(PRIVILEGED_NO_ESCALATION, (*base, "privileged"), escalation))
        capabilities = context.get("capabilities")
        adds = capabilities.get("add") if isinstance(capabilities, dict) else None
        for index, name in enumerate(adds if isinstance(adds, list) else []):
            if name == "CAP_SYS_ADMIN":
                found.append(Rejection(SYS_ADMIN_NO_ESCALATION, (*base, "capabilities", "add", index), escalation))
    non_root = _effective_run_as_non_root(pod_spec, context, base)
    user = resolve_id(pod_spec, container, container_path, "runAsUser")
    if non_root is not None and user is not None and user.value == 0:
        found.append(Rejection(NON_ROOT_UID_0, user.path, non_root))
    return found


def _effective_run_as_non_root(pod_spec: dict[str, Any], context: dict[str, Any], base: Path) -> Path | None:
    """Where runAsNonRoot: true is set at the effective level (the container's value overrides the pod's),
    or None when it is not in force."""
    if isinstance(context.get("runAsNonRoot"), bool):
        return (*base, "runAsNonRoot") if context["runAsNonRoot"] else None
    pod_context = pod_spec.get("securityContext")
    if isinstance(pod_context, dict) and pod_context.get("runAsNonRoot") is True:
        return ("spec", "securityContext", "runAsNonRoot")
    return None
