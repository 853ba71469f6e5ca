"""SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it: one run, the rules that ran
with their help, one result per finding at its file, line and column, input errors as notifications.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ..findings import Finding, FrameworkResult, Report, Severity
from ..version import __version__
from .escaping import deep, valid_unicode
from .json_stream import Streamed, write_json
from .locations import artifact_uri

if TYPE_CHECKING:
    from . import RenderOptions

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def render(report: Report, options: RenderOptions) -> str:
    out = io.StringIO()
    write(report, options, out)
    return out.getvalue()


def write(report: Report, options: RenderOptions, out: TextIO) -> None:
    """The SARIF log, its results written one at a time as the findings are read (json_stream)."""
    rule_index = {rule.id: index for index, rule in enumerate(report.rule_info)}
    rules = [
        {
            **_relationships(report.frameworks, rule.id),
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": " ".join(rule.description.split()) or rule.title},
            "help": {"text": " ".join(rule.remediation.split())},
            **({"helpUri": rule.references[0]} if rule.references else {}),
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
            "properties": {
                "tags": ["security", "kubernetes", *rule.packs],
                "security-severity": SECURITY_SEVERITY[rule.severity],
                "severity": rule.severity.label,
            },
        }
        for rule in report.rule_info
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": error.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(error.file)},
                        **({"region": {"startLine": error.line}} if error.line else {}),
                    }
                }
            ],
        }
        for error in report.errors
    ]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kubecheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}
                ],
                "results": Streamed(_results(report, options, rule_index)),
                **({"taxonomies": [_taxonomy(f) for f in report.frameworks]} if report.frameworks else {}),
            }
        ],
    }
    # valid UTF-8 whatever a file name holds; json.dumps escapes the control characters
    write_json(document, out, lambda piece: deep(piece, valid_unicode))


def _results(report: Report, options: RenderOptions, rule_index: dict[str, int]) -> Iterator[dict[str, Any]]:
    """One SARIF result per finding (then per suppressed finding with --show-suppressed), as they are read."""
    seen: dict[str, int] = {}
    shown: Iterator[tuple[Finding, Any]] = ((finding, None) for finding in report.findings)
    if options.show_suppressed:  # every exemption used, with its reason (SARIF result.suppressions)
        shown = itertools.chain(shown, ((item.finding, item.by) for item in report.suppressed))
    for finding, by in shown:
        resource = finding.resource
        logical = "/".join(str(part) for part in (resource["kind"], resource["namespace"], resource["name"]) if part)
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(finding.file)},
                        "region": {"startLine": finding.line, "startColumn": finding.column},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f"{logical}:{finding.path}", "kind": "object"}],
                }
            ],
            "partialFingerprints": {
                "kubecheck/v1": _fingerprint(finding.rule, resource, finding.path, finding.container, seen)
            },
            "properties": {
                "severity": finding.severity.label,
                "container": finding.container,
                "path": finding.path,
                "remediation": finding.remediation,
            },
        }
        if finding.related:  # the other objects a cross-object finding names
            result["relatedLocations"] = [
                {
                    "id": index,
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(other["file"])},
                        "region": {"startLine": other["line"], "startColumn": other["column"]},
                    },
                    "message": {"text": _object_name(other["resource"])},
                }
                for index, other in enumerate(finding.related, start=1)
            ]
        if finding.rule in rule_index:
            result["ruleIndex"] = rule_index[finding.rule]
        if by is not None:
            result["suppressions"] = [_suppression(by)]
        controls = _controls_of(report.frameworks, finding.rule, finding.path)
        if controls:
            result["taxa"] = controls
        yield result


def _taxonomy(framework: FrameworkResult) -> dict[str, Any]:
    """A framework as a SARIF taxonomy: each control a taxon, with the scan's verdict on it in its properties."""
    return {
        "name": framework.id,
        "fullName": framework.title,
        "version": framework.version,
        **({"informationUri": framework.url} if framework.url else {}),
        "taxa": [
            {
                "id": control.id,
                "name": control.title,
                "shortDescription": {"text": control.title},
                "properties": {
                    "section": control.section,
                    "status": control.status,
                    "score": control.score,
                    "objectsChecked": control.objects_checked,
                    "objectsFailed": control.objects_failed,
                    "findings": control.findings,
                    "suppressed": control.suppressed,
                    "rules": list(control.rules),
                    **({"manual": control.manual} if control.manual else {}),
                },
            }
            for control in framework.controls
        ],
        "properties": {"summary": framework.summary()},
    }


def _relationships(frameworks: list[FrameworkResult], rule: str) -> dict[str, Any]:
    """A rule's links to the framework controls it judges (SARIF reportingDescriptor.relationships)."""
    links = [
        {"target": {"id": control.id, "toolComponent": {"name": framework.id}}, "kinds": ["relevant"]}
        for framework in frameworks
        for control in framework.controls
        if rule in control.rules
    ]
    return {"relationships": links} if links else {}


def _suppression(by: Any) -> dict[str, Any]:
    """A SARIF suppression: in the manifest (annotation, comment) or outside it (the configuration)."""
    return {
        "kind": "external" if by.kind == "exemption" else "inSource",
        "status": "accepted",
        "justification": by.reason,
    }


def _controls_of(frameworks: list[FrameworkResult], rule: str, path: str) -> list[dict[str, Any]]:
    """The controls a finding counts against, as taxon references of a SARIF result."""
    return [
        {"id": control.id, "toolComponent": {"name": framework.id}}
        for framework in frameworks
        for control in framework.controls
        if control.covers(rule, path)
    ]


def _fingerprint(rule: str, resource: dict[str, Any], path: str, container: str | None, seen: dict[str, int]) -> str:
    """Stable across line moves: the rule, the object's identity, the container and the path of the field.
    Several findings at one place (values in one entry, lines of one ConfigMap key) are told apart by their
    order there, so every result has its own fingerprint."""
    key = "|".join(
        str(part)
        for part in (rule, resource["apiVersion"], resource["kind"], resource["namespace"], resource["name"], path)
    )
    if container is not None:
        key += f"|{container}"
    occurrence = seen.get(key, 0)
    seen[key] = occurrence + 1
    if occurrence:
        key += f"|#{occurrence}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _object_name(resource: dict[str, Any]) -> str:
    """``Kind namespace/name`` of an object a finding names."""
    name = "/".join(str(part) for part in (resource.get("namespace"), resource.get("name")) if part)
    return f"{resource.get('kind')} {name}".strip()
