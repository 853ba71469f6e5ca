"""Turn the engine's raw findings into the findings a report shows: one per rule, place and value, each
located (file:line:col), its message rendered from the rule's template, and its suppression applied.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from . import suppress
from .engine import RawFinding, value_key
from .exemptions import Controls
from .findings import Finding
from .inputs.documents import Document
from .inputs.paths import Path
from .inputs.positions import Position, PositionIndex, Request
from .inputs.resources import Resource
from .policy.params import Params
from .policy.templates import render, template_values

UNLOCATED = Position(0, 0, False)
# json.dumps(value, sort_keys=True, default=str), made once: json.dumps builds an encoder per call for these options
VALUE_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


@dataclass
class Located:
    """A finding as reported, the raw finding it was made from, every raw finding it stands for (a pod-level
    field seen from each container of the pod is one finding) and the suppression that excuses it, if any."""

    finding: Finding
    raw: RawFinding
    merged: list[RawFinding]
    suppressed_by: suppress.Suppression | None = None


@dataclass
class Finalised:
    """The located findings of a run in report order, and the notes the suppressions left (unused, no reason)."""

    located: list[Located] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    expired: list[Finding] = field(default_factory=list)  # expired exemptions and suppressions, as findings

    @property
    def kept(self) -> list[Finding]:
        kept = [item.finding for item in self.located if item.suppressed_by is None]
        return sorted(kept + self.expired, key=lambda f: f.sort_key()) if self.expired else kept

    @property
    def suppressed(self) -> list[suppress.Suppressed]:
        return [suppress.Suppressed(item.finding, item.suppressed_by) for item in self.located if item.suppressed_by]


def finalise(
    raw_findings: list[RawFinding],
    params: Params,
    documents: list[Document],
    positions: bool = True,
    controls: Controls | None = None,
) -> Finalised:
    """Deduplicate, locate (one pass per document with findings), render and sort the raw findings, then
    apply the configuration's exemptions and the annotation and comment suppressions written in the
    documents. Without ``positions`` (an admission request: JSON, no comments, and an answer that names
    paths, not lines) findings are not located (line and column are 0) and come in the order of their paths
    in the object."""
    located, matched = finalise_part(raw_findings, params, documents, positions, controls)
    outcome = suppress.summarise(matched, controls)
    return Finalised(located, outcome.notes, outcome.expired)


def finalise_part(
    raw_findings: list[RawFinding],
    params: Params,
    documents: list[Document],
    positions: bool = True,
    controls: Controls | None = None,
) -> tuple[list[Located], suppress.Matched]:
    """finalise() for one part of a scan (one input of a streamed scan): its findings located, rendered and
    excused, and what suppress.summarise() needs, once every part is done, for the scan's notes."""
    located = locate(raw_findings, params, positions)
    matched = suppress.match([(item.finding, item.raw, item.merged) for item in located], documents, controls)
    excused = {id(item.finding): item.by for item in matched.suppressed}
    for item in located:
        item.suppressed_by = excused.get(id(item.finding))
    return located, matched


def locate(raw_findings: list[RawFinding], params: Params, positions: bool = True) -> list[Located]:
    """Each distinct finding, located and rendered, in the stable report order. A rule that reports the same
    value at the same place twice (a pod-level field seen from each of its containers) reports it once; a
    witness in another resource (a ConfigMap line, a Service) is reported for each workload and container it
    concerns."""
    unique: dict[tuple[object, ...], list[RawFinding]] = {}
    first_requests: list[Request] = []  # where each group's first finding is, in the order of the groups
    for raw in raw_findings:
        request = _request(raw)
        key = _place_key(raw, request)
        group = unique.get(key)
        if group is None:
            unique[key] = [raw]
            first_requests.append(request)
        else:
            group.append(raw)
    groups = list(unique.values())
    related = [group[0].related for group in groups]
    others = [(index, other) for index, other in enumerate(related) if other is not None]
    requests = first_requests + [Request(other.document, other.base) for _, other in others]
    found = PositionIndex().locate_all(requests) if positions else [UNLOCATED] * len(requests)
    located = [
        Located(_finding(group[0], position, params), group[0], group)
        for group, position in zip(groups, found, strict=False)
    ]
    for (index, other), position in zip(others, found[len(groups) :], strict=True):
        located[index].finding.related = [_related(other, position)]
    if not positions:  # no lines to sort by
        return _unlocated_order(located, [request.path for request in first_requests])
    return sorted(located, key=lambda item: item.finding.sort_key())


