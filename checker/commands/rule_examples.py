"""Rule examples as tests: each ``pass`` example of a rule must get no finding from it, each ``fail``
example at least one. ``kubecheck rules test`` and the test suite both run them through this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from ..api import UsageError, plan, scan_text


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
    for rule_id in sorted(rule_ids):
        try:
            chosen = plan(rules=[rule_id], policy_dirs=dirs, settings=chosen_settings)
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
