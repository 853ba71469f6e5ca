"""Suppressions a platform team can audit: a finding is suppressed only by a named rule with a reason,
written next to what it excuses; every suppression used, and every one left unused, is reported.

- annotation on the object or its pod template: ``kubecheck.io/ignore.<rule-id>: "<reason>"``
- comment on the finding's line or the line above: ``# kubecheck:ignore <rule-id>[,<rule-id>] <reason>``
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .engine import RawFinding
from .findings import Finding
from .inputs.documents import Document
from .inputs.paths import Path
from .inputs.positions import PositionIndex, Request
from .inputs.resources import Resource
from .workloads.pods import Workload

ANNOTATION_PREFIX = "kubecheck.io/ignore."
COMMENT = re.compile(r"#\s*kubecheck:ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)[ \t]*([^\r\n]*)")


@dataclass(frozen=True)
class Suppression:
    rule: str
    reason: str
    kind: str  # annotation | comment
    file: str
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "reason": self.reason, "file": self.file, "line": self.line}


@dataclass
class Suppressed:
    finding: Finding
    by: Suppression

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "suppressed_by": self.by.to_dict()}


@dataclass
class Outcome:
    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def apply(pairs: list[tuple[Finding, RawFinding]], documents: list[Document]) -> Outcome:
    outcome = Outcome()
    comments = _comments(documents)
    annotations = _Annotations()
    used: set[Suppression] = set()
    for finding, raw in pairs:
        suppression = _annotation_for(finding, annotations.of(raw)) or _comment_for(finding, comments)
        if suppression is None:
            outcome.kept.append(finding)
            continue
        used.add(suppression)
        outcome.suppressed.append(Suppressed(finding, suppression))
    declared = {s for per_file in comments.values() for per_line in per_file.values() for s in per_line}
    declared |= {s for _, raw in pairs for s in annotations.of(raw).values()}
    for suppression in sorted(declared - used, key=lambda s: (s.file, s.line or 0, s.rule)):
        where = f"{suppression.file}:{suppression.line}" if suppression.line else suppression.file
        if not suppression.reason:
            outcome.notes.append(f"{where}: suppression of {suppression.rule} has no reason, so it does not apply")
        else:
            outcome.notes.append(f"{where}: suppression of {suppression.rule} matched no finding")
    return outcome


class _Annotations:
    """The ignore annotations that apply to each finding's scope, each placed on its own line; found once per
    object and pod template."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], dict[str, Suppression]] = {}

    def of(self, raw: RawFinding) -> dict[str, Suppression]:
        """The ignore annotations of the finding's object and of its pod template, by rule."""
        resource, workload = raw.scope.resource, raw.scope.workload
        key = (id(resource), id(workload))
        if key not in self._found:
            self._found[key] = _annotations(resource, workload)
        return self._found[key]


def _annotations(resource: Resource, workload: Workload | None) -> dict[str, Suppression]:
    """The ignore annotations of an object and of its pod template (the object's win), each on the line
    where it is written; where that cannot be found (a view Spark builds), on the object's first line."""
    written: list[tuple[str, str, Path]] = []  # rule, reason, path of the annotation in the document
    owners: list[tuple[Any, Workload | None]] = [(resource.obj.get("metadata"), None)]
    if workload is not None:
        owners.append((workload.pod.get("metadata"), workload))
    for metadata, owner in owners:
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        if not isinstance(annotations, dict):
            continue
        for key, value in annotations.items():
            if isinstance(key, str) and key.startswith(ANNOTATION_PREFIX):
                reason = value.strip() if isinstance(value, str) else ""
                path: Path = ("metadata", "annotations", key)
                written.append(
                    (
                        key[len(ANNOTATION_PREFIX) :],
                        reason,
                        (*resource.base, *(owner.real_path(path) if owner else path)),
                    )
                )
    if not written:
        return {}
    document = resource.document
    requests = [Request(document, path) for _, _, path in written] + [Request(document, resource.base)]
    *positions, object_start = PositionIndex().locate_all(requests)
    found: dict[str, Suppression] = {}
    for (rule, reason, _), position in zip(written, positions, strict=True):
        line = position.line if position.exact else object_start.line
        found.setdefault(rule, Suppression(rule, reason, "annotation", document.source.name, line))
    return found


def _annotation_for(finding: Finding, annotations: dict[str, Suppression]) -> Suppression | None:
    suppression = annotations.get(finding.rule)
    return suppression if suppression is not None and suppression.reason else None


def _comments(documents: list[Document]) -> dict[str, dict[int, list[Suppression]]]:
    """Every ignore comment of the scanned files: file -> line -> suppressions written on that line."""
    found: dict[str, dict[int, list[Suppression]]] = {}
    seen: set[int] = set()
    for document in documents:
        source = document.source
        if id(source) in seen or "kubecheck:ignore" not in source.text:
            continue
        seen.add(id(source))
        per_line = found.setdefault(source.name, {})
        for number, line in enumerate(source.text.splitlines(), start=1):
            match = COMMENT.search(line)
            if match:
                reason = match.group(2).strip()
                for rule in match.group(1).split(","):
                    per_line.setdefault(number, []).append(
                        Suppression(rule.strip(), reason, "comment", source.name, number)
                    )
    return found


def _comment_for(finding: Finding, comments: dict[str, dict[int, list[Suppression]]]) -> Suppression | None:
    per_line = comments.get(finding.file, {})
    for line in (finding.line, finding.line - 1):
        for suppression in per_line.get(line, []):
            if suppression.rule == finding.rule and suppression.reason:
                return suppression
    return None
