"""The one scan pipeline every front door runs (scan, fix, explain, rules test, the webhook): plan the
rules, then read -> resources -> kustomize patches -> index -> evaluate -> finalise, and a Report of the run.

Policy, parameter and selection mistakes raise UsageError; input problems become Report.errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .engine import Evaluation, evaluate
from .finalise import Finalised, finalise
from .findings import Report, RuleInfo
from .inputs.documents import LoadResult, Source
from .inputs.kustomize import split_patches
from .inputs.loading import load, parse_source
from .inputs.resources import Resource, resources_of
from .policy.catalog import Selection, SelectionError, compile_rules, select_rules
from .policy.loader import Catalog, load_catalog, resolve_data
from .policy.model import CompiledRule
from .policy.params import ParamError, Params, resolve_params
from .workloads.index import ScanContext


class UsageError(Exception):
    """A mistake in how kubecheck was asked to run (bad rule file, unknown pack, bad --set); ``origin`` is
    the selection or parameter error behind it, if any."""

    def __init__(self, message: str, origin: Exception | None = None) -> None:
        super().__init__(message)
        self.origin = origin


@dataclass
class Plan:
    """The rules of a run, compiled once with the run's parameters."""

    catalog: Catalog
    params: Params
    rules: list[CompiledRule]


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


def read(paths: Iterable[str], include_hidden: bool = False) -> LoadResult:
    """The documents of files, directories or "-" (stdin), and the inputs that could not be read."""
    return load(paths, include_hidden)


def read_text(name: str, text: str) -> LoadResult:
    """The documents of one in-memory input (an admission request body, a rule example), as if it were a
    file called name; JSON when it starts like JSON."""
    parsed = parse_source(Source(name, text, is_json=text.lstrip()[:1] in ("{", "[")))
    return LoadResult(parsed.documents, parsed.errors, inputs=1)


@dataclass
class Run:
    """Everything one pass of the pipeline produced, stage by stage, for the front door to use."""

    plan: Plan
    loaded: LoadResult
    resources: list[Resource]  # the objects checked
    patches: list[Resource]  # kustomize patch files of the scan: partial objects, not checked
    skipped_documents: int  # documents that are not Kubernetes objects
    context: ScanContext
    evaluation: Evaluation
    finalised: Finalised

    def report(self) -> Report:
        """The report of the run: kept and suppressed findings, errors, counts and notes, in stable order."""
        chosen = self.plan
        report = Report(
            errors=sorted(self.loaded.errors, key=lambda e: (e.file, e.line or 0, e.message)),
            resources=len(self.resources),
            skipped_documents=self.skipped_documents,
            rules=len(chosen.rules),
            kustomize_patches=len(self.patches),
            files=self.loaded.inputs,
        )
        report.rule_info = [
            RuleInfo(r.id, r.title, r.severity, r.packs, r.description, r.remediation, r.references)
            for r in (compiled.rule for compiled in chosen.rules)
        ]
        report.findings, report.suppressed = self.finalised.kept, self.finalised.suppressed
        report.notes.extend(f"{path}: hidden, not scanned (use --include-hidden)" for path in self.loaded.hidden)
        report.notes.extend(
            f"{r.document.source.name}:{r.document.line}: {r.kind} {r.name}: a kustomize patch (named by a "
            "Kustomization of this scan), not checked as a whole object"
            for r in self.patches
        )
        report.notes.extend(self.finalised.notes)
        for workload in self.evaluation.generic_workloads:
            resource = workload.resource
            report.notes.append(
                f"{resource.document.source.name}:{resource.document.line}: {resource.kind} "
                f"{resource.name}: pod template found by the generic spec.template fallback"
            )
        return report


def run(chosen: Plan, loaded: LoadResult, positions: bool = True) -> Run:
    """The pipeline after reading: unwrap the documents into objects, leave out kustomize patches, index
    the objects, evaluate the rules and finalise the findings (located at their lines unless ``positions``
    is False: the webhook's answer names paths, and its JSON holds no comments)."""
    found = resources_of(loaded.documents)
    checked, patches = split_patches(found.items)
    context = ScanContext.of(checked)
    evaluation = evaluate(checked, chosen.rules, chosen.params, context)
    finalised = finalise(evaluation.findings, chosen.params, loaded.documents, positions)
    return Run(chosen, loaded, checked, patches, found.skipped, context, evaluation, finalised)


def scan(paths: Iterable[str], include_hidden: bool = False, **options: Iterable[str]) -> Report:
    """Scan files, directories or "-" (stdin) with the selected rules; see plan() for the options."""
    return run_plan(plan(**options), list(paths), include_hidden)


def run_plan(chosen: Plan, paths: list[str], include_hidden: bool = False) -> Report:
    """Scan files, directories or "-" with a plan."""
    return run(chosen, read(paths, include_hidden)).report()


def scan_text(chosen: Plan, name: str, text: str) -> Report:
    """Scan one in-memory input (an admission request body, say), as if it were a file called name."""
    return run(chosen, read_text(name, text)).report()
