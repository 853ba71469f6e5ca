"""Pod-template fields whose value has a type Kubernetes refuses (a mapping where a list belongs, a string
where a number belongs): such an object is an input error with its file and line, not a source of findings.

kubectl and the API server decode objects strictly: `containers:` written as a mapping, `runAsUser: "0"` or
`drop: NET_RAW` fails with "cannot unmarshal ... into Go struct field" and the object is never created
(https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation; the Go types are
k8s.io/api/core/v1/types.go). Judging such an object would report findings on fields that cannot exist
(a container named "" built from a mapping's keys), so kubecheck refuses it with the reason instead.
Only the fields the rules read are checked, on the pod templates of known kinds (not on the generic
`spec.template` fallback, whose schema is unknown, nor on the Spark view, which has its own types).
"""

from __future__ import annotations

from typing import Any

from ..inputs.documents import InputError
from ..inputs.paths import Path, format_path
from ..inputs.positions import PositionIndex, Request
from ..inputs.resources import Resource
from .pods import Workload
from .registry import workloads_of

# A schema is a Python type (the value's), a one-item list (a list of that schema) or a dict (a mapping
# whose listed keys have those schemas; other keys are not checked). None is allowed everywhere: Kubernetes
# treats a null field as unset.
Schema = type | list[Any] | dict[str, Any]

CAPABILITIES: Schema = {"add": [str], "drop": [str]}
SECCOMP: Schema = {"type": str, "localhostProfile": str}
CONTAINER_SECURITY: Schema = {
    "capabilities": CAPABILITIES,
    "privileged": bool,
    "allowPrivilegeEscalation": bool,
    "readOnlyRootFilesystem": bool,
    "runAsNonRoot": bool,
    "runAsUser": int,
    "runAsGroup": int,
    "procMount": str,
    "seccompProfile": SECCOMP,
}
CONTAINER: Schema = {
    "name": str,
    "image": str,
    "command": [str],
    "args": [str],
    "ports": [{"containerPort": int, "hostPort": int, "name": str, "protocol": str, "hostIP": str}],
    "env": [{"name": str, "value": str}],
    "volumeMounts": [{"name": str, "mountPath": str, "subPath": str, "readOnly": bool}],
    "securityContext": CONTAINER_SECURITY,
}
POD_SPEC: Schema = {
    "containers": [CONTAINER],
    "initContainers": [CONTAINER],
    "ephemeralContainers": [CONTAINER],
    "hostNetwork": bool,
    "hostPID": bool,
    "hostIPC": bool,
    "hostUsers": bool,
    "serviceAccountName": str,
    "automountServiceAccountToken": bool,
    "volumes": [{"name": str}],
    "securityContext": {
        "runAsNonRoot": bool,
        "runAsUser": int,
        "runAsGroup": int,
        "fsGroup": int,
        "supplementalGroups": [int],
        "seccompProfile": SECCOMP,
        "sysctls": [{"name": str, "value": str}],
    },
}
TYPE_WORDS = {dict: "a mapping", list: "a list", str: "a string", int: "an integer", bool: "true or false"}


def set_aside_misshapen(resources: list[Resource]) -> tuple[list[Resource], list[InputError]]:
    """The resources whose pod templates Kubernetes would accept, and an input error (file, line of the
    first bad field, what it is and what Kubernetes expects) for each one it would refuse."""
    kept: list[Resource] = []
    refused: list[tuple[Resource, Path, str]] = []
    for resource in resources:
        problem = _first_problem(resource)
        if problem is None:
            kept.append(resource)
        else:
            refused.append((resource, *problem))
    if not refused:
        return kept, []
    positions = PositionIndex().locate_all([Request(r.document, (*r.base, *path)) for r, path, _ in refused])
    errors = [
        InputError(
            resource.document.source.name,
            position.line,
            f"{resource.kind} {resource.name}: {format_path(path)} is {message}; Kubernetes refuses the object "
            "(kubectl: cannot unmarshal), so it is not checked",
        )
        for (resource, path, message), position in zip(refused, positions, strict=True)
    ]
    return kept, errors


def _first_problem(resource: Resource) -> tuple[Path, str] | None:
    for workload in workloads_of(resource):
        spec_path = _real_spec_path(workload)
        if spec_path is None:
            continue
        problem = _check(workload.spec, POD_SPEC, spec_path)
        if problem is not None:
            return problem
    return None


def _real_spec_path(workload: Workload) -> Path | None:
    """Where the pod spec is in the object, for a view whose spec is a real PodSpec (not the generic
    fallback's, not the Spark view's)."""
    if workload.generic:
        return None
    return next((real for norm, real in workload.mapping if norm == ("spec",)), None)


def _check(value: Any, schema: Schema, path: Path) -> tuple[Path, str] | None:
    problem = _problem(value, schema)
    return None if problem is None else ((*path, *reversed(problem[0])), problem[1])


def _problem(value: Any, schema: Schema) -> tuple[list[Any], str] | None:
    """The first value of the wrong type, in the object's order, with its path below ``value`` in reverse
    (each level adds its step on the way back: no path is made for the values that are fine). It walks the
    fields the object has (a few), looking each up in the schema (which knows dozens)."""
    if value is None:
        return None
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [], f"{_word(value)} where Kubernetes expects a list"
        element = schema[0]
        for index, item in enumerate(value):
            problem = _problem(item, element)
            if problem is not None:
                problem[0].append(index)
                return problem
        return None
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [], f"{_word(value)} where Kubernetes expects a mapping"
        for key, item in value.items():
            field_schema = schema.get(key)
            if field_schema is None or item is None:
                continue
            if field_schema.__class__ is type:  # a scalar field (most): tested here, not in a call
                if item.__class__ is field_schema:
                    continue
                return [key], f"{_word(item)} where Kubernetes expects {TYPE_WORDS[field_schema]}"
            problem = _problem(item, field_schema)
            if problem is not None:
                problem[0].append(key)
                return problem
        return None
    if type(value) is not schema:  # exact: true is not an integer, 1 is not a string
        return [], f"{_word(value)} where Kubernetes expects {TYPE_WORDS[schema]}"
    return None


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, dict | list):
        return TYPE_WORDS[type(value)]
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{TYPE_WORDS.get(type(value), type(value).__name__)} ({shown})"
