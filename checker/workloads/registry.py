"""The kind registry: the one place that knows where each kind keeps its pod template, and
workloads_of(), which builds the pod views of an object (a generic spec.template fallback for CRDs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..inputs.paths import Path
from ..inputs.resources import Resource
from .pods import Workload, containers_of, value_at
from .spark import SparkRole, spark_view

WILDCARD = "*"


@dataclass(frozen=True)
class TemplateAt:
    """A PodTemplateSpec (metadata + spec) at a path; ``*`` matches every key of a map. ``role`` names the
    template where a kind has several (a LeaderWorkerSet's leader and workers); a ``*`` names it by its key."""

    path: Path
    role: str | None = None


@dataclass(frozen=True)
class PodAt:
    """A pod whose metadata and spec sit at two paths (the Pod kind itself)."""

    metadata: Path
    spec: Path


Location = TemplateAt | PodAt | SparkRole

# (API group or "*" for any group, kind) -> where its pod templates are.
KIND_REGISTRY: dict[tuple[str, str], tuple[Location, ...]] = {
    ("", "Pod"): (PodAt(("metadata",), ("spec",)),),
    ("", "PodTemplate"): (TemplateAt(("template",)),),
    ("", "ReplicationController"): (TemplateAt(("spec", "template")),),
    ("*", "Deployment"): (TemplateAt(("spec", "template")),),
    ("*", "ReplicaSet"): (TemplateAt(("spec", "template")),),
    ("*", "StatefulSet"): (TemplateAt(("spec", "template")),),
    ("*", "DaemonSet"): (TemplateAt(("spec", "template")),),
    ("batch", "Job"): (TemplateAt(("spec", "template")),),
    ("batch", "CronJob"): (TemplateAt(("spec", "jobTemplate", "spec", "template")),),
    ("sparkoperator.k8s.io", "SparkApplication"): (
        SparkRole(("spec",), "driver"),
        SparkRole(("spec",), "executor"),
    ),
    ("sparkoperator.k8s.io", "ScheduledSparkApplication"): (
        SparkRole(("spec", "template"), "driver"),
        SparkRole(("spec", "template"), "executor"),
    ),
    ("sparkoperator.k8s.io", "SparkConnect"): (
        SparkRole(("spec",), "server", connect=True),
        SparkRole(("spec",), "executor", connect=True),
    ),
    ("argoproj.io", "Rollout"): (TemplateAt(("spec", "template")),),
    ("apps.openshift.io", "DeploymentConfig"): (TemplateAt(("spec", "template")),),
    ("", "DeploymentConfig"): (TemplateAt(("spec", "template")),),
    ("keda.sh", "ScaledJob"): (TemplateAt(("spec", "jobTargetRef", "template")),),
    ("kubeflow.org", "PyTorchJob"): (TemplateAt(("spec", "pytorchReplicaSpecs", WILDCARD, "template")),),
    ("kubeflow.org", "TFJob"): (TemplateAt(("spec", "tfReplicaSpecs", WILDCARD, "template")),),
    ("kubeflow.org", "MPIJob"): (TemplateAt(("spec", "mpiReplicaSpecs", WILDCARD, "template")),),
    ("kubeflow.org", "XGBoostJob"): (TemplateAt(("spec", "xgbReplicaSpecs", WILDCARD, "template")),),
    ("kubeflow.org", "PaddleJob"): (TemplateAt(("spec", "paddleReplicaSpecs", WILDCARD, "template")),),
    ("kubeflow.org", "MXJob"): (TemplateAt(("spec", "mxReplicaSpecs", WILDCARD, "template")),),
    ("kubeflow.org", "JAXJob"): (TemplateAt(("spec", "jaxReplicaSpecs", WILDCARD, "template")),),
    ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"): (  # leaderTemplate is optional: workers' template then
        TemplateAt(("spec", "leaderWorkerTemplate", "leaderTemplate"), role="leader"),
        TemplateAt(("spec", "leaderWorkerTemplate", "workerTemplate"), role="worker"),
    ),
    ("serving.knative.dev", "Service"): (TemplateAt(("spec", "template")),),
    ("serving.knative.dev", "Configuration"): (TemplateAt(("spec", "template")),),
}

# Unknown kinds (CRDs) with a spec.template.spec.containers are read through this fallback. The built-in
# API groups are fully known, so a built-in kind missing from the registry holds no pod template.
GENERIC_FALLBACK = TemplateAt(("spec", "template"))
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "extensions",
        "policy",
        "autoscaling",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "certificates.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
        "internal.apiserver.k8s.io",
        "storagemigration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
    }
)


def workloads_of(resource: Resource) -> list[Workload]:
    locations = _locations_for(resource)
    generic = locations is None
    if locations is None:
        if resource.api_version.rpartition("/")[0] in BUILTIN_GROUPS:
            return []
        locations = (GENERIC_FALLBACK,)
    workloads: list[Workload] = []
    for location in locations:
        if isinstance(location, SparkRole):
            workload = spark_view(resource, location)
            if workload is not None:
                workloads.append(workload)
            continue
        for meta_path, spec_path, role in _pod_paths(resource.obj, location):
            spec = value_at(resource.obj, spec_path)
            if not isinstance(spec, dict):
                continue
            if generic and not isinstance(spec.get("containers"), list):
                continue
            metadata = value_at(resource.obj, meta_path)
            pod = {"metadata": metadata if isinstance(metadata, dict) else {}, "spec": spec}
            mapping: list[tuple[Path, Path]] = [(("metadata",), meta_path), (("spec",), spec_path)]
            workloads.append(Workload(resource, role, pod, mapping, generic=generic))
    for workload in workloads:
        workload.containers = containers_of(workload)
    return workloads


def _locations_for(resource: Resource) -> tuple[Location, ...] | None:
    group = resource.api_version.rpartition("/")[0]
    return KIND_REGISTRY.get((group, resource.kind)) or KIND_REGISTRY.get(("*", resource.kind))


def _pod_paths(obj: dict[str, Any], location: TemplateAt | PodAt) -> Iterator[tuple[Path, Path, str | None]]:
    """(metadata path, spec path, role) of each pod the location names in the object; the role is the map
    key a ``*`` matched."""
    if isinstance(location, PodAt):
        yield location.metadata, location.spec, None
        return
    for path, role in _expand(obj, location.path, (), location.role):
        yield (*path, "metadata"), (*path, "spec"), role


def _expand(value: Any, pattern: Path, done: Path, role: str | None) -> Iterator[tuple[Path, str | None]]:
    """The paths below `done` that the pattern names in the value (``*`` matches every key of a map), each
    with the last key a ``*`` matched (else `role`)."""
    if not pattern:
        yield done, role
        return
    head, rest = pattern[0], pattern[1:]
    if head == WILDCARD:
        if isinstance(value, dict):
            for key in value:
                yield from _expand(value[key], rest, (*done, key), str(key))
        return
    if isinstance(value, dict) and head in value:
        yield from _expand(value[head], rest, (*done, head), role)
