"""`kubecheck krm`: a KRM function validator (kustomize `validators:`, `kustomize fn run`, `kpt fn eval`). It
reads a config.kubernetes.io/v1 ResourceList on stdin and writes it back with `results`, one per finding
(message, severity, resourceRef, field path, file), exiting 1 on failures
(https://github.com/kubernetes-sigs/kustomize/blob/master/cmd/config/docs/api-conventions/functions-spec.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..api import Plan, run
from ..findings import Finding, Severity
from ..inputs.documents import STDIN_NAME, InputError, LoadResult, Source
from ..inputs.yaml_parser import parse_yaml
from .scan import exit_code

PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")


@dataclass
class KrmResult:
    stdout: str
    code: int


def resource_list(text: str) -> tuple[dict[str, Any], LoadResult]:
    """The ResourceList and its items as documents (each named by its path annotation)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return {}, LoadResult(
            errors=[InputError(STDIN_NAME, None, f"not a ResourceList: {' '.join(str(exc).split())}")]
        )
    if not isinstance(data, dict) or data.get("kind") != "ResourceList":
        return {}, LoadResult(errors=[InputError(STDIN_NAME, None, "not a ResourceList (kind: ResourceList)")])
    loaded = LoadResult(inputs=1)
    for number, item in enumerate(data.get("items") or []):
        name = _annotation(item, PATH_ANNOTATIONS) or f"{STDIN_NAME}#items[{number}]"
        parsed = parse_yaml(Source(name, yaml.safe_dump(item, sort_keys=False)))
        loaded.documents.extend(parsed.documents)
        loaded.errors.extend(parsed.errors)
    return data, loaded


def krm(chosen: Plan, text: str, threshold: Severity) -> KrmResult:
    """The ResourceList with `results` added, and the exit code a scan of its items would have."""
    data, loaded = resource_list(text)
    report = run(chosen, loaded).report()
    results: list[dict[str, Any]] = [
        {"message": error.message, "severity": "error", "file": {"path": error.file}} for error in report.errors
    ]
    results += [_result(finding) for finding in report.findings]
    output: dict[str, Any] = (
        dict(data) if data else {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []}
    )
    output["results"] = results
    return KrmResult(yaml.safe_dump(output, sort_keys=False), exit_code(report, threshold))


def _result(finding: Finding) -> dict[str, Any]:
    resource = finding.resource
    reference = {key: resource[key] for key in ("apiVersion", "kind", "name", "namespace") if resource.get(key)}
    severity = (
        "error" if finding.severity >= Severity.HIGH else "info" if finding.severity == Severity.INFO else "warning"
    )
    return {
        "message": f"{finding.rule}: {finding.message}",
        "severity": severity,
        "resourceRef": reference,
        "field": {"path": finding.path},
        "file": {"path": finding.file},
        "tags": {"rule": finding.rule, "severity": finding.severity.label},
    }


def _annotation(item: Any, keys: tuple[str, ...]) -> str | None:
    metadata = item.get("metadata") if isinstance(item, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return None
    for key in keys:
        if isinstance(annotations.get(key), str):
            return str(annotations[key])
    return None
