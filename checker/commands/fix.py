"""Automatic fixes: the `fix:` operations of rules applied to the documents with findings, as edits of the
text in place (yaml_edit.py), checked against the original before anything is written (fix_verify.py).

A file that cannot be edited safely is refused with an error and left byte-for-byte; the others are fixed.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..api import Plan, read, run
from ..engine import RawFinding
from ..findings import Finding
from ..inputs.decoding import MAX_FILE_BYTES
from ..inputs.documents import STDIN_NAME, Document, InputError, Source
from ..inputs.paths import Path, format_path
from ..inputs.render import RenderOptions
from ..inputs.yaml_edit import EditError, append_to_list, regions, set_value
from ..report.escaping import visible
from ..semantics.capabilities import covered_by_drop_all
from ..workloads.pods import value_at
from .atomic_write import replace_file
from .fix_verify import problem_with, same_tree

FIX_OPS = ("ensure-in-list", "set")
DROP = ("capabilities", "drop")


@dataclass(frozen=True)
class Edit:
    op: str
    path: Path  # inside the document
    value: Any
    rule: str = ""  # the rule whose fix this is, for notes
    base: Path = ()  # where the object sits in the document (an item of a List): path starts with it


@dataclass
class FileFix:
    name: str
    before: str
    after: str
    edits: int = 0

    def diff(self) -> str:
        name = visible(self.name)  # the file name as a visible escape where it holds control characters
        before, after = (name, name) if name.startswith("/") else (f"a/{name}", f"b/{name}")
        lines = difflib.unified_diff(_lines(self.before), _lines(self.after), fromfile=before, tofile=after)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _lines(text: str) -> list[str]:
    """Lines as diff and patch count them: split at line feeds only, each with its line end."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


@dataclass
class FixResult:
    files: list[FileFix] = field(default_factory=list)  # the files the fixes change, by name
    outputs: list[tuple[str, str]] = field(default_factory=list)  # every input with documents, as fixed, in order
    edits: int = 0
    without_fix: int = 0
    findings: int = 0  # the findings the fixes were planned for (suppressed ones are left alone)
    notes: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)  # inputs that could not be read or parsed
    refused: list[InputError] = field(default_factory=list)  # files that could not be fixed safely, left as they are


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


