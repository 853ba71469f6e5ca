"""`kubecheck explain`: for one rule and one input, show per target the facts the rule saw (with the steps
and places that produced them), every clause of when and assert with its verdict, and the finding.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import Any

from ..api import Plan, read, run
from ..engine import scopes_of
from ..facts.scope import Match, Scope
from ..finalise import Located
from ..findings import error_place
from ..inputs.paths import format_path
from ..inputs.positions import PositionIndex, Request
from ..inputs.render import RenderOptions
from ..policy.conditions import CompileEnv, compile_condition
from ..policy.loader import resolve_data
from ..policy.model import CompiledRule
from ..policy.templates import show_value, template_values

CONTAINER_FACTS = (
    "container.effective_capabilities",
    "container.listen_addresses",
    "container.listen_ports",
    "container.user",
)
POD_FACTS = ("pod.sysctls", "pod.ipv6_disabled", "pod.unprivileged_port_start")


def explain(
    chosen: Plan,
    paths: list[str],
    container_name: str | None = None,
    render: RenderOptions | None = None,
    include_hidden: bool = False,
) -> tuple[str, int]:
    """The explanation text, and how many inputs could not be read or parsed. The verdicts are the findings
    the scan pipeline reports for each target (suppressed ones say so); charts and overlays are rendered and
    paths excluded as scan does (``render``)."""
    compiled = chosen.rules[0]
    scanned = run(chosen, read(paths, include_hidden, render=render))
    verdicts: dict[tuple[object, ...], list[Located]] = {}
    for item in scanned.finalised.located:
        for key in dict.fromkeys(_scope_key(merged.scope) for merged in item.merged):
            verdicts.setdefault(key, []).append(item)
    lines: list[str] = [f"rule {compiled.rule.id} ({compiled.rule.scope} scope): {compiled.rule.title}"]
    targets = 0
    for resource in scanned.resources:
        for scope in scopes_of(resource, {compiled.rule.scope}, chosen.params, scanned.context):
            if container_name and (scope.container is None or scope.container.name != container_name):
                continue
            targets += 1
            lines += ["", *_explain_scope(compiled, scope, chosen, verdicts.get(_scope_key(scope), []))]
    if targets == 0:
        lines += [
            "",
            "no target in the input: no object of a kind the rule applies to"
            + (f", or no container named {container_name!r}" if container_name else ""),
        ]
    lines += [
        f"{patch.document.source.name}:{patch.document.line}: note: {patch.kind} {patch.name} is a kustomize patch "
        "(named by a Kustomization of this scan), not checked as a whole object"
        for patch in scanned.patches
    ]
    lines += [f"warning: {warning}" for warning in scanned.loaded.warnings]
    lines += [f"{error_place(e)}: error: {e.message}" for e in scanned.errors]
    # A --container that names no container of the input is a mistake, not a pass.
    missing_container = 1 if container_name and targets == 0 else 0
    return "\n".join(lines) + "\n", len(scanned.errors) + missing_container


def _scope_key(scope: Scope) -> tuple[object, ...]:
    """What tells one evaluation target from another across passes: the object, the scope kind, the pod
    view's role and the container's place."""
    container = scope.container
    role = scope.workload.role if scope.workload is not None else None
    return (
        id(scope.resource),
        scope.kind,
        role,
        container.group if container else None,
        container.index if container else None,
    )


def _explain_scope(compiled: CompiledRule, scope: Scope, chosen: Plan, verdicts: list[Located]) -> Iterator[str]:
    resource = scope.resource
    where = f"{resource.document.source.name}:{resource.document.line}"
    target = f"{resource.kind}/{resource.name}"
    if scope.workload is not None and scope.workload.role:
        target += f" ({scope.workload.role})"
    if scope.container is not None:
        target += f" container {scope.container.name} at {format_path(scope.home)}"
    yield f"{where}  {target}"
    yield "  facts:"
    yield from (f"    {line}" for line in _facts(compiled, scope))
    env = CompileEnv(
        compiled.rule.scope, chosen.params, {**chosen.params.data, **resolve_data(compiled.rule.data, chosen.params)}
    )
    applies = True
    if compiled.rule.when_spec is not None:
        yield "  when:"
        # when's notes say why the rule applies: shown where its leaves hold
        applies = yield from _clause(compiled.rule.when_spec, ("when",), env, scope, 2, True, compiled)
    if not applies:
        yield "  verdict: the rule does not apply here (when does not hold): no finding"
        return
    yield "  assert:"
    yield from _clause(compiled.rule.assert_spec, ("assert",), env, scope, 2, False, compiled)
    if not verdicts:
        yield "  verdict: passes: no finding"
    for item in verdicts:
        finding, by = item.finding, item.suppressed_by
        yield f"  verdict: FINDING at {finding.file}:{finding.line}:{finding.column} ({finding.path})"
        yield f"    {finding.message}"
        if by is not None:
            yield f"    suppressed by the {by.kind} at {by.file}:{by.line}: {by.reason}"


def _facts(compiled: CompiledRule, scope: Scope) -> Iterator[str]:
    from ..facts import FACTS

    names = list(POD_FACTS)
    if scope.container is not None:
        names = [*CONTAINER_FACTS, *names]
    names += [
        n for n in _facts_used(compiled.rule.when_spec) + _facts_used(compiled.rule.assert_spec) if n not in names
    ]
    for name in names:
        if scope.workload is None and not name.startswith("resource."):
            continue
        matches = FACTS[name].compute(scope)
        scope.facts.setdefault(name, matches)
        detail = FACTS[name].detail
        lines = detail(scope) if detail is not None else []
        if not matches and not lines:
            yield f"{name}: (none)"
            continue
        yield f"{name}:"
        yield from (f"  {line}" for line in lines)
        if FACTS[name].detail_only:
            continue
        for match in matches:
            yield f"  {show_value(match.value)}{_located(scope, match)}" + (f"  {match.note}" if match.note else "")


def _facts_used(spec: Any) -> list[str]:
    if isinstance(spec, dict):
        found = [spec["fact"]] if isinstance(spec.get("fact"), str) else []
        for value in spec.values():
            found += _facts_used(value)
        return found
    if isinstance(spec, list):
        return [name for item in spec for name in _facts_used(item)]
    return []


BRANCHES = ("all", "any", "not")


def _clause(
    spec: Any,
    where: tuple[str | int, ...],
    env: CompileEnv,
    scope: Scope,
    depth: int,
    negated: bool,
    compiled: CompiledRule,
    parent_blamed: bool = True,
) -> Generator[str, None, bool]:
    """Print a clause with its verdict and the values that decided it. A leaf's notes say why a value is a
    problem, so they are shown only for blamed leaves: those in the state that works against the rule (a
    failing clause, or a holding one under an odd number of ``not``) whose every parent is blamed too."""
    holds, witnesses = compile_condition(spec, where, env)(scope)
    pad = "  " * depth
    key = next((k for k in spec if k in BRANCHES), None) if isinstance(spec, dict) else None
    verdict = "holds" if holds else "FAILS"
    if key is None:  # a leaf, or an each clause (its witnesses are the elements that decided it)
        yield f"{pad}{verdict:<6} {json.dumps(spec, separators=(', ', ': '), default=str)}"
        blamed = holds == negated and parent_blamed
        for witness in witnesses[:8]:
            if witness.value is None and witness.path is None:
                continue
            value = "(absent)" if witness.value is None else show_value(witness.value)
            note = ""
            if blamed and witness.note:
                values = template_values(
                    scope, witness, env.params, compiled.rule.id, compiled.rule.check_id, phrases=compiled.rule.phrases
                )
                note = "  " + " ".join(values["note"].split())
            yield f"{pad}         {value}{_located(scope, witness)}{note}"
        if len(witnesses) > 8:
            yield f"{pad}         ... and {len(witnesses) - 8} more"
        return holds
    yield f"{pad}{verdict:<6} {key}:"
    parts = [spec[key]] if key == "not" else spec[key]
    for index, part in enumerate(parts):
        inner_where = (*where, key) if key == "not" else (*where, key, index)
        yield from _clause(
            part,
            inner_where,
            env,
            scope,
            depth + 1,
            negated != (key == "not"),
            compiled,
            holds == negated and parent_blamed,
        )
    return holds


def _located(scope: Scope, match: Match) -> str:
    if match.path is None:
        return ""
    resource = match.resource or scope.resource
    position = PositionIndex().locate_all(
        [Request(resource.document, (*resource.base, *match.path), match.line_in_value, match.column_in_value)]
    )[0]
    return f"  at {format_path(match.path)} (line {position.line})"
