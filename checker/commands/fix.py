"""Automatic fixes: the `fix:` operations of rules applied to the documents with findings, with
ruamel.yaml round-trip editing so comments and style survive; other documents stay byte-for-byte.
"""

from __future__ import annotations

import codecs
import difflib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..api import Plan, read, run
from ..engine import RawFinding
from ..findings import Finding
from ..inputs.documents import Document, InputError, Source
from ..inputs.paths import Path, format_path
from ..workloads.pods import value_at

FIX_OPS = ("ensure-in-list", "set")
_SEQUENCE_UNDER_KEY = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*\r?\n( *)- ", re.MULTILINE)


@dataclass(frozen=True)
class Edit:
    op: str
    path: Path  # inside the document
    value: Any
    rule: str = ""  # the rule whose fix this is, for notes


@dataclass
class FileFix:
    name: str
    before: str
    after: str
    encoding: str = "utf-8"  # how to write it back: as it was read (a UTF-16 file stays UTF-16)

    def diff(self) -> str:
        before, after = (self.name, self.name) if self.name.startswith("/") else (f"a/{self.name}", f"b/{self.name}")
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=before,
                tofile=after,
            )
        )


@dataclass
class FixResult:
    files: list[FileFix] = field(default_factory=list)
    edits: int = 0
    without_fix: int = 0
    findings: int = 0  # the findings the fixes were planned for (suppressed ones are left alone)
    notes: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)  # inputs that could not be read or parsed


@dataclass
class DocumentFix:
    """The edits planned for one document, and how many findings they answer."""

    document: Document
    edits: list[Edit] = field(default_factory=list)
    findings: int = 0


@dataclass
class FixPlan:
    documents: dict[int, DocumentFix] = field(default_factory=dict)
    without_fix: int = 0
    notes: list[str] = field(default_factory=list)


def fix(chosen: Plan, paths: list[str], include_hidden: bool = False) -> FixResult:
    """The fixes the selected rules' `fix:` operations make to the findings of a scan of the paths
    (suppressed findings are left alone)."""
    scanned = run(chosen, read(paths, include_hidden))
    kept = [(item.finding, item.raw) for item in scanned.finalised.located if item.suppressed_by is None]
    result = apply_fixes(kept)
    result.errors = scanned.loaded.errors
    return result


def plan_fixes(pairs: list[tuple[Finding, RawFinding]]) -> FixPlan:
    """The edits for each document with fixable findings, how many findings have no fix, and why.

    A ``set`` is written at the finding's own field when the finding points at an existing field of the
    same name (a container overriding the pod's value), since a value set elsewhere would not win over it.
    An operation whose ``unless`` holds on the finding's target is not made; the note gives its ``because``."""
    plan = FixPlan()
    for finding, raw in pairs:
        rule, scope = raw.compiled.rule, raw.scope
        if not rule.fix or raw.witness.resource is not None:  # no fix, or found in another object
            plan.without_fix += 1
            continue
        document = scope.resource.document
        operations = []
        for operation, unless in zip(rule.fix, raw.compiled.fix_unless or [None] * len(rule.fix), strict=True):
            if unless is not None and unless(scope)[0]:
                plan.notes.append(f"{finding.file}:{finding.line}: {rule.id}: no automatic fix: {operation['because']}")
                continue
            operations.append(operation)
        if not operations:
            plan.without_fix += 1
            continue
        planned = plan.documents.setdefault(id(document), DocumentFix(document))
        planned.findings += 1
        for operation in operations:
            real = scope.target_path(tuple(operation["path"].split(".")))
            found = raw.witness.path
            if (
                operation["op"] == "set"
                and found
                and found[-1] == real[-1]
                and value_at(scope.resource.obj, found) is not None
            ):
                real = found
            edit = Edit(operation["op"], (*scope.resource.base, *real), operation["value"], rule.id)
            if edit not in planned.edits:
                planned.edits.append(edit)
    return plan


def apply_fixes(pairs: list[tuple[Finding, RawFinding]]) -> FixResult:
    plan = plan_fixes(pairs)
    result = FixResult(without_fix=plan.without_fix, findings=len(pairs), notes=plan.notes)
    by_source: dict[int, list[DocumentFix]] = defaultdict(list)
    for planned in plan.documents.values():
        by_source[id(planned.document.source)].append(planned)
    for documents in by_source.values():
        source = documents[0].document.source
        if source.is_json:
            result.notes.append(f"{source.name}: JSON is not rewritten; fix it by hand")
            result.without_fix += sum(planned.findings for planned in documents)
            continue
        text = source.text
        for planned in sorted(documents, key=lambda d: d.document.start, reverse=True):
            try:
                text, idle = _fix_document(text, planned.document, planned.edits)
            except RecursionError:
                result.notes.append(
                    f"{source.name}:{planned.document.line}: nested too deeply to rewrite; fix it by hand"
                )
                result.without_fix += planned.findings
                continue
            result.edits += len(planned.edits) - len(idle)
            result.notes.extend(
                f"{source.name}: the {edit.rule} fix at {format_path(edit.path)} changes nothing there; fix it by hand"
                for edit in idle
            )
        if text != source.text:
            result.files.append(FileFix(source.name, source.text, text, _encoding(source)))
    result.files.sort(key=lambda f: f.name)
    return result


def _encoding(source: Source) -> str:
    """How to write a source back as it was: UTF-16 stays UTF-16, a UTF-8 byte order mark stays."""
    if source.encoding != "utf-8-sig":
        return source.encoding
    try:
        with open(source.name, "rb") as handle:
            return "utf-8-sig" if handle.read(3) == codecs.BOM_UTF8 else "utf-8"
    except OSError:
        return "utf-8"


def _fix_document(text: str, document: Document, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """Re-dump one document's span with the edits applied, in the file's own sequence style and line ends;
    also the edits that changed nothing. A document no edit changes stays byte-for-byte."""
    line_start = text.rfind("\n", 0, document.start) + 1
    span = text[line_start : document.end]
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    style = _SEQUENCE_UNDER_KEY.search(span)
    if style and len(style.group(2)) > len(style.group(1)):
        yaml.indent(mapping=2, sequence=4, offset=2)
    else:
        yaml.indent(mapping=2, sequence=2, offset=0)
    data = yaml.load(span)
    idle = [edit for edit in edits if not _apply(data, edit)]
    if len(idle) == len(edits):
        return text, idle
    out = io.StringIO()
    yaml.dump(data, out)
    dumped = out.getvalue()
    if not span.endswith("\n"):
        dumped = dumped.rstrip("\n")
    if "\r\n" in span:
        dumped = dumped.replace("\n", "\r\n")
    return text[:line_start] + dumped + text[document.end :], idle


def _apply(data: Any, edit: Edit) -> bool:
    """Apply one edit; False when the document already says what the edit would write."""
    node = data
    for step in edit.path[:-1]:  # walk down, creating the maps that are missing
        if isinstance(node, list):
            assert isinstance(step, int)
            node = node[step]
            continue
        if node.get(step) is None:
            node[step] = CommentedMap()
        node = node[step]
    last = edit.path[-1]
    if edit.op == "set":
        if last in node and node[last] == edit.value and type(node[last]) is type(edit.value):
            return False
        node[last] = edit.value
        return True
    current = node.get(last)
    if current is None:
        current = node[last] = CommentedSeq()
    if edit.value in current:
        return False
    current.append(edit.value)
    return True
