"""The Spark Operator's SparkApplication driver and executor as pod views, built the way the operator
and Spark build the pods: the role's template is the base and the SparkPodSpec's fields win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..inputs.paths import Path
from ..inputs.resources import Resource
from .pods import CONTAINER_GROUPS, Container, Workload, append_listed, value_at


@dataclass(frozen=True)
class SparkRole:
    """A Spark Operator driver or executor (SparkPodSpec) under an application spec at ``app``; ``connect``
    for a SparkConnect's server or executor, whose SparkPodSpec holds only cores, memory and a template
    (api/v1alpha1/sparkconnect_types.go), so the template is the whole pod."""

    app: Path
    role: str
    connect: bool = False


# A container-relative path under this key maps to the application's sparkConf: the settings Spark reads in
# the main container's process (ports, addresses), located where they are written.
SPARK_CONF = "sparkConf"
SPARK_MAIN_CONTAINER = {
    "driver": "spark-kubernetes-driver",
    "executor": "spark-kubernetes-executor",
    "server": "spark-kubernetes-driver",  # the Spark Connect server runs the driver (common.SparkDriverContainerName)
}
# SparkPodSpec fields that belong to the main container, and those that belong to the pod.
SPARK_CONTAINER_FIELDS = (
    "image",
    "securityContext",
    "env",
    "envFrom",
    "ports",
    "volumeMounts",
    "lifecycle",
    "resources",
    "command",
    "args",
)
SPARK_POD_FIELDS = {
    "podSecurityContext": "securityContext",
    "hostNetwork": "hostNetwork",
    "initContainers": "initContainers",
    "nodeSelector": "nodeSelector",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "dnsConfig": "dnsConfig",
    "schedulerName": "schedulerName",
    "hostAliases": "hostAliases",
    "shareProcessNamespace": "shareProcessNamespace",
}


def spark_view(resource: Resource, location: SparkRole) -> Workload | None:
    """The driver's or executor's pod as Spark builds it: the role's ``template`` (a PodTemplateSpec, Spark
    3+) is the base, its first container (or the one sparkConf's podTemplateContainerName names) is the main
    container, and the SparkPodSpec's own fields win over the template's. Every normalized path maps back to
    the field it came from, in the role or in its template; a template field the role replaces maps nowhere,
    so findings, explain and fix land on the field that wins. The operator's mutating webhook replaces, it
    does not merge: ``pod.Spec.Containers[i].SecurityContext = app.Spec.Driver.SecurityContext`` and
    ``pod.Spec.SecurityContext = app.Spec.Driver.PodSecurityContext`` (kubeflow/spark-operator
    internal/webhook/sparkpod_defaulter.go, addContainerSecurityContext and addPodSecurityContext)."""
    app = value_at(resource.obj, location.app)
    if not isinstance(app, dict):
        return None
    role_path = (*location.app, location.role)
    role_spec = app.get(location.role)
    if not isinstance(role_spec, dict):
        return None
    if location.connect:
        return _connect_view(resource, location, app, role_spec)
    template = _SparkTemplate.of(role_spec, role_path, app, location)
    mapping: list[tuple[Path, Path]] = []

    main: dict[str, Any] = {**template.main, "name": SPARK_MAIN_CONTAINER[location.role]}
    if "image" in app:
        main["image"] = app["image"]
    for key in template.main:
        if not (key in SPARK_CONTAINER_FIELDS and key in role_spec):  # replaced by the role's own field
            mapping.append((("spec", "containers", 0, key), (*template.main_path, key)))
    for key in SPARK_CONTAINER_FIELDS:
        if key in role_spec:
            main[key] = role_spec[key]
            mapping.append((("spec", "containers", 0, key), (*role_path, key)))
        elif key not in template.main:
            mapping.append((("spec", "containers", 0, key), (*role_path, key)))
    mapping.append((("spec", "containers", 0), role_path))
    mapping.append((("spec", "containers", 0, SPARK_CONF), (*location.app, "sparkConf")))  # Spark's own settings

    spec: dict[str, Any] = {key: value for key, value in template.spec.items() if key not in CONTAINER_GROUPS}
    replaced = {pod_key for source_key, pod_key in SPARK_POD_FIELDS.items() if source_key in role_spec}
    for key in spec:
        if key not in replaced:  # a role field replaces the template's (the operator's webhook sets it)
            mapping.append((("spec", key), (*template.path, "spec", key)))
    containers = [main]
    append_listed(containers, mapping, "containers", role_spec.get("sidecars"), (*role_path, "sidecars"))
    append_listed(containers, mapping, "containers", template.other_containers, None)
    spec["containers"] = containers
    for source_key, pod_key in SPARK_POD_FIELDS.items():
        if source_key in role_spec and pod_key not in CONTAINER_GROUPS:
            spec[pod_key] = role_spec[source_key]
            mapping.append((("spec", pod_key), (*role_path, source_key)))
        elif pod_key not in spec:
            mapping.append((("spec", pod_key), (*role_path, source_key)))
    init_containers: list[Any] = []
    append_listed(
        init_containers, mapping, "initContainers", role_spec.get("initContainers"), (*role_path, "initContainers")
    )
    append_listed(
        init_containers,
        mapping,
        "initContainers",
        template.spec.get("initContainers"),
        (*template.path, "spec", "initContainers"),
    )
    if init_containers:
        spec["initContainers"] = init_containers
    volumes: list[Any] = []
    append_listed(volumes, mapping, "volumes", app.get("volumes"), (*location.app, "volumes"))
    append_listed(volumes, mapping, "volumes", template.spec.get("volumes"), (*template.path, "spec", "volumes"))
    if volumes or "volumes" in app:
        spec["volumes"] = volumes
    mapping.append((("spec", "volumes"), (*location.app, "volumes")))

    metadata: dict[str, Any] = {}
    for key in ("labels", "annotations"):
        own = _mapping(role_spec.get(key))
        merged = {**template.metadata.get(key, {}), **own}
        if merged or key in role_spec:
            metadata[key] = merged
        source = role_path if key in role_spec or key not in template.metadata else (*template.path, "metadata")
        mapping.append((("metadata", key), (*source, key)))
        mapping += [
            (("metadata", key, name), (*template.path, "metadata", key, name))  # written in the template
            for name in template.metadata.get(key, {})
            if name not in own and source == role_path
        ]
    mapping.append((("metadata",), role_path))
    mapping.append((("spec",), role_path))
    mapping.sort(key=lambda pair: len(pair[0]), reverse=True)
    extras = {"sparkConf": (*location.app, "sparkConf"), "sparkApp": location.app}
    return Workload(resource, location.role, {"metadata": metadata, "spec": spec}, mapping, extras=extras)


def _connect_view(resource: Resource, location: SparkRole, app: dict[str, Any], role_spec: dict[str, Any]) -> Workload:
    """A SparkConnect server's or executor's pod: its template as it is (the operator sets ``pod.Spec =
    template.Spec``, internal/controller/sparkconnect/reconciler.go), the main container found by name
    (else the first; a default one where the template has none), and ``spec.image`` only where that
    container names no image. Paths map one to one into the template."""
    template_path = (*location.app, location.role, "template")
    template = _mapping(role_spec.get("template"))
    spec = dict(_mapping(template.get("spec")))
    metadata = _mapping(template.get("metadata"))
    mapping: list[tuple[Path, Path]] = [(("metadata",), (*template_path, "metadata"))]
    entries = spec.get("containers")
    containers = list(entries) if isinstance(entries, list) else []
    name = SPARK_MAIN_CONTAINER[location.role]
    index = next((i for i, c in enumerate(containers) if isinstance(c, dict) and c.get("name") == name), 0)
    if not containers:
        containers.append({"name": name})
    main = containers[index]
    if isinstance(main, dict) and not main.get("image") and "image" in app:
        containers[index] = {**main, "image": app["image"]}
        mapping.append((("spec", "containers", index, "image"), (*location.app, "image")))
    spec["containers"] = containers
    mapping.append((("spec", "containers", index, SPARK_CONF), (*location.app, "sparkConf")))
    mapping.append((("spec",), (*template_path, "spec")))
    mapping.sort(key=lambda pair: len(pair[0]), reverse=True)
    extras = {"sparkConf": (*location.app, "sparkConf"), "sparkApp": location.app}
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
    def of(cls, role_spec: dict[str, Any], role_path: Path, app: dict[str, Any], location: SparkRole) -> _SparkTemplate:
        role = location.role
        path = (*role_path, "template")
        template = _mapping(role_spec.get("template"))
        spec = _mapping(template.get("spec"))
        metadata = {
            k: v
            for k, v in _mapping(template.get("metadata")).items()
            if k in ("labels", "annotations") and isinstance(v, dict)
        }
        containers = spec.get("containers")
        entries = containers if isinstance(containers, list) else []
        wanted = _mapping(app.get("sparkConf")).get(f"spark.kubernetes.{role}.podTemplateContainerName")
        index = next((i for i, c in enumerate(entries) if isinstance(c, dict) and c.get("name") == wanted), 0)
        main = {k: v for k, v in _mapping(entries[index] if entries else None).items() if k != "name"}
        others = [((*path, "spec", "containers", i), c) for i, c in enumerate(entries) if i != index]
        return cls(path, spec, metadata, main, (*path, "spec", "containers", index), others)


def _mapping(value: Any) -> dict[str, Any]:
    """The value if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def spark_main_container(workload: Workload) -> Container | None:
    """The container that runs Spark in a Spark Operator pod view (the driver, executor or Spark Connect
    server): the one Spark names, else the first; None for a workload that is not a Spark role."""
    if "sparkApp" not in workload.extras or workload.role not in SPARK_MAIN_CONTAINER:
        return None
    main = [c for c in workload.containers if c.group == "containers"]
    wanted = SPARK_MAIN_CONTAINER[workload.role]
    return next((c for c in main if c.spec.get("name") == wanted), main[0] if main else None)
