"""GitHub Actions workflow commands: one ::error/::warning/::notice line per finding and input error,
which GitHub shows as annotations on the pull request's changed lines; with --framework, a ::warning per
failed control and each framework's summary line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..findings import Report, Severity, counted
from .controls import framework_line, objects_line
from .escaping import visible

if TYPE_CHECKING:
    from . import RenderOptions

COMMANDS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def _data(text: str) -> str:
    """A command's data: control characters as visible escapes (a log shows ESC sequences as colours),
    then the workflow-command encoding of %, CR and LF."""
    return visible(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, options: RenderOptions) -> str:
    lines = []
    for finding in report.findings:
        title = _property(f"{finding.rule} ({finding.severity.label})")
        lines.append(
            f"::{COMMANDS[finding.severity]} file={_property(finding.file)},line={finding.line},"
            f"col={finding.column},title={title}::{_data(finding.message + finding.see_also)}"
        )
    for error in report.errors:
        line = f",line={error.line}" if error.line else ""
        lines.append(f"::error file={_property(error.file)}{line},title=kubecheck input error::{_data(error.message)}")
    for framework in report.frameworks:
        for control in framework.controls:
            if control.status == "fail":
                title = _property(f"{framework.id} {control.id} (fail)")
                lines.append(f"::warning title={title}::{_data(control.title + ': ' + objects_line(control))}")
        lines.append(framework_line(framework))
    summary = report.summary()
    lines.append(
        f"kubecheck: {counted(summary['findings'], 'finding')}, {counted(summary['errors'], 'input error')}, "
        f"{counted(summary['resources'], 'object')}, {counted(summary['rules'], 'rule')}"
    )
    return "\n".join(lines) + "\n"
