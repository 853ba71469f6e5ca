"""Findings, severities and the report of one scan: the data every reporter reads.

Findings sort in a stable order (file, document, line, column, rule, path) so output is deterministic.
"""

from __future__ import annotations

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

    def sort_key(self) -> tuple[str, int, int, int, str, str, str]:
        return (self.file, self.document, self.line, self.column, self.rule, self.path, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
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


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    skipped_documents: int = 0
    kustomize_patches: int = 0
    rules: int = 0
    notes: list[str] = field(default_factory=list)
    rule_info: list[RuleInfo] = field(default_factory=list)
    suppressed: list[Any] = field(default_factory=list)  # suppress.Suppressed: findings excused, with why

    def count_at_or_above(self, threshold: Severity) -> int:
        return sum(1 for f in self.findings if f.severity >= threshold)

    def summary(self) -> dict[str, Any]:
        by_severity = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for finding in self.findings:
            by_severity[finding.severity.label] += 1
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
