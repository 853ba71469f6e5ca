"""Suppressions a platform team can audit: a finding is suppressed only by a named rule with a reason,
written next to what it excuses; every suppression used, and every one left unused, is reported.

- annotation on the object or its pod template: ``kubecheck.io/ignore.<rule-id>: "<reason>"``
- comment on the finding's line or the line above: ``# kubecheck:ignore <rule-id>[,<rule-id>] <reason>``
- an exemption in the configuration file (checker/exemptions.py), applied before annotations and comments.

A reason may carry an expiry, ``expires=YYYY-MM-DD`` (a word of its own, anywhere in the reason): from the day
after, the suppression no longer applies and is reported as an ``expired-exemption`` finding. Rules the
configuration makes non-bypassable ignore annotations and comments (config exemptions still apply).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from .engine import RawFinding
from .exemptions import Controls, Exemption, expired_finding, parse_date
from .findings import Finding
from .inputs.documents import Document
from .inputs.paths import Path
from .inputs.positions import PositionIndex, Request
from .inputs.resources import Resource
from .workloads.pods import Container, Workload

ANNOTATION_PREFIX = "kubecheck.io/ignore."
COMMENT = re.compile(r"#\s*kubecheck:ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)[ \t]*([^\r\n]*)")
EXPIRY = re.compile(r"(?:^|\s)expires=(\S*)")
NO_DATE = datetime.date.min  # an expires= word whose date cannot be read


@dataclass(frozen=True)
class Suppression:
    rule: str
    reason: str
    kind: str  # annotation | comment | exemption
    file: str
    line: int | None
    expires: datetime.date | None = None

    def to_dict(self) -> dict[str, Any]:
        found = {"kind": self.kind, "rule": self.rule, "reason": self.reason, "file": self.file, "line": self.line}
        return found | ({"expires": self.expires.isoformat()} if self.expires else {})

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def _with_expiry(rule: str, text: str, kind: str, file: str, line: int | None) -> Suppression:
    """A suppression whose reason may hold ``expires=YYYY-MM-DD``; the word is taken out of the reason."""
    match = EXPIRY.search(text)
    if match is None:
        return Suppression(rule, text, kind, file, line)
    reason = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
    return Suppression(rule, reason, kind, file, line, parse_date(match.group(1)) or NO_DATE)


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
    expired: list[Finding] = field(default_factory=list)  # expired-exemption findings


@dataclass
class Matched:
    """What suppressions did to the findings of one part of a scan (the whole of it, or one input of a
    streamed scan): the findings kept and excused, and what summarise() needs to speak of the rest."""

    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    declared: set[Suppression] = field(default_factory=set)
    used: set[Suppression] = field(default_factory=set)
    blocked: set[Suppression] = field(default_factory=set)
    used_exemptions: set[Exemption] = field(default_factory=set)

    def merge(self, other: Matched) -> None:
        """Add another part's suppressions (its findings stay with it)."""
        self.declared |= other.declared
        self.used |= other.used
        self.blocked |= other.blocked
        self.used_exemptions |= other.used_exemptions


def apply(
    items: list[tuple[Finding, RawFinding, list[RawFinding]]],
    documents: list[Document],
    controls: Controls | None = None,
) -> Outcome:
    """Excuse each finding by the first config exemption that matches it, else by its annotation or comment
    (unless its rule is non-bypassable); expired ones excuse nothing and become findings of their own."""
    matched = match(items, documents, controls)
    outcome = summarise(matched, controls)
    outcome.kept, outcome.suppressed = matched.kept, matched.suppressed
    return outcome


def match(
    items: list[tuple[Finding, RawFinding, list[RawFinding]]],
    documents: list[Document],
    controls: Controls | None = None,
) -> Matched:
    """apply() for one part of a scan: which findings are excused and by what, and the suppressions the
    part's documents declare; summarise() turns the parts' sum into notes and expired findings."""
    controls = controls or Controls()
    today = controls.day()
    matched = Matched()
    comments = _comments(documents)
    annotations = _Annotations()
    live = [e for e in controls.exemptions if e.expires is None or e.expires >= today]
    for finding, raw, merged in items:
        packs = raw.compiled.rule.packs
        exemption = next((e for e in live if e.matches(finding, packs, _concerned(raw, merged))), None)
        if exemption is not None:
            matched.used_exemptions.add(exemption)
            by = Suppression(
                finding.rule, exemption.reason, "exemption", exemption.file, exemption.line, exemption.expires
            )
            matched.suppressed.append(Suppressed(finding, by))
            continue
        suppression = _annotation_for(finding, annotations.of(raw), today) or _comment_for(finding, comments, today)
        if suppression is not None and controls.is_non_bypassable(finding.rule, packs):
            matched.blocked.add(suppression)
            suppression = None
        if suppression is None:
            matched.kept.append(finding)
            continue
        matched.used.add(suppression)
        matched.suppressed.append(Suppressed(finding, suppression))
    matched.declared = {s for per_file in comments.values() for per_line in per_file.values() for s in per_line}
    matched.declared |= {s for _, raw, _ in items for s in annotations.of(raw).values()}
    return matched


