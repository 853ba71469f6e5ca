"""Message and note templates of rules: the placeholders they may name (with a match's record values and
the rule's phrases), their check at load time, and filling them in for a finding.
"""

from __future__ import annotations

import functools
import json
import re
from collections import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..inputs.paths import Path, format_path
from .params import Params

if TYPE_CHECKING:
    from ..facts.registry import RecordKeys
    from ..facts.scope import Match, Scope
    from ..workloads.pods import Container

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
PARAM, RECORD, PHRASE = "param.", "record.", "phrase."
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")  # a phrase name, or a record key
TEMPLATE_NAMES = frozenset(
    {
        "value",
        "note",
        "path",
        "key",
        "when.note",
        "container.name",
        "container.group",
        "element.name",
        "workload.role",
        "resource.kind",
        "resource.name",
        "resource.namespace",
        "resource.apiVersion",
        "namespace",
        "rule.id",
        "rule.check_id",
        "pod.securityContext",
    }
)


@dataclass(frozen=True)
class Phrase:
    """A named text fragment of a rule (``phrases:``), named in its templates as ``{phrase.NAME}``: a fixed
    text, or the text of the case that the value of another placeholder (``by``) names; a value that no
    case names takes ``default`` (without one: nothing). Its texts are templates themselves."""

    by: str | None
    cases: dict[str, str] = field(default_factory=dict, hash=False)
    default: str | None = None

    def text_for(self, values: abc.Mapping[str, Any]) -> str:
        if self.by is not None:
            chosen = self.cases.get(show_value(values.get(self.by)))
            if chosen is not None:
                return chosen
        return self.default or ""

    @property
    def texts(self) -> list[str]:
        return [*self.cases.values(), *([self.default] if self.default is not None else [])]


def template_mistake(
    template: str,
    params: abc.Container[str],
    phrases: abc.Mapping[str, Phrase] | None = None,
    records: RecordKeys | None = None,
) -> str | None:
    """What is wrong with a template, or None: an unknown placeholder, or a brace that opens or closes none.
    Without ``phrases`` (or ``records``) any well-formed phrase (record) name passes: the rule's loader
    checks those names against the rule's phrases and the records of the facts it reads."""
    for name in PLACEHOLDER.findall(template):
        mistake = placeholder_mistake(name, params, phrases, records)
        if mistake is not None:
            return mistake
    stray = PLACEHOLDER.sub("", template)
    if "{" in stray or "}" in stray:
        return "a { or } that is not part of a placeholder like {container.name}"
    return None


def placeholder_mistake(
    name: str,
    params: abc.Container[str],
    phrases: abc.Mapping[str, Phrase] | None = None,
    records: RecordKeys | None = None,
) -> str | None:
    """What is wrong with one placeholder name (written without braces), or None."""
    if name in TEMPLATE_NAMES or (name.startswith(PARAM) and name[len(PARAM) :] in params):
        return None
    if name.startswith(PHRASE) and NAME.match(name[len(PHRASE) :]):
        if phrases is None or name[len(PHRASE) :] in phrases:
            return None
        declared = ", ".join(sorted(phrases)) or "none"
        return f"unknown phrase {{{name}}} (the rule's phrases: {declared})"
    if name.startswith(RECORD) and NAME.match(name[len(RECORD) :]):
        if records is None or name[len(RECORD) :] in records:
            return None
        known = ", ".join(sorted(records)) or "none"
        return f"unknown record key {{{name}}}: no fact the rule reads records it (their record keys: {known})"
    return (
        f"unknown placeholder {{{name}}} (known: {', '.join(sorted(TEMPLATE_NAMES))}, param.NAME, record.KEY, "
        "phrase.NAME)"
    )


def phrases_named(template: str) -> list[str]:
    """The phrases a template names, in order."""
    return [name[len(PHRASE) :] for name in PLACEHOLDER.findall(template) if name.startswith(PHRASE)]


