"""Every rule's pass/ and fail/ fixtures, run through the real scan pipeline.

A fixture is a file, or a directory whose files are scanned together (the cross-object cases: a workload and
the objects it refers to, in separate files). A fixture may carry directives in leading comments (or, for
JSON, in a sibling FILE.meta; a directory's directives are those of all its files):
``# set: KEY=VALUE`` adds a parameter, ``# expect: PATH`` names a finding path the rule must report (the
set of reported paths must then equal the expected set), ``# expect-message: TEXT`` a message substring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checker.api import UsageError
from checker.policy.loader import load_catalog

from .conftest import FIXTURES, scan

RULE_FIXTURES = FIXTURES / "rules"


@dataclass
class Case:
    rule: str
    expected: str
    file: Path
    settings: list[str] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)


def _directives(file: Path) -> list[str]:
    meta = file.with_name(file.name + ".meta")
    source = meta if meta.exists() else file
    lines = []
    for line in source.read_text(encoding="utf-8-sig").splitlines():
        if not line.startswith("#"):
            if line.strip() and source is file:
                break
            continue
        lines.append(line[1:].strip())
    return lines


def _cases() -> list[Case]:
    cases = []
    for rule_dir in sorted(p for p in RULE_FIXTURES.iterdir() if p.is_dir()):
        for expected in ("pass", "fail"):
            for file in sorted((rule_dir / expected).glob("*")):
                if file.suffix not in (".yaml", ".yml", ".json") and not file.is_dir():
                    continue
                case = Case(rule_dir.name, expected, file)  # a directory: one scan of its files together
                manifests = (
                    sorted(f for f in file.rglob("*") if f.suffix in (".yaml", ".yml")) if file.is_dir() else [file]
                )
                for directive in (d for manifest in manifests for d in _directives(manifest)):
                    key, _, value = directive.partition(":")
                    value = value.strip()
                    if key == "set":
                        case.settings.append(value)
                    elif key == "expect":
                        case.paths.add(value)
                    elif key == "expect-message":
                        case.messages.append(value)
                cases.append(case)
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}/{c.expected}/{c.file.name}" for c in CASES])
def test_fixture(case: Case) -> None:
    try:
        report = scan([case.file], rules=[case.rule], settings=case.settings)
    except UsageError as exc:  # the rule was named but the settings put it outside its version range
        assert case.expected == "pass" and "applies to" in str(exc), exc
        return
    assert report.errors == [], report.errors
    findings = [f for f in report.findings if f.rule == case.rule]
    if case.expected == "pass":
        assert findings == [], [f"{f.path}: {f.message}" for f in findings]
        return
    assert findings, f"{case.file} should fail {case.rule}"
    if case.paths:
        assert {f.path for f in findings} == case.paths, [f"{f.path}: {f.message}" for f in findings]
    for text in case.messages:
        assert any(text in f.message for f in findings), [f.message for f in findings]


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    covered = {(c.rule, c.expected) for c in CASES}
    for rule_id in load_catalog().rules:
        assert (rule_id, "pass") in covered, f"{rule_id} has no pass fixture"
        assert (rule_id, "fail") in covered, f"{rule_id} has no fail fixture"


def test_one_finding_per_container_and_cause() -> None:
    # an `any` over a list's items that fails is one cause: one finding at the list, not one per item
    file = RULE_FIXTURES / "pss-capabilities-restricted" / "fail" / "several-drops-without-all.yaml"
    findings = scan([file], rules=["pss-capabilities-restricted"]).findings
    assert [(f.path, f.line) for f in findings] == [("spec.containers[0].securityContext.capabilities.drop", 13)]
