"""Evaluate compiled rules on every resource, pod view and container, producing raw findings: the rule,
the scope it failed on, and the witness (value, place, note) that explains the failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .context import ScanContext
from .policy.model import CompiledRule
from .policy.params import Params
from .resources import Resource
from .scope import Match, Scope
from .workloads import Workload, workloads_of


@dataclass
class RawFinding:
    compiled: CompiledRule
    scope: Scope
    witness: Match
    when_note: str


@dataclass
class Evaluation:
    findings: list[RawFinding]
    generic_workloads: list[Workload]


def evaluate(resources: list[Resource], rules: list[CompiledRule], params: Params,
             context: ScanContext | None = None) -> Evaluation:
    context = context or ScanContext.of(resources)
    by_scope: dict[str, list[CompiledRule]] = {"resource": [], "pod": [], "container": []}
    for compiled in rules:
        by_scope[compiled.rule.scope].append(compiled)
    findings: list[RawFinding] = []
    generic: list[Workload] = []
    needs_workloads = bool(by_scope["pod"] or by_scope["container"])
    for resource in resources:
        if by_scope["resource"]:
            _run(by_scope["resource"], Scope("resource", resource, params, context), findings)
        if not needs_workloads:
            continue
        for workload in workloads_of(resource):
            if workload.generic:
                generic.append(workload)
            if by_scope["pod"]:
                _run(by_scope["pod"], Scope("pod", resource, params, context, workload), findings)
            if by_scope["container"]:
                pod_facts: dict[str, list[Match]] = {}
                for container in workload.containers:
                    scope = Scope("container", resource, params, context, workload, container)
                    scope.facts = {**pod_facts}
                    _run(by_scope["container"], scope, findings)
                    pod_facts.update({k: v for k, v in scope.facts.items() if k.startswith("pod.")})
    return Evaluation(findings, generic)


def _run(rules: list[CompiledRule], scope: Scope, findings: list[RawFinding]) -> None:
    for compiled in rules:
        when_note = ""
        if compiled.when is not None:
            applies, reasons = compiled.when(scope)
            if not applies:
                continue
            when_note = "; ".join(dict.fromkeys(m.note for m in reasons if m.note))
        holds, witnesses = compiled.assertion(scope)
        if holds:
            continue
        if not witnesses:
            witnesses = [Match(None, scope.home)]
        if compiled.rule.report == "first":
            witnesses = witnesses[:1]
        seen: set[tuple] = set()
        for witness in witnesses:
            key = (id(witness.resource), witness.path, witness.line_in_value)
            if key in seen:
                continue
            seen.add(key)
            findings.append(RawFinding(compiled, scope, witness, when_note))
