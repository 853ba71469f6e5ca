"""JUnit XML for CI test-report views: a suite per rule that ran (a passing case when it found nothing,
a failing case per finding) and a suite for inputs that could not be read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby
from typing import TYPE_CHECKING

from ..findings import FrameworkResult, Report, Severity
from .controls import objects_line
from .escaping import xml_text

if TYPE_CHECKING:
    from . import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    root = ET.Element("testsuites", name="kubecheck")
    by_rule = {
        rule: list(group)
        for rule, group in groupby(sorted(report.findings, key=lambda f: f.rule), key=lambda f: f.rule)
    }
    for rule in report.rule_info:
        findings = by_rule.get(rule.id, [])
        failing = [f for f in findings if f.severity > Severity.INFO]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=rule.id,
            tests=str(max(len(findings), 1)),
            failures=str(len(failing)),
            errors="0",
            skipped="0",
        )
        if not findings:
            ET.SubElement(suite, "testcase", name=rule.title, classname=rule.id)
        for finding in findings:
            resource = finding.resource
            name = f"{resource['kind']}/{resource['name']}" + (f" [{finding.container}]" if finding.container else "")
            case = ET.SubElement(suite, "testcase", name=f"{name} {finding.path}", classname=rule.id)
            where = f"{finding.file}:{finding.line}:{finding.column}"
            tag = "failure" if finding.severity > Severity.INFO else "system-out"
            attributes = {"message": finding.message, "type": finding.severity.label} if tag == "failure" else {}
            element = ET.SubElement(case, tag, attributes)
            element.text = f"{where}\n{finding.message}{finding.see_also}\nfix: {finding.remediation}"
    for framework in report.frameworks:
        _framework_suite(root, framework)
    if report.errors:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="kubecheck-inputs",
            tests=str(len(report.errors)),
            failures="0",
            errors=str(len(report.errors)),
            skipped="0",
        )
        for error in report.errors:
            where = f"{error.file}:{error.line}" if error.line else error.file
            case = ET.SubElement(suite, "testcase", name=where, classname="kubecheck-inputs")
            ET.SubElement(case, "error", message=error.message, type="input").text = f"{where}: {error.message}"
    for element in root.iter():  # well-formed XML whatever the names and values hold
        element.attrib = {key: xml_text(value) for key, value in element.attrib.items()}
        if element.text:
            element.text = xml_text(element.text)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _framework_suite(root: ET.Element, framework: FrameworkResult) -> None:
    """A suite per framework: a case per control, failing for a failed control (with its failing objects),
    skipped for a manual one or one with no object to check."""
    failed = [c for c in framework.controls if c.status == "fail"]
    skipped = [c for c in framework.controls if c.status in ("manual", "not-applicable")]
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"{framework.id} v{framework.version}",
        tests=str(len(framework.controls)),
        failures=str(len(failed)),
        errors="0",
        skipped=str(len(skipped)),
    )
    for control in framework.controls:
        case = ET.SubElement(suite, "testcase", name=f"{control.id} {control.title}", classname=framework.id)
        if control.status == "fail":
            objects = "\n".join(
                f"{o['file']}:{o['line']}: {o['kind']} {o['namespace'] + '/' if o['namespace'] else ''}{o['name']}"
                for o in control.failed_objects
            )
            failure = ET.SubElement(case, "failure", message=objects_line(control), type="control")
            failure.text = f"rules: {', '.join(control.rules)}\n{objects}"
        elif control.status in ("manual", "not-applicable"):
            ET.SubElement(case, "skipped", message=objects_line(control))
