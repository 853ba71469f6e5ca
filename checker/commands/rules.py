"""`kubecheck rules`: the rule table, one rule's page, and the rule examples run as tests (each ``pass``
example of a rule must get no finding from it, each ``fail`` example at least one; the test suite runs them too).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from ..api import UsageError, plan_from, scan_text
from ..policy.loader import load_catalog
from ..policy.model import Rule


@dataclass(frozen=True)
class ExampleOutcome:
    rule: str
    verdict: str  # pass | fail: what the example should do
    index: int
    ok: bool
    detail: str  # for a broken example: what happened instead


def run_examples(
    rule_ids: Iterable[str], policy_dirs: Iterable[str] = (), settings: Iterable[str] = ()
) -> list[ExampleOutcome]:
    """The outcome of every example of the named rules, in rule, verdict and index order. A rule outside
    its version range for the settings has nothing to run."""
    outcomes = []
    dirs, chosen_settings = list(policy_dirs), list(settings)
    catalog = load_catalog(dirs)  # once: a plan per rule reuses it
    for rule_id in sorted(rule_ids):
        try:
            chosen = plan_from(catalog, rules=[rule_id], settings=chosen_settings)
        except UsageError as exc:
            if "applies to" in str(exc):
                continue
            raise
        rule = chosen.catalog.rules[rule_id]
        for verdict in ("pass", "fail"):
            for index, example in enumerate(rule.examples.get(verdict, [])):
                text = yaml.safe_dump(example, sort_keys=False)
                report = scan_text(chosen, f"{rule_id} {verdict} example {index + 1}", text)
                findings = [f for f in report.findings if f.rule == rule_id]
                if report.errors:
                    detail = "; ".join(e.message for e in report.errors)
                elif verdict == "pass":
                    detail = "; ".join(f"{f.path}: {f.message}" for f in findings)
                else:
                    detail = "" if findings else "no finding"
                ok = not report.errors and bool(findings) == (verdict == "fail")
                outcomes.append(ExampleOutcome(rule_id, verdict, index, ok, "" if ok else detail))
    return outcomes


def rule_table(rules: Iterable[Rule]) -> list[str]:
    """One line per rule: id, severity, packs and title, in pack then id order."""
    rows = sorted(rules, key=lambda r: (r.packs[0], r.id))
    width = max((len(r.id) for r in rows), default=10)
    return [f"{r.id:<{width}}  {r.severity.label:<8}  {','.join(r.packs):<34}  {r.title}" for r in rows]


def rule_page(rule: Rule) -> str:
    """One rule as `kubecheck rules show` prints it: header, description, remediation, references, examples."""
    lines = [
        f"{rule.id}: {rule.title}",
        f"severity: {rule.severity.label}    scope: {rule.scope}    packs: {', '.join(rule.packs)}",
    ]
    if rule.check_id:
        lines.append(f"upstream check: {rule.check_id}")
    if rule.versions:
        bounds = [
            f"since {rule.versions['since']}" if "since" in rule.versions else "",
            f"until {rule.versions['until']}" if "until" in rule.versions else "",
        ]
        lines.append(f"applies to {rule.versions['param']} " + " ".join(b for b in bounds if b))
    if rule.overrides:
        lines.append(f"overrides: {', '.join(rule.overrides)}")
    if rule.description:
        lines += ["", *textwrap.wrap(" ".join(rule.description.split()), 100)]
    lines += [
        "",
        "Remediation:",
        *textwrap.wrap(" ".join(rule.remediation.split()), 100, initial_indent="  ", subsequent_indent="  "),
    ]
    if rule.references:
        lines += ["", "References:", *(f"  {ref}" for ref in rule.references)]
    for verdict in ("pass", "fail"):
        for example in rule.examples.get(verdict, []):
            text = yaml.safe_dump(example, sort_keys=False, default_flow_style=None).rstrip()
            lines += ["", f"Example that should {verdict}:", *(f"  {line}" for line in text.splitlines())]
    lines += ["", f"defined in {rule.file}"]
    return "\n".join(lines)
