"""How a run stands against a compliance framework: for each control, the objects its rules checked, the
objects with findings, and a status (fail, pass, not-applicable, manual) that every report format shows.
"""

from __future__ import annotations

from typing import Any

from .finalise import Finalised
from .findings import FAIL, MANUAL, NOT_APPLICABLE, PASS, ControlResult, FrameworkResult
from .inputs.resources import Resource
from .policy.frameworks import Control, Framework
from .policy.model import CompiledRule


def framework_result(
    framework: Framework,
    rules: list[CompiledRule],
    resources: list[Resource],
    applied: dict[str, set[int]],
    finalised: Finalised,
) -> FrameworkResult:
    """The framework's controls judged by one run."""
    ran = {compiled.rule.id for compiled in rules}
    by_id = {id(resource): resource for resource in resources}
    controls = [_control_result(control, ran, by_id, applied, finalised) for control in framework.controls]
    return FrameworkResult(framework.id, framework.title, framework.version, framework.url, controls)


def _control_result(
    control: Control,
    ran: set[str],
    resources: dict[int, Resource],
    applied: dict[str, set[int]],
    finalised: Finalised,
) -> ControlResult:
    rules = tuple(dict.fromkeys(ref.rule for ref in control.rules))
    running = [ref for ref in control.rules if ref.rule in ran]
    checked: set[int] = set()
    for ref in running:
        checked |= applied.get(ref.rule, set())
    failed: dict[int, Resource] = {}
    findings = suppressed = 0
    for item in finalised.located:
        finding = item.finding
        if not any(ref.covers(finding.rule, finding.path) for ref in running):
            continue
        if item.suppressed_by is not None:
            suppressed += 1
            continue
        findings += 1
        resource = item.raw.scope.resource
        failed.setdefault(id(resource), resource)
        checked.add(id(resource))
    if not control.rules:
        status = MANUAL
    elif failed:
        status = FAIL
    elif checked:
        status = PASS
    else:
        status = NOT_APPLICABLE
    return ControlResult(
        id=control.id,
        section=control.section,
        title=control.title,
        status=status,
        rules=rules,
        rules_not_run=tuple(rule for rule in rules if rule not in ran),
        objects_checked=len({key for key in checked if key in resources}),
        objects_failed=len(failed),
        findings=findings,
        suppressed=suppressed,
        manual=control.manual,
        failed_objects=sorted((_object(resource) for resource in failed.values()), key=_object_order),
        rule_filters=tuple((ref.rule, ref.path) for ref in control.rules),
    )


def _object(resource: Resource) -> dict[str, Any]:
    return {**resource.ref(), "file": resource.document.source.name, "line": resource.document.line}


def _object_order(entry: dict[str, Any]) -> tuple[str, int, str, str]:
    return (str(entry["file"]), int(entry["line"] or 0), str(entry["kind"]), str(entry["name"]))
