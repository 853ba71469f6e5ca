"""The human report: findings grouped by file as ``file:line:col``, then errors and a summary line.

Colour is used only when asked for (the CLI asks when writing to a terminal).
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from ..findings import FrameworkResult, Report, Severity, counted, error_place
from .controls import framework_line, objects_line
from .escaping import visible

if TYPE_CHECKING:
    from . import RenderOptions

COLORS = {
    Severity.CRITICAL: "1;35",
    Severity.HIGH: "1;31",
    Severity.MEDIUM: "33",
    Severity.LOW: "36",
    Severity.INFO: "2",
}


def _paint(text: str, code: str, enabled: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if enabled else text


def render(report: Report, options: RenderOptions) -> str:
    lines: list[str] = []
    # Every name and value from the inputs goes through visible(): an ESC sequence in a file name or a
    # manifest value must not reach the terminal (it could retitle or clear it).
    for file, group in groupby(report.findings, key=lambda f: f.file):
        lines.append(_paint(visible(file), "1", options.color))
        for finding in group:
            where = visible(f"{finding.file}:{finding.line}:{finding.column}")
            severity = _paint(f"{finding.severity.label:<8}", COLORS[finding.severity], options.color)
            resource = finding.resource
            name = f"{resource['kind']}/{resource['name']}" if resource.get("name") else resource["kind"]
            lines.append(f"  {where}  {severity} {visible(finding.rule)}  {visible(f'{name}: {finding.message}')}")
            if options.verbose:
                lines.append(f"      path: {visible(finding.path)}")
                lines.append(f"      fix:  {visible(finding.remediation)}")
        lines.append("")
    if options.show_suppressed and report.suppressed:
        lines.append("Suppressed:")
        for item in report.suppressed:
            finding, by = item.finding, item.by
            found = f"{finding.file}:{finding.line}:{finding.column}  {finding.rule}  {finding.message}"
            lines.append(f"  {visible(found)}")
            lines.append(f"      {visible(f'by {by.kind} at {by.file}:{by.line}: {by.reason}')}")
        lines.append("")
    for framework in report.frameworks:
        lines.extend(_framework(framework, options))
    for error in report.errors:
        label = _paint("error", "1;31", options.color)
        lines.append(f"{visible(error_place(error))}: {label}: {visible(error.message)}")
    if options.verbose:
        lines.extend(f"note: {visible(note)}" for note in report.notes)
    if report.errors or (options.verbose and report.notes):
        lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


STATUS_COLORS = {"fail": "1;31", "pass": "32", "not-applicable": "2", "manual": "33"}
STATUS_LABELS = {"fail": "FAIL", "pass": "PASS", "not-applicable": "N/A", "manual": "MANUAL"}


def _framework(framework: FrameworkResult, options: RenderOptions) -> list[str]:
    """The framework's controls, one line each (status, id, objects failing of those checked, title; -v adds
    the findings, suppressions and what is left to judge by hand), then its summary line."""
    lines = [_paint(f"{framework.title} v{framework.version}", "1", options.color)]
    width = max(len(c.id) for c in framework.controls)
    for control in framework.controls:
        status = _paint(f"{STATUS_LABELS[control.status]:<6}", STATUS_COLORS[control.status], options.color)
        objects = f"{control.objects_failed}/{control.objects_checked}" if control.status != "manual" else "-"
        lines.append(f"  {status}  {control.id:<{width}}  {objects:>9}  {control.title}")
        if options.verbose:
            lines.append(f"  {'':<6}  {'':<{width}}  {'':>9}  {visible(objects_line(control))}")
            if control.manual and control.status != "manual":
                lines.append(f"  {'':<6}  {'':<{width}}  {'':>9}  by hand: {control.manual}")
    lines += [f"{framework_line(framework)} (objects: failing/checked)", ""]
    return lines


def _summary(report: Report) -> str:
    counts = report.summary()["by_severity"]
    parts = [f"{n} {label}" for label, n in counts.items() if n]
    findings = counted(len(report.findings), "finding")
    if parts:
        findings += f" ({', '.join(parts)})"
    files_with = len({f.file for f in report.findings})
    text = (
        f"{findings} in {files_with} of {counted(report.files, 'file')}; "
        f"{counted(report.resources, 'object')} checked by {counted(report.rules, 'rule')}"
    )
    if report.skipped_documents:
        text += f"; {counted(report.skipped_documents, 'document')} not Kubernetes objects, skipped"
    if report.suppressed:
        text += f"; {len(report.suppressed)} suppressed"
    if report.kustomize_patches:
        text += f"; {counted(report.kustomize_patches, 'kustomize patch', 'kustomize patches')} left out"
    if report.errors:
        text += f"; {counted(len(report.errors), 'input error')}"
    return text
