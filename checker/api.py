"""The one scan pipeline every front door runs (scan, fix, explain, rules test, the webhook): plan the
rules, then read -> resources -> kustomize patches -> index -> evaluate -> finalise, and a Report of the run.

Policy, parameter and selection mistakes raise UsageError; input problems become Report.errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from .compliance import framework_result
from .engine import Evaluation, evaluate
from .exemptions import EXPIRED_INFO, Controls
from .finalise import Finalised, finalise
from .findings import Report, RuleInfo
from .inputs.documents import InputError, LoadResult, Source
from .inputs.kustomize import split_patches
from .inputs.loading import Progress, load, parse_source
from .inputs.render import RenderOptions
from .inputs.resources import Resource, resources_of
from .policy.catalog import Selection, SelectionError, all_packs, compile_rules, select_rules
from .policy.frameworks import Framework, load_frameworks
from .policy.loader import Catalog, builtin_policy_dir, load_catalog, resolve_data
from .policy.model import CompiledRule
from .policy.params import ParamError, Params, resolve_params
from .policy.relations import kinds_looked_up
from .suggest import did_you_mean
from .workloads.index import FACT_KINDS, WORKLOAD, ScanContext
from .workloads.shapes import set_aside_misshapen


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
    frameworks: list[Framework] = field(default_factory=list)  # --framework: summarised per control
    controls: Controls = field(default_factory=Controls)  # the configuration's exemptions, non-bypassable rules

    @cached_property
    def related_kinds(self) -> frozenset[str]:
        """The kinds any rule or fact of the plan looks up in the scan's index (ScanContext), and so the
        only kinds a scan must index: the facts' (FACT_KINDS), the rules' related: and scan_holds: kinds,
        and for namespace-scope rules Namespace and ``workload`` (every object with a pod template). Made
        once per plan: it walks every rule's conditions, and every review and run asks for it."""
        return related_kinds(self.rules)

    @cached_property
    def rule_info(self) -> tuple[RuleInfo, ...]:
        """What reports say about each rule of the plan (made once: the webhook reports per review)."""
        return tuple(
            RuleInfo(r.id, r.title, r.severity, r.packs, r.description, r.remediation, r.references)
            for r in (compiled.rule for compiled in self.rules)
        )


def related_kinds(rules: Iterable[CompiledRule]) -> frozenset[str]:
    """See Plan.related_kinds."""
    kinds = set(FACT_KINDS)
    for compiled in rules:
        rule = compiled.rule
        kinds |= kinds_looked_up([rule.when_spec, rule.assert_spec])
        if rule.scope == "namespace":
            kinds |= {"Namespace", WORKLOAD}
    return frozenset(kinds)


def plan(
    packs: Iterable[str] = (),
    rules: Iterable[str] = (),
    skip_rules: Iterable[str] = (),
    policy_dirs: Iterable[str] = (),
    settings: Iterable[str] = (),
    frameworks: Iterable[str] = (),
    controls: Controls | None = None,
) -> Plan:
    """Load and validate the policies, resolve parameters and compile the selected rules (a framework's rules
    are selected as a pack's are, and the run is summarised per control of the framework). ``controls``: the
    configuration's exemptions and non-bypassable rules; every rule or pack they name must exist."""
    return plan_from(loaded_catalog(list(policy_dirs)), packs, rules, skip_rules, settings, frameworks, controls)


_CATALOGS: dict[tuple[str, ...], tuple[tuple[object, ...], Catalog]] = {}  # policy folders -> (files, catalog)


def loaded_catalog(policy_dirs: list[str]) -> Catalog:
    """load_catalog(policy_dirs), loaded once per process while no file under those folders changes (each
    call compares every file's size and modification time): a process making many plans (tests, rules
    test, explain per rule) reads the rule files once. Callers treat the catalog as read-only."""
    key = (*policy_dirs, os.getcwd())  # relative folders name other files from another directory
    signature = _policy_files_signature([str(builtin_policy_dir()), *policy_dirs])
    cached = _CATALOGS.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    catalog = load_catalog(policy_dirs)
    _CATALOGS[key] = (signature, catalog)
    return catalog


def _policy_files_signature(directories: list[str]) -> tuple[object, ...]:
    found: list[object] = []
    for directory in directories:
        found.append(directory)
        for root, folders, files in os.walk(directory):
            folders.sort()
            for name in sorted(files):
                try:
                    status = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                found.append((root, name, status.st_size, status.st_mtime_ns))
    return tuple(found)


def plan_from(
    catalog: Catalog,
    packs: Iterable[str] = (),
    rules: Iterable[str] = (),
    skip_rules: Iterable[str] = (),
    settings: Iterable[str] = (),
    frameworks: Iterable[str] = (),
    controls: Controls | None = None,
) -> Plan:
    """plan() over policies already loaded: a caller that makes a plan per rule loads them once."""
    if catalog.errors:
        raise UsageError("\n".join(f"error: {e}" for e in catalog.errors))
    controls = controls or Controls()
    known_packs = all_packs(catalog)
    unknown = controls.unknown_names(catalog.rules, known_packs)
    if unknown:
        names = [*catalog.rules, *known_packs]
        raise UsageError(
            "\n".join(
                f"error: {file}:{line}: unknown rule or pack '{name}'{did_you_mean(name, names)}"
                for name, file, line in unknown
            )
        )
    chosen_frameworks = _frameworks(catalog, list(frameworks))
    framework_rules = tuple(rule for framework in chosen_frameworks for rule in framework.rule_ids)
    try:
        params = resolve_params(catalog.params, list(settings))
        params.data = resolve_data(catalog.data, params)
        selection = Selection(tuple(packs), tuple(rules), tuple(skip_rules), framework_rules)
        selected = select_rules(catalog, selection, params)
    except (ParamError, SelectionError) as exc:
        raise UsageError(f"error: {exc}", exc) from None
    return Plan(catalog, params, compile_rules(selected, params), chosen_frameworks, controls)


