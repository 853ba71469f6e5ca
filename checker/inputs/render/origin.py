"""Map a place in rendered text back to the source that produced it.

Helm: the rendered lines of a template are aligned with the template's lines (difflib over stripped lines,
in order); a rendered line that equals a template line points at it. A line that does not (it was produced by a
directive) points at the directive that emits it: the template line between the aligned neighbours that holds
`{{`, preferring one whose literal text before `{{` starts the rendered line or, failing that, the nearest
of its parent lines (`securityContext: {{ include ... | nindent 12 }}` emits every line of the block). When that
directive reads
`.Values.a.b` (e.g. `{{- toYaml .Values.a.b | nindent 8 }}`) and the key a.b (or the deepest key below it that
matches the finding's path) is written in a values file (the user's --values files first, last file first,
then the chart's values.yaml), the place is that key; `toYaml .` right inside `{{- with .Values.a.b }}` counts
as reading a.b. Values set with --helm-set, defaults from `default`, values passed through helpers (`include`)
and `range` variables are not traced: the directive line is reported.

Kustomize: the object's config.kubernetes.io/origin path names its file; the same path is looked up in the
object of that kind and name in that file (before patches, prefixes and namespaces changed it), else its
first line.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .values import key_position

_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][\w-]*)+)")
_WITH_VALUES = re.compile(r"\{\{-?\s*with\s+\.Values((?:\.[A-Za-z_][\w-]*)+)\s*-?\}\}")
_DOT = re.compile(r"(toYaml|toJson)\s+\.\s|\{\{-?\s*\.\s*-?\}\}")
_CONTROL = re.compile(r"^\s*\{\{-?\s*(if|else|end|range|with|define|block|template|/\*)\b")


@dataclass(frozen=True)
class Mapped:
    """Where a finding in rendered text comes from, and how the text was produced (JSON `rendered`)."""

    file: str
    line: int
    column: int
    rendered: dict[str, Any]


@dataclass
class HelmOrigin:
    """A template's rendered output: the chart, the template file, the values files that fed it."""

    chart: str
    template: str
    rendered_text: str
    values_files: tuple[str, ...]  # the chart's values.yaml, then the user's --values files in order
    helm_set: tuple[str, ...] = ()
    _lines: list[int | None] | None = field(default=None, repr=False)
    _template_lines: list[str] = field(default_factory=list, repr=False)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"chart": self.chart, "values": list(self.values_files), "template": self.template}
        if self.helm_set:
            described["set"] = list(self.helm_set)
        return described

    def map(self, line: int, column: int, path: tuple[Any, ...]) -> Mapped:
        """The template line (or values key) behind a 1-based line and column of the rendered text."""
        aligned = self._aligned()
        rendered_lines = self.rendered_text.splitlines()
        if not self._template_lines or not 1 <= line <= len(aligned):
            return Mapped(self.template, line, column, self.describe())
        target = aligned[line - 1]
        rendered_line = rendered_lines[line - 1]
        if target is not None:
            template_line = self._template_lines[target]
            shift = _indent(template_line) - _indent(rendered_line)
            return Mapped(self.template, target + 1, max(1, column + shift), self.describe())
        emitter = self._emitter(line - 1, rendered_line)
        if emitter is None:
            return Mapped(self.template, line, column, self.describe())
        from_values = self._values_key(emitter, path)
        if from_values is not None:
            return from_values
        return Mapped(self.template, emitter + 1, _indent(self._template_lines[emitter]) + 1, self.describe())

    def _aligned(self) -> list[int | None]:
        """For each rendered line, the 0-based template line it equals (after alignment), or None."""
        if self._lines is not None:
            return self._lines
        try:
            with open(self.template, encoding="utf-8", errors="replace") as handle:
                self._template_lines = handle.read().splitlines()
        except OSError:
            self._template_lines = []
        rendered = [text.strip() for text in self.rendered_text.splitlines()]
        template = [text.strip() for text in self._template_lines]
        lines: list[int | None] = [None] * len(rendered)
        matcher = difflib.SequenceMatcher(None, rendered, template, autojunk=False)
        for block in matcher.get_matching_blocks():
            for offset in range(block.size):
                if rendered[block.a + offset]:
                    lines[block.a + offset] = block.b + offset
        self._lines = lines
        return lines

    def _emitter(self, index: int, rendered_line: str) -> int | None:
        """The template line of the directive that produced a rendered line no template line equals."""
        aligned = self._lines or []
        before = next((line for line in reversed(aligned[:index]) if line is not None), -1)
        after = next((line for line in aligned[index + 1 :] if line is not None), None)
        end = after if after is not None and after > before else len(self._template_lines)
        candidates = [i for i in range(before + 1, end) if "{{" in self._template_lines[i]]
        rendered_lines = self.rendered_text.splitlines()
        indent = _indent(rendered_line) + 1
        for j in range(index, -1, -1):  # the line, then its parents up to the aligned line before it
            if aligned[j] is not None and j != index:
                break
            if _indent(rendered_lines[j]) >= indent or not rendered_lines[j].strip():
                continue
            indent = _indent(rendered_lines[j])
            stripped = rendered_lines[j].strip()
            for i in candidates:
                literal = self._template_lines[i].split("{{", 1)[0].strip()
                if any(c.isalnum() for c in literal) and stripped.startswith(literal):
                    return i
        emitting = [i for i in candidates if not _CONTROL.match(self._template_lines[i])]
        chosen = emitting or candidates
        return chosen[0] if chosen else None

    def _values_key(self, emitter: int, path: tuple[Any, ...]) -> Mapped | None:
        reference = _VALUES_REF.search(self._template_lines[emitter])
        if reference is None and _DOT.search(self._template_lines[emitter]):
            # `toYaml .` inside `{{- with .Values.x }}`: the with block's value
            for i in range(emitter - 1, max(-1, emitter - 4), -1):
                opening = _WITH_VALUES.search(self._template_lines[i])
                if opening:
                    reference = opening
                    break
        if reference is None:
            return None
        keys = tuple(reference.group(1).strip(".").split("."))
        for values_file in reversed(self.values_files):
            try:
                with open(values_file, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            for tail in range(len(path), -1, -1):  # the deepest part of the finding's path written there
                found = key_position(text, (*keys, *path[len(path) - tail :]))
                if found is not None:
                    return Mapped(values_file, found[0], found[1], self.describe())
        return None


@dataclass
class KustomizeOrigin:
    """An object built by kustomize: the kustomization built and the file its origin annotation names."""

    kustomization: str
    file: str  # the origin file, or the kustomization file for generated objects
    kind: str
    name: str

    def describe(self) -> dict[str, Any]:
        return {"kustomization": self.kustomization}

    def map(self, line: int, column: int, path: tuple[Any, ...]) -> Mapped:
        """The place of the same path in the object's document of its origin file: the document of that kind
        and name (namePrefix and nameSuffix may surround the name), else, when a patch renamed it, the only
        document of that kind there. When the path is not written there (a patch added it), the place in the
        first patch file of the kustomization (patches: path:, patchesStrategicMerge:) that writes it for an
        object of that kind; else the nearest parent field in the origin document; else its first line."""
        from ..positions import PositionIndex, Request

        documents = _documents_of(self.file)
        if documents is None:
            return Mapped(self.file, 1, 1, self.describe())
        document = _document_for(documents, self.kind, self.name)
        if document is None:
            return Mapped(self.file, 1, 1, self.describe())
        position = PositionIndex().locate_all([Request(document, path)])[0]
        if not position.exact:
            for patch_file in _patch_files(self.kustomization):
                patch_documents = _documents_of(patch_file) or []
                patch = _document_for(patch_documents, self.kind, self.name)
                if patch is not None:
                    in_patch = PositionIndex().locate_all([Request(patch, path)])[0]
                    if in_patch.exact:
                        return Mapped(patch_file, in_patch.line, in_patch.column, self.describe())
        return Mapped(self.file, position.line, position.column, self.describe())


def _documents_of(file: str) -> list[Any] | None:
    """The parsed documents of a file (None when it cannot be read)."""
    from ..documents import Source
    from ..yaml_parser import parse_yaml

    try:
        with open(file, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    return list(parse_yaml(Source(file, text)).documents)


def _document_for(documents: list[Any], kind: str, name: str) -> Any:
    """The document of an object of that kind and name, else the only one of that kind, else None."""
    of_kind = [
        document
        for document in documents
        if isinstance(document.data, dict)
        and document.data.get("kind") == kind
        and isinstance(document.data.get("metadata"), dict)
    ]
    for document in of_kind:
        if _same_name(str(document.data["metadata"].get("name")), name):
            return document
    return of_kind[0] if len(of_kind) == 1 else None


def _patch_files(kustomization: str) -> list[str]:
    """The patch files a kustomization names (patches: - path:, patchesStrategicMerge:), as paths."""
    import yaml

    try:
        with open(kustomization, encoding="utf-8", errors="replace") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(data, dict):
        return []
    folder = os.path.dirname(kustomization)
    named: list[str] = []
    for entry in data.get("patches") or []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            named.append(entry["path"])
    for entry in data.get("patchesStrategicMerge") or []:
        if isinstance(entry, str) and "\n" not in entry:
            named.append(entry)
    return [os.path.normpath(os.path.join(folder, name)) for name in named]


def _same_name(written: str, built: str) -> bool:
    """Whether a name written in a file is the built object's (namePrefix and nameSuffix may surround it)."""
    return written == built or (bool(written) and written in built)


Origin = HelmOrigin | KustomizeOrigin


def relative_display(path: str) -> str:
    """A path as reports show it: normalised, relative when below the working directory."""
    return os.path.normpath(path)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))
