"""Container facts that say where a container sits in its pod: its group (containers, initContainers,
ephemeralContainers), and whether an init container is a sidecar that runs as long as the pod.
"""

from __future__ import annotations

from .registry import fact
from .scope import Match, Scope

GROUPS = ("containers", "initContainers", "ephemeralContainers")


@fact("container.group", "container", record={"sidecar": ("true", "false")})
def _group(scope: Scope) -> list[Match]:
    """containers, initContainers or ephemeralContainers; record sidecar: true for an init container with
    restartPolicy: Always, which Kubernetes keeps running beside the main containers (native sidecars)."""
    container = scope.container
    assert container is not None
    sidecar = container.group == "initContainers" and container.spec.get("restartPolicy") == "Always"
    return [Match(container.group, scope.container_path(()), f"in {container.group}", record={"sidecar": sidecar})]