def _frameworks(catalog: Catalog, wanted: list[str]) -> list[Framework]:
    if not wanted:
        return []
    known, errors = load_frameworks(catalog)
    if errors:
        raise UsageError("\n".join(f"error: {e}" for e in errors))
    unknown = [name for name in wanted if name not in known]
    if unknown:
        hint = did_you_mean(unknown[0], known)
        raise UsageError(f"error: unknown framework '{unknown[0]}'{hint} (frameworks: {', '.join(sorted(known))})")
    return [known[name] for name in dict.fromkeys(wanted)]


def read(
    paths: Iterable[str],
    include_hidden: bool = False,
    progress: Progress | None = None,
    render: RenderOptions | None = None,
) -> LoadResult:
    """The documents of files, directories or "-" (stdin), and the inputs that could not be read; charts and
    overlays rendered (render says how; RenderOptions(enabled=False) reads their files raw); ``progress`` is
    told of the inputs parsed (inputs done, inputs in all)."""
    return load(paths, include_hidden, progress=progress, render=render)


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
    refused: list[InputError] = field(default_factory=list)  # objects Kubernetes would refuse, not checked

    @property
    def errors(self) -> list[InputError]:
        """Every input error of the run: inputs that could not be read and objects that were refused."""
        return [*self.loaded.errors, *self.refused]

    def report(self) -> Report:
        """The report of the run: kept and suppressed findings, errors, counts and notes, in stable order."""
        chosen = self.plan
        report = Report(
            errors=sorted(self.errors, key=lambda e: (e.file, e.line or 0, e.message)),
            resources=len(self.resources),
            skipped_documents=self.skipped_documents,
            rules=len(chosen.rules),
            kustomize_patches=len(self.patches),
            files=self.loaded.inputs,
        )
        report.rule_info = list(chosen.rule_info)
        if self.finalised.expired:
            report.rule_info.append(EXPIRED_INFO)
        report.findings, report.suppressed = self.finalised.kept, self.finalised.suppressed
        report.frameworks = [
            framework_result(framework, chosen.rules, self.resources, self.evaluation.applied, self.finalised)
            for framework in chosen.frameworks
        ]
        report.notes.extend(f"{path}: hidden, not scanned (use --include-hidden)" for path in self.loaded.hidden)
        report.notes.extend(self.loaded.notes)
        report.warnings.extend(self.loaded.warnings)
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


def run(chosen: Plan, loaded: LoadResult, positions: bool = True, progress: Progress | None = None) -> Run:
    """The pipeline after reading: unwrap the documents into objects, leave out kustomize patches, index
    the objects, evaluate the rules and finalise the findings (located at their lines unless ``positions``
    is False: the webhook's answer names paths, and its JSON holds no comments). ``progress`` is told of
    the objects checked (objects done, objects in all)."""
    found = resources_of(loaded.documents)
    checked, patches = split_patches(found.items)
    checked, refused = set_aside_misshapen(checked)
    context = ScanContext.of(checked, chosen.related_kinds)
    if progress is None:
        evaluation = evaluate(checked, chosen.rules, chosen.params, context)
    else:
        evaluation = _evaluate_in_steps(checked, chosen, context, progress)
    finalised = finalise(evaluation.findings, chosen.params, loaded.documents, positions, chosen.controls)
    return Run(chosen, loaded, checked, patches, found.skipped, context, evaluation, finalised, refused)


PROGRESS_STEP = 64  # objects evaluated between two progress reports


def _evaluate_in_steps(checked: list[Resource], chosen: Plan, context: ScanContext, progress: Progress) -> Evaluation:
    """evaluate() over the objects a step at a time, joined in order: the same findings, with progress."""
    whole = Evaluation([], [], {compiled.rule.id: set() for compiled in chosen.rules})
    for start in range(0, len(checked), PROGRESS_STEP):
        step = evaluate(checked[start : start + PROGRESS_STEP], chosen.rules, chosen.params, context)
        whole.findings.extend(step.findings)
        whole.generic_workloads.extend(step.generic_workloads)
        for rule, resources in step.applied.items():
            whole.applied.setdefault(rule, set()).update(resources)
        progress(len(checked[start : start + PROGRESS_STEP]), len(checked))
    return whole


def scan(
    paths: Iterable[str], include_hidden: bool = False, controls: Controls | None = None, **options: Iterable[str]
) -> Report:
    """Scan files, directories or "-" (stdin) with the selected rules; see plan() for the options."""
    return run_plan(plan(**options, controls=controls), list(paths), include_hidden)


def run_plan(
    chosen: Plan,
    paths: list[str],
    include_hidden: bool = False,
    reading: Progress | None = None,
    checking: Progress | None = None,
    render: RenderOptions | None = None,
) -> Report:
    """Scan files, directories or "-" with a plan; ``reading`` and ``checking`` follow the inputs parsed and
    the objects checked (for a progress bar); ``render`` says how charts and overlays are rendered."""
    return run(chosen, read(paths, include_hidden, reading, render), progress=checking).report()


def scan_text(chosen: Plan, name: str, text: str) -> Report:
    """Scan one in-memory input (an admission request body, say), as if it were a file called name."""
    return run(chosen, read_text(name, text)).report()