class _Refused(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def fix(chosen: Plan, paths: list[str], include_hidden: bool = False, render: RenderOptions | None = None) -> FixResult:
    """The fixes the selected rules' `fix:` operations make to the findings of a scan of the paths
    (suppressed findings are left alone). Files with input errors are not edited. Charts and overlays are
    rendered as scan renders them (``render``); their objects are generated text, which no fix edits: each
    of their fixable findings gets a note saying so."""
    scanned = run(chosen, read(paths, include_hidden, render=render))
    kept = [(item.finding, item.raw) for item in scanned.finalised.located if item.suppressed_by is None]
    result = apply_fixes(kept, scanned.loaded.documents, {error.file for error in scanned.errors})
    result.errors = scanned.errors
    result.notes[:0] = [f"warning: {warning}" for warning in scanned.loaded.warnings]
    return result


def plan_fixes(pairs: list[tuple[Finding, RawFinding]]) -> FixPlan:
    """The edits for each document with fixable findings, how many findings have no fix, and why.

    A ``set`` is written at the finding's own field when the finding points at an existing field of the
    same name (a container overriding the pod's value), since a value set elsewhere would not win over it.
    An operation whose ``unless`` holds on the finding's target is not made; the note gives its ``because``.
    A capability added to a drop list that also gets (or has) ALL is left out: ALL drops it already."""
    plan = FixPlan()
    for finding, raw in pairs:
        rule, scope = raw.compiled.rule, raw.scope
        if not rule.fix or raw.witness.resource is not None:  # no fix, or found in another object
            plan.without_fix += 1
            continue
        document = scope.resource.document
        generated = _generated_by(document.source.origin)
        if generated is not None:  # rendered text: no file holds it, so nothing is written
            plan.without_fix += 1
            plan.notes.append(
                f"{finding.file}:{finding.line}: {rule.id}: not fixed: the object is {generated}, and fix cannot "
                f"edit generated text; change the source at {finding.file}:{finding.line} by hand"
            )
            continue
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
            base = scope.resource.base
            edit = Edit(operation["op"], (*base, *real), operation["value"], rule.id, base)
            if edit not in planned.edits:
                planned.edits.append(edit)
    for planned in plan.documents.values():
        planned.edits = _without_drops_covered_by_all(planned.document.data, planned.edits)
    return plan


def _generated_by(origin: object) -> str | None:
    """How a rendered document was produced (``rendered from the Helm chart C``, ``built by the kustomization
    K``), or None for a document read from its file."""
    if origin is None:
        return None
    described: dict[str, Any] = getattr(origin, "describe", dict)()
    if "chart" in described:
        return f"rendered from the Helm chart {described['chart']}"
    if "kustomization" in described:
        return f"built by the kustomization {described['kustomization']}"
    return "rendered"


def _without_drops_covered_by_all(data: Any, edits: list[Edit]) -> list[Edit]:
    """The edits less those adding a capability to a drop list that holds ALL or gets it from another edit."""
    kept = []
    for edit in edits:
        if edit.op == "ensure-in-list" and edit.path[-2:] == DROP:
            current = value_at(data, edit.path)
            drops = [*(current if isinstance(current, list) else ()), *_added(edits, edit.path)]
            adds = value_at(data, (*edit.path[:-1], "add"))
            if covered_by_drop_all(edit.value, drops, adds if isinstance(adds, list) else []):
                continue
        kept.append(edit)
    return kept


def _added(edits: list[Edit], path: Path) -> list[Any]:
    return [edit.value for edit in edits if edit.op == "ensure-in-list" and edit.path == path]


def apply_fixes(
    pairs: list[tuple[Finding, RawFinding]], documents: list[Document], broken: set[str] | None = None
) -> FixResult:
    """Make the planned edits, file by file. ``documents`` are all documents of the scan in input order (each
    file's edits are checked against all of its documents); files named in ``broken`` had input errors and
    are not edited."""
    plan = plan_fixes(pairs)
    result = FixResult(without_fix=plan.without_fix, findings=len(pairs), notes=plan.notes)
    by_source: dict[int, list[DocumentFix]] = defaultdict(list)
    for planned in plan.documents.values():
        by_source[id(planned.document.source)].append(planned)
    documents_of: dict[int, list[Document]] = defaultdict(list)
    sources: dict[int, Source] = {}
    for document in documents:
        documents_of[id(document.source)].append(document)
        sources.setdefault(id(document.source), document.source)
    fixed_text: dict[int, str] = {}
    for key, planned_documents in by_source.items():
        source = planned_documents[0].document.source
        findings = sum(planned.findings for planned in planned_documents)
        if source.is_json:
            result.notes.append(f"{source.name}: JSON is not rewritten; fix it by hand")
            result.without_fix += findings
            continue
        if broken and source.name in broken:
            result.refused.append(
                InputError(source.name, None, "not fixed: the file has input errors (reported above); fix them first")
            )
            result.without_fix += findings
            continue
        try:
            text, made, idle = _fix_source(source, planned_documents, documents_of[key])
        except _Refused as refused:
            result.refused.append(InputError(source.name, refused.line, f"not fixed: {refused.message}"))
            result.without_fix += findings
            continue
        except RecursionError:
            too_deep = "not fixed: nested too deeply to check; fix it by hand"
            result.refused.append(InputError(source.name, None, too_deep))
            result.without_fix += findings
            continue
        result.notes.extend(
            f"{source.name}: the {edit.rule} fix at {format_path(edit.path)} changes nothing there; fix it by hand"
            for edit in idle
        )
        if text != source.text:
            result.edits += made
            result.files.append(FileFix(source.name, source.text, text, made))
            fixed_text[key] = text
    result.files.sort(key=lambda f: f.name)
    result.outputs = [(source.name, fixed_text.get(key, source.text)) for key, source in sources.items()]
    return result


def _fix_source(source: Source, planned: list[DocumentFix], documents: list[Document]) -> tuple[str, int, list[Edit]]:
    """The source's text with every planned edit made, the number of edits that changed something and the
    edits that changed nothing; raises _Refused when an edit cannot be made safely or the result differs
    from the original in anything but the edits."""
    text = source.text
    made_count = 0
    idle: list[Edit] = []
    expected = {id(document): document.data for document in documents}
    for fix_of_document in sorted(planned, key=lambda d: d.document.start, reverse=True):
        document = fix_of_document.document
        line_start = text.rfind("\n", 0, document.start) + 1
        lines_before = text.count("\n", 0, line_start)
        made: list[Edit] = []
        unchanged: list[Edit] = []
        span = _edited(text[line_start : document.end], fix_of_document.edits, lines_before, made, unchanged)
        made_count += len(made)
        wanted = document.data
        for edit in fix_of_document.edits:  # an unchanged edit may have been made through an alias
            try:
                wanted = _applied(wanted, edit)
            except (AttributeError, IndexError, KeyError, TypeError, ValueError):
                shape = f"{format_path(edit.path)}: unexpected shape for the {edit.rule} fix"
                raise _Refused(document.line, shape) from None
        # an edit that changed no text is idle only when the original already said so (not when an earlier
        # edit wrote it, through an alias to the same node)
        idle.extend(edit for edit in unchanged if same_tree(_applied(document.data, edit), document.data))
        text = text[:line_start] + span + text[document.end :]
        expected[id(document)] = wanted
    problem = problem_with(source, text, [expected[id(document)] for document in documents])
    if problem is not None:
        raise _Refused(*problem)
    return text, made_count, idle


def _edited(span: str, edits: list[Edit], lines_before: int, made: list[Edit], idle: list[Edit]) -> str:
    """One document's text with its edits made (noted in made, or in idle when they change nothing). The
    objects of a List are edited each on its own text, so a large List is not read again per edit."""
    bases = sorted({edit.base for edit in edits})
    try:
        cut = regions(span, bases) if bases != [()] else None
        if cut is None:
            return _edited_region(span, edits, 0, lines_before, made, idle)
        for region in reversed(cut):
            own = [edit for edit in edits if edit.base == region.path]
            offset = lines_before + span.count("\n", 0, region.start)
            edited = _edited_region(region.cut(span), own, region.owner_column, offset, made, idle, len(region.path))
            span = region.paste(span, edited)
    except EditError as error:
        raise _Refused(None if error.line is None else error.line + lines_before, error.message) from None
    except RecursionError:
        raise _Refused(lines_before + 1, "nested too deeply to rewrite; fix it by hand") from None
    return span


def _edited_region(
    text: str,
    edits: list[Edit],
    owner_column: int,
    lines_before: int,
    made: list[Edit],
    idle: list[Edit],
    skip: int = 0,
) -> str:
    for edit in edits:
        operation = append_to_list if edit.op == "ensure-in-list" else set_value
        try:
            changed = operation(text, edit.path[skip:], edit.value, owner_column)
        except EditError as error:
            line = None if error.line is None else error.line + lines_before
            raise _Refused(line, f"{error.message} (where the {edit.rule} fix writes)") from None
        if changed is None:
            idle.append(edit)
        else:
            made.append(edit)
            text = changed
    return text


def _applied(data: Any, edit: Edit) -> Any:
    """The plain data with one edit made: what the edited text must read back as. The containers on the
    edit's path are copied; everything else is shared with the original."""
    root = _copied(data)
    node = root
    for step in edit.path[:-1]:
        if isinstance(node, list):
            node[int(step)] = _copied(node[int(step)])
            node = node[int(step)]
            continue
        node[step] = {} if node.get(step) is None else _copied(node[step])
        node = node[step]
    last = edit.path[-1]
    if edit.op == "set":
        node[last] = edit.value
    elif node.get(last) is None:
        node[last] = [edit.value]
    elif edit.value not in node[last]:  # ensure-in-list: a value already there is not added again
        node[last] = [*node[last], edit.value]
    return root


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    raise TypeError(f"{type(value).__name__} on an edit's path")


def write_fixes(result: FixResult) -> list[InputError]:
    """Write each fixed file in its own encoding, atomically; the files that could not be written (each left
    as it was) as errors. A file changed on disk since it was read is not overwritten."""
    errors = []
    for file_fix in result.files:
        if file_fix.name == STDIN_NAME:
            continue
        try:
            with open(file_fix.name, "rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
            if _encode_like(file_fix.before, raw) != raw:
                errors.append(InputError(file_fix.name, None, "not written: the file changed since it was read"))
                continue
            replace_file(file_fix.name, _encode_like(file_fix.after, raw))
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            errors.append(InputError(file_fix.name, None, f"not written, left as it was: {reason}"))
    return errors


_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF8, "utf-8"),
)


def _encode_like(text: str, raw: bytes) -> bytes:
    """The text in the encoding and with the byte order mark of the file's bytes (UTF-8 without a mark when
    it has none)."""
    for mark, codec in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            return mark + text.encode(codec)
    return text.encode("utf-8")


def joined_outputs(outputs: list[tuple[str, str]]) -> str:
    """The fixed texts of several inputs as one YAML stream: each ends its last line, and a ``---`` starts the
    next unless it starts with one (an input with directives gets ``...`` before it instead, as YAML asks)."""
    parts: list[str] = []
    for index, (_, text) in enumerate(outputs):
        if index and parts[-1] and not parts[-1].endswith("\n"):
            parts.append("\n")
        head = text.lstrip("\ufeff")
        first = next((line for line in head.split("\n") if line.strip() and not line.lstrip().startswith("#")), "")
        if index and not first.startswith("---"):
            parts.append("...\n" if first.startswith("%") else "---\n")
        parts.append(head)
    return "".join(parts)
