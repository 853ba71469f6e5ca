"""Service account token mounting as the ServiceAccount admission controller decides it: the pod's
automountServiceAccountToken, else its ServiceAccount's, else the token is mounted.

The pod's field takes precedence over the ServiceAccount's when both are set
(https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting).
"""

from __future__ import annotations

from typing import Any

DEFAULT_ACCOUNT = "default"
POD, SERVICE_ACCOUNT, DEFAULT = "pod", "service-account", "default"


def service_account_name(pod_spec: dict[str, Any]) -> str:
    """The ServiceAccount a pod runs as: serviceAccountName, else the deprecated serviceAccount, else default."""
    for field in ("serviceAccountName", "serviceAccount"):
        name = pod_spec.get(field)
        if isinstance(name, str) and name:
            return name
    return DEFAULT_ACCOUNT


def automount_decision(pod_spec: dict[str, Any], account: dict[str, Any] | None) -> tuple[bool, str]:
    """Whether the API token is mounted into the pod and what decided it: ``pod`` (its own field), ``service-account``
    (the ServiceAccount object's field; ``account`` is that object when known) or ``default`` (neither sets
    it: mounted)."""
    own = pod_spec.get("automountServiceAccountToken")
    if isinstance(own, bool):
        return own, POD
    theirs = account.get("automountServiceAccountToken") if isinstance(account, dict) else None
    if isinstance(theirs, bool):
        return theirs, SERVICE_ACCOUNT
    return True, DEFAULT
