"""Evaluate compiled rules on every resource, pod view and container, producing raw findings: the rule,
the scope it failed on, and the witness (value, place, note) that explains the failure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from .facts.scope import Match, Scope
from .inputs.resources import Resource
from .policy.conditions import POD_PATH_PREFIX
from .policy.model import CompiledRule
from .policy.params import Params
from .workloads.index import ScanContext
from .workloads.pods import Workload
from .workloads.registry import workloads_of

POD_KEYS = ("pod.", POD_PATH_PREFIX)  # what a container scope learns is its pod's: pod facts, resolved pod paths


@dataclass
class RawFinding:
    compiled: CompiledRule
    scope: Scope
    witness: Match
    when_reasons: list[Match]  # the witnesses that made the rule's when hold: their notes fill {when.note}

    @property
    def related(self) -> Resource | None:
        """The other object the finding names: the first object other than the target that a related: or
        scan_holds: subject of the rule's when found (a workload of the namespace, a ConfigMap of it)."""
        for reason in self.when_reasons:
            if reason.relation and reason.resource is not None and reason.resource is not self.scope.resource:
                return reason.resource
        return None


@dataclass
class Evaluation:
    findings: list[RawFinding]
    generic_workloads: list[Workload]
    # rule id -> id() of every resource it applied to (its when held on one of the resource's targets): the
    # objects a rule checked, which compliance summaries count
    applied: dict[str, set[int]] = field(default_factory=dict)


def scopes_of(
    resource: Resource, kinds: set[str], params: Params, context: ScanContext, generic: list[Workload] | None = None
) -> Iterator[Scope]:
    """The evaluation targets of one resource, for the scope kinds asked for: the resource, each pod view,
    each container (containers of one pod share the pod's facts)."""
    if "resource" in kinds:
        yield Scope("resource", resource, params, context)
    if "namespace" in kinds:  # the namespaces whose home this object is (the Namespace, else the first workload)
        for namespace in context.namespace_homes().get(id(resource), ()):
            yield Scope("namespace", resource, params, context, scope_namespace=namespace)
    if not kinds & {"pod", "container"}:
        return
    for workload in workloads_of(resource):
        if workload.generic and generic is not None:
            generic.append(workload)
        pod_facts: dict[str, list[Match]] = {}
        if "pod" in kinds:
            pod_scope = Scope("pod", resource, params, context, workload, facts=pod_facts)
            yield pod_scope
        if "container" in kinds:
            for container in workload.containers:
                scope = Scope("container", resource, params, context, workload, container, facts=dict(pod_facts))
                yield scope
                pod_facts.update({k: v for k, v in scope.facts.items() if k.startswith(POD_KEYS)})


def evaluate(
    resources: list[Resource], rules: list[CompiledRule], params: Params, context: ScanContext | None = None
) -> Evaluation:
    context = context or ScanContext.of(resources)
    by_scope: dict[str, list[CompiledRule]] = {"resource": [], "pod": [], "container": [], "namespace": []}
    for compiled in rules:
        by_scope[compiled.rule.scope].append(compiled)
    kinds = {kind for kind, chosen in by_scope.items() if chosen}
    findings: list[RawFinding] = []
    generic: list[Workload] = []
    applied: dict[str, set[int]] = defaultdict(set)  # only the rules that applied: a review applies few
    for resource in resources:
        for scope in scopes_of(resource, kinds, params, context, generic):
            findings.extend(run_rules(by_scope[scope.kind], scope, applied))
    return Evaluation(findings, generic, applied)


def run_rules(rules: list[CompiledRule], scope: Scope, applied: dict[str, set[int]] | None = None) -> list[RawFinding]:
    """The raw findings of rules on one scope. Each rule's when and assert are first decided without their
    witnesses (most rules hold on most objects); only a rule that fails is evaluated again for the
    witnesses that become its findings (and the when reasons their notes read). A rule whose assertion
    failed on the last target is evaluated fully at once (objects alike in a row fail alike: a webhook
    reviews the same kinds of objects again and again); the verdict and the full evaluation agree
    (conditions.verdict_of), so either way gives the same findings."""
    findings: list[RawFinding] = []
    resource_id = id(scope.resource)
    for compiled in rules:
        when_holds = compiled.when_holds
        if when_holds is not None and not when_holds(scope):
            continue
        if applied is not None:
            applied[compiled.rule.id].add(resource_id)
        if compiled.failed_last:
            holds, witnesses = compiled.assertion(scope)
            if holds:
                compiled.failed_last = False
                continue
        elif compiled.assertion_holds(scope):
            continue
        else:
            holds, witnesses = compiled.assertion(scope)
            compiled.failed_last = True
            if holds:  # the verdict and the full evaluation agree (conditions.verdict_of): never taken
                continue
        reasons: list[Match] = compiled.when(scope)[1] if compiled.when is not None else []
        located = [w for w in witnesses if w.path is not None]
        witnesses = located or witnesses[:1] or [Match(None, scope.home)]  # unlocated ones only when alone
        if compiled.rule.report == "first":
            witnesses = witnesses[:1]
        seen: set[tuple[object, ...]] = set()
        for witness in witnesses:
            key = (id(witness.resource), witness.path, witness.line_in_value, value_key(witness.value))
            if key in seen:
                continue
            seen.add(key)
            findings.append(RawFinding(compiled, scope, witness, reasons))
    return findings


def value_key(value: object) -> object:
    """A hashable stand-in for a witness value: different values at one place are different findings."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return (type(value).__name__, value)
