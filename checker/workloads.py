"""Find the pod specs inside Kubernetes objects and present each as a normalized Pod view.

The registry below is the one place that knows where each kind keeps its pod template; every view maps
its normalized paths (``spec.containers[0]...``) back to the real paths inside the object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .resources import Path, Resource

WILDCARD = "*"
CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True)
class TemplateAt:
    """A PodTemplateSpec (metadata + spec) at a path; ``*`` matches every key of a map."""

    path: Path


@dataclass(frozen=True)
class PodAt:
    """A pod whose metadata and spec sit at two paths (the Pod kind itself)."""

    metadata: Path
    spec: Path


@dataclass(frozen=True)
class SparkRole:
    """A Spark Operator driver or executor (SparkPodSpec) under an application spec at ``app``."""

    app: Path
    role: str


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
    ("serving.knative.dev", "Service"): (TemplateAt(("spec", "template")),),
    ("serving.knative.dev", "Configuration"): (TemplateAt(("spec", "template")),),
}

# Unknown kinds (CRDs) with a spec.template.spec.containers are read through this fallback. The built-in
# API groups are fully known, so a built-in kind missing from the registry holds no pod template.
GENERIC_FALLBACK = TemplateAt(("spec", "template"))
BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "extensions", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io",
    "events.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "internal.apiserver.k8s.io",
    "storagemigration.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
})
SPARK_MAIN_CONTAINER = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}
# SparkPodSpec fields that belong to the main container, and those that belong to the pod.
SPARK_CONTAINER_FIELDS = ("image", "securityContext", "env", "envFrom", "ports", "volumeMounts", "lifecycle",
                          "resources", "command", "args")
SPARK_POD_FIELDS = {"podSecurityContext": "securityContext", "hostNetwork": "hostNetwork",
                    "initContainers": "initContainers", "nodeSelector": "nodeSelector",
                    "tolerations": "tolerations", "affinity": "affinity", "dnsConfig": "dnsConfig",
                    "schedulerName": "schedulerName", "hostAliases": "hostAliases",
                    "shareProcessNamespace": "shareProcessNamespace"}


@dataclass
class Container:
    """One container of a workload, with its group (containers, initContainers, ...) and index."""

    workload: Workload
    group: str
    index: int
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        name = self.spec.get("name")
        return str(name) if name else f"{self.group}[{self.index}]"

    @property
    def norm_path(self) -> Path:
        return ("spec", self.group, self.index)


@dataclass
class Workload:
    """A normalized Pod view (``{"metadata": ..., "spec": ...}``) of one pod template in a resource."""

    resource: Resource
    role: str | None
    pod: dict[str, Any]
    mapping: list[tuple[Path, Path]]
    generic: bool = False
    extras: dict[str, Path] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=list)

    @property
    def spec(self) -> dict[str, Any]:
        return self.pod["spec"]

    @property
    def label(self) -> str:
        return f"{self.resource.kind}/{self.resource.name}" + (f" ({self.role})" if self.role else "")

    def real_path(self, norm: Path) -> Path:
        """Translate a path of the normalized view into the path inside the resource object."""
        for prefix, real in self.mapping:
            if norm[: len(prefix)] == prefix:
                return real + norm[len(prefix):]
        return norm

    def container_at(self, real: Path) -> Container | None:
        """The container a path inside the resource object belongs to, if any: the inverse of real_path,
        through the most specific mapping entry."""
        best: tuple[Path, Path] | None = None
        for norm, mapped in self.mapping:
            if real[: len(mapped)] == mapped and (best is None or len(mapped) > len(best[1])):
                best = (norm, mapped)
        norm = best[0] + real[len(best[1]):] if best is not None else real
        for container in self.containers:
            if norm[:3] == container.norm_path:
                return container
        return None


def workloads_of(resource: Resource) -> list[Workload]:
    locations = _locations_for(resource)
    generic = locations is None
    if generic:
        if resource.api_version.rpartition("/")[0] in BUILTIN_GROUPS:
            return []
        locations = (GENERIC_FALLBACK,)
    workloads: list[Workload] = []
    for location in locations:
        if isinstance(location, SparkRole):
            workload = _spark_view(resource, location)
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
            mapping = [(("metadata",), meta_path), (("spec",), spec_path)]
            workloads.append(Workload(resource, role, pod, mapping, generic=generic))
    for workload in workloads:
        workload.containers = _containers_of(workload)
    return workloads


def _locations_for(resource: Resource) -> tuple[Location, ...] | None:
    group = resource.api_version.rpartition("/")[0]
    return KIND_REGISTRY.get((group, resource.kind)) or KIND_REGISTRY.get(("*", resource.kind))


def _pod_paths(obj: dict[str, Any], location: Location):
    if isinstance(location, PodAt):
        yield location.metadata, location.spec, None
        return
    for path, role in _expand(obj, location.path, (), None):
        yield (*path, "metadata"), (*path, "spec"), role


def _expand(value: Any, pattern: Path, done: Path, role: str | None):
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


def _spark_view(resource: Resource, location: SparkRole) -> Workload | None:
    """The driver's or executor's pod as Spark builds it: the role's ``template`` (a PodTemplateSpec, Spark
    3+) is the base, its first container (or the one sparkConf's podTemplateContainerName names) is the main
    container, and the SparkPodSpec's own fields win over the template's. Every normalized path maps back to
    the field it came from, in the role or in its template."""
    app = value_at(resource.obj, location.app)
    if not isinstance(app, dict):
        return None
    role_path = (*location.app, location.role)
    role_spec = app.get(location.role)
    if not isinstance(role_spec, dict):
        return None
    template = _SparkTemplate.of(role_spec, role_path, app, location.role)
    mapping: list[tuple[Path, Path]] = []

    main: dict[str, Any] = {**template.main, "name": SPARK_MAIN_CONTAINER[location.role]}
    if "image" in app:
        main["image"] = app["image"]
    for key in template.main:
        mapping.append((("spec", "containers", 0, key), (*template.main_path, key)))
    for key in SPARK_CONTAINER_FIELDS:
        if key in role_spec:
            main[key] = role_spec[key]
            mapping.append((("spec", "containers", 0, key), (*role_path, key)))
        elif key not in template.main:
            mapping.append((("spec", "containers", 0, key), (*role_path, key)))
    mapping.append((("spec", "containers", 0), role_path))

    spec: dict[str, Any] = {key: value for key, value in template.spec.items() if key not in CONTAINER_GROUPS}
    for key in spec:
        mapping.append((("spec", key), (*template.path, "spec", key)))
    containers = [main]
    _append_listed(containers, mapping, "containers", role_spec.get("sidecars"), (*role_path, "sidecars"))
    _append_listed(containers, mapping, "containers", template.other_containers, None)
    spec["containers"] = containers
    for source_key, pod_key in SPARK_POD_FIELDS.items():
        if source_key in role_spec and pod_key not in CONTAINER_GROUPS:
            spec[pod_key] = role_spec[source_key]
            mapping.append((("spec", pod_key), (*role_path, source_key)))
        elif pod_key not in spec:
            mapping.append((("spec", pod_key), (*role_path, source_key)))
    init_containers: list[Any] = []
    _append_listed(init_containers, mapping, "initContainers", role_spec.get("initContainers"),
                   (*role_path, "initContainers"))
    _append_listed(init_containers, mapping, "initContainers", template.spec.get("initContainers"),
                   (*template.path, "spec", "initContainers"))
    if init_containers:
        spec["initContainers"] = init_containers
    volumes: list[Any] = []
    _append_listed(volumes, mapping, "volumes", app.get("volumes"), (*location.app, "volumes"))
    _append_listed(volumes, mapping, "volumes", template.spec.get("volumes"), (*template.path, "spec", "volumes"))
    if volumes or "volumes" in app:
        spec["volumes"] = volumes
    mapping.append((("spec", "volumes"), (*location.app, "volumes")))

    metadata: dict[str, Any] = {}
    for key in ("labels", "annotations"):
        own = role_spec.get(key) if isinstance(role_spec.get(key), dict) else {}
        merged = {**template.metadata.get(key, {}), **own}
        if merged or key in role_spec:
            metadata[key] = merged
        source = role_path if key in role_spec or key not in template.metadata else (*template.path, "metadata")
        mapping.append((("metadata", key), (*source, key)))
        mapping += [(("metadata", key, name), (*template.path, "metadata", key, name))  # written in the template
                    for name in template.metadata.get(key, {}) if name not in own and source == role_path]
    mapping.append((("metadata",), role_path))
    mapping.append((("spec",), role_path))
    mapping.sort(key=lambda pair: len(pair[0]), reverse=True)
    extras = {"sparkConf": (*location.app, "sparkConf")}
    return Workload(resource, location.role, {"metadata": metadata, "spec": spec}, mapping, extras=extras)


@dataclass
class _SparkTemplate:
    """A Spark role's pod template, split the way Spark reads it: the main container and the rest."""

    path: Path
    spec: dict[str, Any]
    metadata: dict[str, Any]
    main: dict[str, Any]
    main_path: Path
    other_containers: list[tuple[Path, Any]]

    @classmethod
    def of(cls, role_spec: dict[str, Any], role_path: Path, app: dict[str, Any], role: str) -> _SparkTemplate:
        path = (*role_path, "template")
        template = role_spec.get("template")
        template = template if isinstance(template, dict) else {}
        spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
        metadata = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
        metadata = {k: v for k, v in metadata.items() if k in ("labels", "annotations") and isinstance(v, dict)}
        entries = spec.get("containers") if isinstance(spec.get("containers"), list) else []
        wanted = (app.get("sparkConf") or {}).get(f"spark.kubernetes.{role}.podTemplateContainerName") \
            if isinstance(app.get("sparkConf"), dict) else None
        index = next((i for i, c in enumerate(entries) if isinstance(c, dict) and c.get("name") == wanted), 0)
        main = entries[index] if entries and isinstance(entries[index], dict) else {}
        main = {k: v for k, v in main.items() if k != "name"}
        others = [((*path, "spec", "containers", i), c) for i, c in enumerate(entries) if i != index]
        return cls(path, spec, metadata, main, (*path, "spec", "containers", index), others)


def _append_listed(target: list[Any], mapping: list[tuple[Path, Path]], group: str, entries: Any,
                   base: Path | None) -> None:
    """Append entries to a normalized list, mapping each new index back to where the entry is written.
    ``entries`` is a list (at ``base``) or a list of (path, entry) pairs (base None)."""
    if not isinstance(entries, list):
        return
    for position, entry in enumerate(entries):
        real, value = (entry if base is None else ((*base, position), entry))
        mapping.append((("spec", group, len(target)), real))
        target.append(value)


def _containers_of(workload: Workload) -> list[Container]:
    containers: list[Container] = []
    for group in CONTAINER_GROUPS:
        entries = workload.spec.get(group)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                containers.append(Container(workload, group, index, entry))
    return containers


def value_at(value: Any, path: Path) -> Any:
    """The value at a path inside an object, or None where the path leads nowhere."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value