def phrase_cycle(phrases: abc.Mapping[str, Phrase]) -> list[str] | None:
    """A chain of phrases that names its own start (a, b, a), or None: such a phrase could not be filled in."""
    finished: set[str] = set()

    def visit(name: str, chain: list[str]) -> list[str] | None:
        if name in chain:
            return [*chain[chain.index(name) :], name]
        if name in finished or name not in phrases:
            return None
        for text in phrases[name].texts:
            for named in phrases_named(text):
                found = visit(named, [*chain, name])
                if found is not None:
                    return found
        finished.add(name)
        return None

    for name in phrases:
        found = visit(name, [])
        if found is not None:
            return found
    return None


def render(template: str, values: abc.Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders; a phrase is filled in with the text it picks for these values; names
    not in ``values`` render as an empty string."""
    if "{" not in template:  # no placeholder (most notes, which facts write from the object's own values)
        return template
    pieces = _pieces(template)
    out: list[str] = []
    for literal, name in pieces:
        out.append(literal)
        if name is None:
            continue
        value = values.get(name)
        if isinstance(value, Phrase):
            out.append(render(value.text_for(values), values))
        elif value is not None:
            out.append(str(value))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _pieces(template: str) -> tuple[tuple[str, str | None], ...]:
    """A template as (text, placeholder name) pieces, the last with no name: split once per template (rule
    messages, notes and phrase texts are few), not matched again for every finding."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for match in PLACEHOLDER.finditer(template):
        pieces.append((template[at : match.start()], match.group(1)))
        at = match.end()
    pieces.append((template[at:], None))
    return tuple(pieces)


def template_values(
    scope: Scope,
    witness: Match,
    params: Params,
    rule_id: str,
    check_id: str | None,
    when_note: str = "",
    phrases: abc.Mapping[str, Phrase] | None = None,
) -> dict[str, Any]:
    """The values a template may name, for one witness of a rule on one target: the witness's record as
    ``record.KEY`` and the rule's phrases as ``phrase.NAME``; the witness's own note is filled in too (notes
    written in rules may use placeholders)."""
    path = witness.path if witness.path is not None else scope.home
    container, workload, resource = finding_container(scope, witness), scope.workload, scope.resource
    values: dict[str, Any] = {
        "value": show_value(witness.value),
        "note": witness.note,
        "path": _format_path(path),
        "key": str(path[-1]) if path else "",
        "when.note": when_note,
        "container.name": container.name if container else None,
        "element.name": witness.element_name,
        "container.group": container.group if container else None,
        "workload.role": workload.role if workload else None,
        "resource.kind": resource.kind,
        "resource.name": resource.name,
        "resource.namespace": resource.namespace,
        "namespace": scope.namespace if scope.namespace is not None else "(none set)",
        "resource.apiVersion": resource.api_version,
        "rule.id": rule_id,
        "rule.check_id": check_id,
        "pod.securityContext": _format_path(workload.real_path(("spec", "securityContext"))) if workload else None,
    }
    values.update(params.placeholders)
    for key, value in witness.record.items():
        values[RECORD + key] = show_value(value)
    for name, phrase in (phrases or {}).items():
        values[PHRASE + name] = phrase
    values["note"] = render(witness.note, values)
    return values


@functools.lru_cache(maxsize=4096)
def _format_path(path: Path) -> str:
    """format_path, remembered: every finding's message values write its path and its pod's securityContext
    path, and the same few paths recur in every review (13 renderings, ~0.09 of a Deployment review's
    0.76 CPU ms, before this cache). Paths are tuples of str keys and int indices, so equal tuples render the
    same."""
    return format_path(path)


def finding_container(scope: Scope, witness: Match) -> Container | None:
    """The container a finding is about: the scope's, or for a pod-level rule the container whose field the
    witness is (a container named by a Pod Security check, say)."""
    if scope.container is not None or scope.workload is None or witness.path is None:
        return scope.container
    if witness.resource is not None and witness.resource is not scope.resource:
        return None
    return scope.workload.container_at(witness.path)


def show_value(value: object) -> str:
    """A value as a message shows it: booleans in YAML spelling, nothing for an absent value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)