def summarise(matched: Matched, controls: Controls | None = None) -> Outcome:
    """The notes (suppressions that matched nothing or do not apply, unused exemptions) and the expired
    findings of a whole scan, from the sum of its parts' matches; the Outcome's findings are left empty."""
    controls = controls or Controls()
    today = controls.day()
    outcome = Outcome()
    declared, used, blocked = matched.declared, matched.used, matched.blocked
    expired = {s for s in declared if s.reason and s.expires not in (None, NO_DATE) and s.expires < today}
    for suppression in sorted(declared - used - expired, key=lambda s: (s.file, s.line or 0, s.rule)):
        if not suppression.reason:
            outcome.notes.append(
                f"{suppression.where}: suppression of {suppression.rule} has no reason, so it does not apply"
            )
        elif suppression.expires is NO_DATE:
            outcome.notes.append(
                f"{suppression.where}: suppression of {suppression.rule} has an expiry that is not a date "
                "(expires=YYYY-MM-DD), so it does not apply"
            )
        elif suppression in blocked:
            outcome.notes.append(
                f"{suppression.where}: suppression of {suppression.rule} does not apply: the rule is non-bypassable "
                f"({controls.non_bypassable_at}); only an exemption in the configuration can excuse it"
            )
        else:
            outcome.notes.append(f"{suppression.where}: suppression of {suppression.rule} matched no finding")
    for suppression in sorted(expired, key=lambda s: (s.file, s.line or 0, s.rule)):
        assert suppression.expires is not None
        what = f"{suppression.kind} suppression of {suppression.rule} ({suppression.reason})"
        outcome.expired.append(expired_finding(what, suppression.file, suppression.line or 1, suppression.expires, {}))
    for exemption in controls.exemptions:
        if exemption.expires is not None and exemption.expires < today:
            what = f"exemption of {', '.join(exemption.rules)} ({exemption.reason})"
            outcome.expired.append(expired_finding(what, exemption.file, exemption.line, exemption.expires, {}))
        elif exemption not in matched.used_exemptions:
            outcome.notes.append(
                f"{exemption.file}:{exemption.line}: exemption of {', '.join(exemption.rules)} matched no finding"
            )
    outcome.expired.sort(key=lambda f: f.sort_key())
    return outcome


def _concerned(raw: RawFinding, merged: list[RawFinding]) -> list[Container] | None:
    """The containers a finding is about: its own, those it was merged from, or every container of its pod
    for a pod-level finding; None for an object without a pod."""
    own = [r.scope.container for r in merged if r.scope.container is not None]
    if own:
        return list({id(c): c for c in own}.values())
    workload = raw.scope.workload
    return list(workload.containers) if workload is not None else None


class _Annotations:
    """The ignore annotations that apply to each finding's scope, each placed on its own line; found once per
    object and pod template."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], dict[str, Suppression]] = {}  # (id of object, id of pod view or 0)

    def of(self, raw: RawFinding) -> dict[str, Suppression]:
        """The ignore annotations of the finding's object and of its pod template, by rule; for a finding
        that names another object (a cross-object rule), that object's annotations too: either excuses it."""
        resource, workload = raw.scope.resource, raw.scope.workload
        key = (id(resource), id(workload))
        if key not in self._found:
            self._found[key] = _annotations(resource, workload)
        other = raw.related
        if other is None:
            return self._found[key]
        other_key = (id(other), 0)
        if other_key not in self._found:
            self._found[other_key] = _annotations(other, None)
        return {**self._found[other_key], **self._found[key]}


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
        found.setdefault(rule, _with_expiry(rule, reason, "annotation", document.source.name, line))
    return found


def _applies(suppression: Suppression, today: datetime.date) -> bool:
    """A suppression applies when it has a reason and its expiry, if any, is a date not yet past."""
    return bool(suppression.reason) and (suppression.expires is None or suppression.expires >= today)


def _annotation_for(finding: Finding, annotations: dict[str, Suppression], today: datetime.date) -> Suppression | None:
    suppression = annotations.get(finding.rule)
    return suppression if suppression is not None and _applies(suppression, today) else None


def _comments(documents: list[Document]) -> dict[str, dict[int, list[Suppression]]]:
    """Every ignore comment of the scanned files: file -> line -> suppressions written on that line."""
    found: dict[str, dict[int, list[Suppression]]] = {}
    seen: set[int] = set()
    for document in documents:
        source = document.source
        if id(source) in seen:
            continue
        seen.add(id(source))  # before the text is searched: a source holds many documents
        if "kubecheck:ignore" not in source.text:
            continue
        per_line = found.setdefault(source.name, {})
        for number, line in enumerate(source.text.splitlines(), start=1 + source.line_offset):
            match = COMMENT.search(line)
            if match:
                reason = match.group(2).strip()
                for rule in match.group(1).split(","):
                    per_line.setdefault(number, []).append(
                        _with_expiry(rule.strip(), reason, "comment", source.name, number)
                    )
    return found


def _comment_for(
    finding: Finding, comments: dict[str, dict[int, list[Suppression]]], today: datetime.date
) -> Suppression | None:
    per_line = comments.get(finding.file, {})
    for line in (finding.line, finding.line - 1):
        for suppression in per_line.get(line, []):
            if suppression.rule == finding.rule and _applies(suppression, today):
                return suppression
    return None