def _unlocated_order(located: list[Located], paths: list[Path]) -> list[Located]:
    """In the order of the findings' paths in their objects (``paths``, one per finding: containers[2] before
    containers[10]), then rule and message. One place holds a mapping or a list, so paths compare step by
    step; a step that is a key in one path and an index in another (a malformed object) falls back to
    comparing kinds first."""

    def key(pair: tuple[Located, Path]) -> tuple[object, ...]:
        finding = pair[0].finding
        return (finding.file, finding.document, pair[1], finding.rule, finding.message)

    def typed_key(pair: tuple[Located, Path]) -> tuple[object, ...]:
        finding = pair[0].finding
        typed = tuple((0, step) if isinstance(step, int) else (1, str(step)) for step in pair[1])
        return (finding.file, finding.document, typed, finding.rule, finding.message)

    pairs = list(zip(located, paths, strict=True))
    try:
        return [item for item, _ in sorted(pairs, key=key)]
    except TypeError:
        return [item for item, _ in sorted(pairs, key=typed_key)]


def _place_key(raw: RawFinding, request: Request) -> tuple[object, ...]:
    """What makes a finding distinct: rule, place (``request``, where it is), line inside the value and
    value; for a witness that lies outside the scope's resource, also the resource and the container (or
    pod) the finding is about."""
    key: tuple[object, ...] = (
        raw.compiled.rule.id,
        id(request.document),
        request.path,
        request.line_in_value,
        value_key(raw.witness.value),
    )
    witness_resource = raw.witness.resource
    if witness_resource is not None and witness_resource is not raw.scope.resource:
        key += (id(raw.scope.resource), raw.scope.home)
    return key


def _request(raw: RawFinding) -> Request:
    located_in = raw.witness.resource or raw.scope.resource
    path = raw.witness.path if raw.witness.path is not None else raw.scope.home
    return Request(
        located_in.document, (*located_in.base, *path), raw.witness.line_in_value, raw.witness.column_in_value
    )


def _related(other: Resource, position: Position) -> dict[str, Any]:
    """Where another object a finding names is written (for a rendered object: its template), and which it is."""
    file, line, column = other.document.source.name, position.line, position.column
    origin = other.document.source.origin
    if origin is not None:
        mapped = origin.map(line, column, other.base)
        file, line, column = mapped.file, mapped.line, mapped.column
    return {"file": file, "line": line, "column": column, "resource": other.ref()}


def _finding(raw: RawFinding, position: Position, params: Params) -> Finding:
    scope, witness, rule = raw.scope, raw.witness, raw.compiled.rule
    located_in = witness.resource or scope.resource
    path = witness.path if witness.path is not None else scope.home
    when_notes = (  # a note without a placeholder is its own rendering
        template_values(scope, reason, params, rule.id, rule.check_id, phrases=rule.phrases)["note"]
        if "{" in reason.note
        else reason.note
        for reason in raw.when_reasons
        if reason.note
    )
    when_note = "; ".join(dict.fromkeys(note for note in when_notes if note))
    values = template_values(scope, witness, params, rule.id, rule.check_id, when_note, rule.phrases)
    file, line, column, rendered = located_in.document.source.name, position.line, position.column, None
    origin = located_in.document.source.origin
    if origin is not None:  # a rendered chart or overlay: the template line, values key or origin file
        mapped = origin.map(line, column, (*located_in.base, *path))
        file, line, column, rendered = mapped.file, mapped.line, mapped.column, mapped.rendered
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=" ".join(render(rule.message, values).split()),
        file=file,
        line=line,
        column=column,
        resource=scope.resource.ref(),
        container=values["container.name"],
        path=values["path"],  # format_path(path), as template_values wrote it
        remediation=_one_line(rule.remediation),
        document=located_in.document.index,
        rendered=rendered,
        value=VALUE_ENCODER.encode(witness.value),
    )


@functools.lru_cache(maxsize=1024)
def _one_line(text: str) -> str:
    """A rule's text with its line breaks and runs of blanks made single spaces (once per rule's text)."""
    return " ".join(text.split())
