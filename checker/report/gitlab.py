"""GitLab Code Quality: the JSON array GitLab reads from a job's `artifacts:reports:codequality`, so
findings and input errors show in the merge request widget, each with a fingerprint GitLab tracks it by.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ..findings import Report, Severity
from .escaping import deep, valid_unicode
from .locations import artifact_uri

if TYPE_CHECKING:
    from . import RenderOptions

# GitLab's scale is info, minor, major, critical, blocker (docs.gitlab.com/ci/testing/code_quality/).
SEVERITIES = {
    Severity.INFO: "info",
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}
INPUT_ERROR = "kubecheck/input-error"  # an input that could not be checked fails the gate: blocker


def render(report: Report, options: RenderOptions) -> str:
    issues: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for finding in report.findings:
        resource = finding.resource
        identity = [finding.file, finding.rule, resource["kind"], resource["namespace"], resource["name"]]
        identity += [finding.container, finding.path]
        issues.append(
            _issue(
                f"{finding.rule}: {finding.message}{finding.see_also}",
                f"kubecheck/{finding.rule}",
                SEVERITIES[finding.severity],
                finding.file,
                finding.line,
                _fingerprint(identity, seen),
            )
        )
    for error in report.errors:
        fingerprint = _fingerprint([error.file, INPUT_ERROR, error.line, error.message], seen)
        issues.append(_issue(error.message, INPUT_ERROR, "blocker", error.file, error.line or 1, fingerprint))
    # valid UTF-8 whatever a file name holds; json.dumps escapes the control characters
    return json.dumps(deep(issues, valid_unicode), indent=2, ensure_ascii=False) + "\n"


def _issue(description: str, check: str, severity: str, file: str, line: int, fingerprint: str) -> dict[str, Any]:
    return {
        "description": description,
        "check_name": check,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {"path": artifact_uri(file), "lines": {"begin": line}},
    }


def _fingerprint(identity: list[Any], seen: dict[str, int]) -> str:
    """What the issue is, not where its line is (so it survives lines moving above it); issues with the same
    identity are told apart by their order (GitLab shows one issue per fingerprint)."""
    key = "\0".join("" if part is None else str(part) for part in identity)
    seen[key] = seen.get(key, 0) + 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
