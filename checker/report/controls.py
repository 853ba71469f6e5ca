"""Words and numbers of a framework summary that several formats share: a control's status label, its
objects line, and the framework's one-line summary.
"""

from __future__ import annotations

from ..findings import ControlResult, FrameworkResult, counted


def objects_line(control: ControlResult) -> str:
    """``3 of 40 objects fail (12 findings)``, ``40 objects checked``, or why nothing was."""
    if control.status == "manual":
        return "manual: " + control.manual if control.manual else "manual"
    if not control.objects_checked:
        not_run = f"; not run: {', '.join(control.rules_not_run)}" if control.rules_not_run else ""
        return f"no object of the scan for its rules{not_run}"
    text = f"{control.objects_failed} of {counted(control.objects_checked, 'object')} fail"
    if control.findings:
        text += f" ({counted(control.findings, 'finding')})"
    if control.suppressed:
        text += f"; {control.suppressed} suppressed"
    return text


def framework_line(framework: FrameworkResult) -> str:
    """``cis-kubernetes v1.12.0: 34 controls, 12 fail, 10 pass, 6 not applicable, 6 manual; score 81.2%``."""
    summary = framework.summary()
    score = f"; score {summary['score']}%" if summary["score"] is not None else ""
    return (
        f"{framework.id} v{framework.version}: {counted(summary['controls'], 'control')}, {summary['fail']} fail, "
        f"{summary['pass']} pass, {summary['not_applicable']} not applicable, {summary['manual']} manual{score}"
    )
