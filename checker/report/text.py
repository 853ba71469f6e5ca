"""The human report: findings grouped under their file (``line:col``, severity, rule, object, a one-sentence
message; -v gives the whole message and the field path), each rule's fix once with its counts, then errors and
a summary line. Wrapped to the terminal's width when the CLI gives one.

Colour is used only when asked for (the CLI asks when writing to a terminal).
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, TextIO

from ..findings import Finding, FrameworkResult, Report, Severity, counted, error_place
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


SHORT_MESSAGE = 120  # a message longer than this is cut to its first sentence or clause unless -v
MORE = " [-v]"  # marks a message cut short


def render(report: Report, options: RenderOptions) -> str:
    out = io.StringIO()
    write(report, options, out)
    return out.getvalue()


def write(report: Report, options: RenderOptions, out: TextIO) -> None:
    """The report, its findings written one file at a time as they are read; then advice, suppressed
    findings, frameworks, errors, notes and the summary line."""
    # Every name and value from the inputs goes through visible(): an ESC sequence in a file name or a
    # manifest value must not reach the terminal (it could retitle or clear it).
    files: set[str] = set()
    for file, group in groupby(report.findings, key=lambda f: f.file):
        files.add(file)
        lines = [_paint(visible(file), "1", options.color)]
        for finding in group:
            lines.extend(_finding_lines(finding, options))
        lines.append("")
        out.write("\n".join(lines) + "\n")
    lines = _advice(report, options)
    if options.show_suppressed and report.suppressed:
        lines.append("Suppressed:")
        for item in report.suppressed:
            finding, by = item.finding, item.by
            found = (
                f"{finding.file}:{finding.line}:{finding.column}  {finding.rule}  {finding.message}{finding.see_also}"
            )
            lines.append(f"  {visible(found)}")
            expiry = f" (expires {by.expires.isoformat()})" if by.expires else ""
            lines.append(f"      {visible(f'by {by.kind} at {by.file}:{by.line}: {by.reason}')}{expiry}")
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
    lines.append(_summary(report, len(files)))
    out.write("\n".join(lines) + "\n")


def _finding_lines(finding: Finding, options: RenderOptions) -> list[str]:
    """``  line:col  severity  rule  Kind/name: message``, the path given once by the group's heading; the
    message is cut to one sentence unless -v (which adds the field path), and wrapped to the terminal."""
    severity = _paint(f"{finding.severity.label:<8}", COLORS[finding.severity], options.color)
    resource = finding.resource
    name = f"{resource['kind']}/{resource['name']}" if resource.get("name") else str(resource.get("kind") or "")
    message = (finding.message if options.verbose else short_message(finding.message)) + finding.see_also
    place = f"  {finding.line}:{finding.column}".ljust(10)
    head = place + f"{finding.severity.label:<8} {visible(finding.rule)}  "
    text = visible(f"{name}: {message}" if name else message)
    lines = _wrapped(head, text, options.width, indent=12)
    lines[0] = lines[0][: len(place)] + severity + lines[0][len(place) + 8 :]
    if options.verbose and finding.path:
        lines.append(f"{'':12}path: {visible(finding.path)}")
    return lines


def short_message(message: str) -> str:
    """The message's first sentence or clause (outside parentheses) when the whole is long."""
    if len(message) <= SHORT_MESSAGE:
        return message
    depth = 0
    for index, char in enumerate(message):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0 and char in ".;" and message[index + 1 : index + 2] == " " and index > 20:
            return message[:index] + MORE
    return message


def _wrapped(head: str, text: str, width: int | None, indent: int) -> list[str]:
    """head + text, wrapped at word boundaries to width (no wrapping without a width)."""
    if width is None or len(head) + len(text) <= width:
        return [head + text]
    return textwrap.wrap(
        head + text,
        width=max(width, 40),
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


@dataclass
class _RuleAdvice:
    """One rule's line of advice: its fix (its first finding's), its findings and the objects they are in."""

    remediation: str
    findings: int = 0
    objects: set[tuple[object, ...]] = field(default_factory=set)


def _advice(report: Report, options: RenderOptions) -> list[str]:
    """Each rule's fix once, with how many findings and objects it concerns, most frequent first."""
    by_rule: dict[str, _RuleAdvice] = {}
    shared: dict[str, str] = {}  # one copy of each file and object name: findings are read one at a time
    for finding in report.findings:
        advice = by_rule.get(finding.rule)
        if advice is None:
            advice = by_rule[finding.rule] = _RuleAdvice(finding.remediation)
        advice.findings += 1
        names = (finding.file, *(str(v) for v in finding.resource.values()))
        advice.objects.add((finding.document, *(shared.setdefault(name, name) for name in names)))
    if not by_rule:
        return []
    lines = [_paint("How to fix", "1", options.color)]
    for rule, advice in sorted(by_rule.items(), key=lambda item: (-item[1].findings, item[0])):
        counts = f"{counted(advice.findings, 'finding')} in {counted(len(advice.objects), 'object')}"
        lines.extend(_wrapped(f"  {rule} ({counts}): ", visible(advice.remediation), options.width, indent=6))
    lines.append("")
    return lines


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


def _summary(report: Report, files_with: int) -> str:
    """The last line; ``files_with``: how many files have findings (counted as they were written)."""
    counts = report.summary()["by_severity"]
    parts = [f"{n} {label}" for label, n in counts.items() if n]
    findings = counted(len(report.findings), "finding")
    if parts:
        findings += f" ({', '.join(parts)})"
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
