"""The examples written in rule files are tests: each pass example gets no finding from its rule, each
fail example at least one."""

from __future__ import annotations

import pytest
import yaml

from checker.policy.loader import load_catalog

from .conftest import scan

EXAMPLES = [(rule.id, verdict, index, example)
            for rule in load_catalog().rules.values()
            for verdict in ("pass", "fail")
            for index, example in enumerate(rule.examples.get(verdict, []))]


def test_some_rules_carry_examples() -> None:
    assert {rule_id for rule_id, *_ in EXAMPLES} >= {"drop-net-bind-service", "pss-privileged"}


@pytest.mark.parametrize(("rule_id", "verdict", "index", "example"), EXAMPLES,
                         ids=[f"{r}/{v}/{i}" for r, v, i, _ in EXAMPLES])
def test_rule_example(rule_id: str, verdict: str, index: int, example: dict, tmp_path) -> None:
    file = tmp_path / "example.yaml"
    file.write_text(yaml.safe_dump(example), encoding="utf-8")
    findings = [f for f in scan([file], rules=[rule_id]).findings if f.rule == rule_id]
    assert bool(findings) == (verdict == "fail"), findings
