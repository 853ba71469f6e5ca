"""Findings, severities and the report of one scan: the data every reporter reads.

Findings sort in a stable order (file, document, line, column, rule, path) so output is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .inputs.documents import InputError


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass
class Finding:
    rule: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    resource: dict[str, Any]
    container: str | None
    path: str
    remediation: str
    document: int = 0
    rendered: dict[str, Any] | None = None  # how a rendered object was produced (chart, values, template)
    value: str = ""  # the offending value as canonical JSON: part of a baseline fingerprint, not of reports
    # the other objects a cross-object finding names: {file, line, column, resource}; empty for most rules
    related: list[dict[str, Any]] = field(default_factory=list)

    def sort_key(self) -> tuple[str, int, int, int, str, str, str]:
        return (self.file, self.document, self.line, self.column, self.rule, self.path, self.message)

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "rule": self.rule,
                "severity": self.severity.label,
                "message": self.message,
                "file": self.file,
                "line": self.line,
                "column": self.column,
                "resource": self.resource,
                "container": self.container,
                "path": self.path,
                "remediation": self.remediation,
            }
            | ({"rendered": self.rendered} if self.rendered is not None else {})
            | ({"related": self.related} if self.related else {})
        )

    @property
    def see_also(self) -> str:
        """`` (see FILE:LINE)`` for each related object, for one-line formats; empty without any."""
        return "".join(f" (see {r['file']}:{r['line']})" for r in self.related)


@dataclass(frozen=True)
class RuleInfo:
    """What reporters say about a rule that ran (SARIF rule metadata, JUnit suites)."""

    id: str
    title: str
    severity: Severity
    packs: tuple[str, ...]
    description: str
    remediation: str
    references: tuple[str, ...]


PASS, FAIL, MANUAL, NOT_APPLICABLE = "pass", "fail", "manual", "not-applicable"
CONTROL_STATUSES = (FAIL, PASS, NOT_APPLICABLE, MANUAL)


@dataclass
class ControlResult:
    """How a scan stands against one control of a framework: fail (a kept finding of its rules), pass (its
    rules checked objects and found nothing), not-applicable (no object of the scan was for its rules) or
    manual (no rule judges it; ``manual`` says why, and for a judged control what is left to judge by hand)."""

    id: str
    section: str
    title: str
    status: str
    rules: tuple[str, ...]
    rules_not_run: tuple[str, ...]  # named by the control but outside the run (version range, overridden)
    objects_checked: int
    objects_failed: int
    findings: int
    suppressed: int
    manual: str
    failed_objects: list[dict[str, Any]] = field(default_factory=list)  # resource ref, file, line
    # (rule, regular expression its findings' paths must match, or None): which findings count against it
    rule_filters: tuple[tuple[str, str | None], ...] = ()

    def covers(self, rule: str, path: str) -> bool:
        """Whether a finding of the rule at the path counts against this control."""
        return any(
            rule == name and (pattern is None or re.search(pattern, path)) for name, pattern in self.rule_filters
        )

    @property
    def score(self) -> float | None:
        """The share of checked objects without a finding, in percent (None when nothing was checked)."""
        if not self.objects_checked:
            return None
        return round(100 * (self.objects_checked - self.objects_failed) / self.objects_checked, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "rules": list(self.rules),
            "rules_not_run": list(self.rules_not_run),
            "objects_checked": self.objects_checked,
            "objects_failed": self.objects_failed,
            "findings": self.findings,
            "suppressed": self.suppressed,
            "manual": self.manual,
            "failed_objects": self.failed_objects,
        }


@dataclass
class FrameworkResult:
    """A framework's controls as the scan judged them."""

    id: str
    title: str
    version: str
    url: str
    controls: list[ControlResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Controls per status, and the score: the mean of the judged controls' scores (None if none was)."""
        counts = {status: sum(1 for c in self.controls if c.status == status) for status in CONTROL_STATUSES}
        scores = [c.score for c in self.controls if c.score is not None and c.status in (PASS, FAIL)]
        return {
            "controls": len(self.controls),
            **{status.replace("-", "_"): n for status, n in counts.items()},
            "score": round(sum(scores) / len(scores), 1) if scores else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "url": self.url,
            "summary": self.summary(),
            "controls": [control.to_dict() for control in self.controls],
        }


@dataclass
class Report:
    # a list, or a Sequence read from disk as it is iterated (report.spill: a streamed scan's findings)
    findings: Sequence[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    skipped_documents: int = 0
    kustomize_patches: int = 0
    rules: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said on stderr even without -v (excluded named inputs)
    rule_info: list[RuleInfo] = field(default_factory=list)
    suppressed: list[Any] = field(default_factory=list)  # suppress.Suppressed: findings excused, with why
    frameworks: list[FrameworkResult] = field(default_factory=list)  # asked for with --framework

    def count_at_or_above(self, threshold: Severity) -> int:
        return sum(1 for severity in self.severities() if severity >= threshold)

    def severities(self) -> Iterator[Severity]:
        """Each finding's severity; a spilled sequence gives them without reading its findings back."""
        known = getattr(self.findings, "severities", None)
        return known() if callable(known) else (finding.severity for finding in self.findings)

    def summary(self) -> dict[str, Any]:
        by_severity = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for severity in self.severities():
            by_severity[severity.label] += 1
        return {
            "files": self.files,
            "resources": self.resources,
            "rules": self.rules,
            "findings": len(self.findings),
            "errors": len(self.errors),
            "skipped_documents": self.skipped_documents,
            "kustomize_patches": self.kustomize_patches,
            "suppressed": len(self.suppressed),
            "by_severity": by_severity,
        }


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 finding``, ``2 findings``: a count with its noun in the right number."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def error_place(error: Any) -> str:
    """``file:line`` of an input error, or just the file when it has no line."""
    return f"{error.file}:{error.line}" if error.line else str(error.file)
