"""The scan pipeline as one call: sources -> resources -> engine -> positions -> a sorted Report.

Policy, parameter and selection mistakes raise UsageError; input problems become Report.errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import suppress
from .commands.fix import FixResult, apply_fixes
from .engine import RawFinding, evaluate, value_key
from .findings import Finding, Report, RuleInfo
from .inputs.documents import LoadResult, Source
from .inputs.kustomize import split_patches
from .inputs.loading import load, parse_source
from .inputs.paths import format_path
from .inputs.positions import Position, PositionIndex, Request
from .inputs.resources import resources_of
from .policy.catalog import Selection, SelectionError, compile_rules, select_rules
from .policy.loader import Catalog, load_catalog, resolve_data
from .policy.params import ParamError, Params, resolve_params
from .policy.templates import render, template_values
from .workloads.index import ScanContext


class UsageError(Exception):
    """A mistake in how kubecheck was asked to run (bad rule file, unknown pack, bad --set); ``origin`` is
    the selection or parameter error behind it, if any."""

    def __init__(self, message: str, origin: Exception | None = None) -> None:
        super().__init__(message)
        self.origin = origin


@dataclass
class Plan:
    catalog: Catalog
    params: Params
    rules: list


def plan(
    packs: Iterable[str] = (),
    rules: Iterable[str] = (),
    skip_rules: Iterable[str] = (),
    policy_dirs: Iterable[str] = (),
    settings: Iterable[str] = (),
) -> Plan:
    """Load and validate the policies, resolve parameters and compile the selected rules."""
    catalog = load_catalog(list(policy_dirs))
    if catalog.errors:
        raise UsageError("\n".join(f"error: {e}" for e in catalog.errors))
    try:
        params = resolve_params(catalog.params, list(settings))
        params.data = resolve_data(catalog.data, params)
        selected = select_rules(catalog, Selection(tuple(packs), tuple(rules), tuple(skip_rules)), params)
    except (ParamError, SelectionError) as exc:
        raise UsageError(f"error: {exc}", exc) from None
    return Plan(catalog, params, compile_rules(selected, params))


def scan(paths: Iterable[str], include_hidden: bool = False, **options: Iterable[str]) -> Report:
    """Scan files, directories or "-" (stdin) with the selected rules; see plan() for the options."""
    return run_plan(plan(**options), list(paths), include_hidden)


def run_plan(chosen: Plan, paths: list[str], include_hidden: bool = False) -> Report:
    """Scan files, directories or "-" with a plan."""
    return check_loaded(chosen, load(paths, include_hidden))


def scan_text(chosen: Plan, name: str, text: str) -> Report:
    """Scan one in-memory input (an admission request body, say), as if it were a file called name."""
    source = Source(name, text, is_json=text.lstrip()[:1] in ("{", "["))
    parsed = parse_source(source)
    return check_loaded(chosen, LoadResult(parsed.documents, parsed.errors, inputs=1))


def check_loaded(chosen: Plan, loaded: LoadResult) -> Report:
    """Everything after reading: resources, evaluation, positions, suppressions, the sorted report."""
    found = resources_of(loaded.documents)
    checked, patches = split_patches(found.items)
    context = ScanContext.of(checked)
    evaluation = evaluate(checked, chosen.rules, chosen.params, context)
    report = Report(
        errors=loaded.errors,
        resources=len(checked),
        skipped_documents=found.skipped,
        rules=len(chosen.rules),
        kustomize_patches=len(patches),
    )
    report.rule_info = [
        RuleInfo(r.id, r.title, r.severity, r.packs, r.description, r.remediation, r.references)
        for r in (compiled.rule for compiled in chosen.rules)
    ]
    report.files = loaded.inputs
    outcome = suppress.apply(_located(evaluation.findings, chosen.params), loaded.documents)
    report.findings, report.suppressed = outcome.kept, outcome.suppressed
    report.errors.sort(key=lambda e: (e.file, e.line or 0, e.message))
    report.notes.extend(f"{path}: hidden, not scanned (use --include-hidden)" for path in loaded.hidden)
    report.notes.extend(
        f"{r.document.source.name}:{r.document.line}: {r.kind} {r.name}: a kustomize patch (named by a "
        "Kustomization of this scan), not checked as a whole object"
        for r in patches
    )
    report.notes.extend(outcome.notes)
    for workload in evaluation.generic_workloads:
        resource = workload.resource
        report.notes.append(
            f"{resource.document.source.name}:{resource.document.line}: {resource.kind} "
            f"{resource.name}: pod template found by the generic spec.template fallback"
        )
    return report


def fix(chosen: Plan, paths: list[str], include_hidden: bool = False) -> FixResult:
    """The fixes the selected rules' `fix:` operations make to the findings of a scan (suppressed
    findings are left alone)."""
    loaded = load(paths, include_hidden)
    checked, _ = split_patches(resources_of(loaded.documents).items)
    evaluation = evaluate(checked, chosen.rules, chosen.params, ScanContext.of(checked))
    pairs = _located(evaluation.findings, chosen.params)
    kept = {id(finding) for finding in suppress.apply(pairs, loaded.documents).kept}
    result = apply_fixes([pair for pair in pairs if id(pair[0]) in kept])
    result.errors = loaded.errors
    return result


def findings_of(raw_findings: list[RawFinding], params: Params) -> list[Finding]:
    """Locate (one pass per document) and render raw findings, in the stable report order."""
    return [finding for finding, _ in _located(raw_findings, params)]


def _located(raw_findings: list[RawFinding], params: Params) -> list[tuple[Finding, RawFinding]]:
    """Each finding with the raw finding it came from, sorted. A rule that reports the same value at the
    same place twice (a pod-level field seen from each of its containers) reports it once; a witness in
    another resource (a ConfigMap line, a Service) is reported for each workload and container it concerns."""
    unique: dict[tuple, RawFinding] = {}
    for raw in raw_findings:
        unique.setdefault(_place_key(raw), raw)
    raw_findings = list(unique.values())
    requests = [_request(raw) for raw in raw_findings]
    positions = PositionIndex().locate_all(requests)
    pairs = [
        (_finding(raw, request, position, params), raw)
        for raw, request, position in zip(raw_findings, requests, positions, strict=True)
    ]
    return sorted(pairs, key=lambda pair: pair[0].sort_key())


def _place_key(raw: RawFinding) -> tuple:
    """What makes a finding distinct: rule, place, line inside the value and value; for a witness that lies
    outside the scope's resource, also the resource and the container (or pod) the finding is about."""
    request = _request(raw)
    key: tuple = (
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


def _finding(raw: RawFinding, request: Request, position: Position, params: Params) -> Finding:
    scope, witness, rule = raw.scope, raw.witness, raw.compiled.rule
    located_in = witness.resource or scope.resource
    path = witness.path if witness.path is not None else scope.home
    values = template_values(scope, witness, params, rule.id, rule.check_id, raw.when_note, rule.phrases)
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=" ".join(render(rule.message, values).split()),
        file=located_in.document.source.name,
        line=position.line,
        column=position.column,
        resource=scope.resource.ref(),
        container=values["container.name"],
        path=format_path(path),
        remediation=" ".join(rule.remediation.split()),
        document=located_in.document.index,
    )
