"""docs/peers.md is what tools/peer_table.py makes of docs/peers.yaml, every peer check there names real
rules or says why none, and a rule that names a Trivy check as its peer is listed for it."""

from __future__ import annotations

import re
from types import ModuleType

from checker.policy.loader import load_catalog

from .conftest import ROOT, load_tool


def _tool() -> ModuleType:
    return load_tool("peer_table")


def test_the_page_is_current_and_the_data_sound() -> None:
    tool = _tool()
    tools = tool.load()
    assert tool.problems(tools, set(load_catalog().rules)) == []
    assert (ROOT / "docs" / "peers.md").read_text(encoding="utf-8") == tool.render(tools), (
        "docs/peers.md is out of date: run python tools/peer_table.py"
    )
    assert [t["name"] for t in tools] == ["Trivy", "kube-linter", "Polaris"]


def test_mistakes_in_the_data_are_named() -> None:
    tool = _tool()
    bad = [
        {
            "name": "T",
            "checks": [
                {"id": "a", "check": "x", "rules": ["no-such-rule"]},
                {"id": "a", "check": "x", "rules": ["pss-privileged"], "none": "y"},
                {"id": "b", "check": "x", "none": "y", "which covers this": None},
            ],
        }
    ]
    found = tool.problems(bad, set(load_catalog().rules))
    assert any("unknown rule no-such-rule" in p for p in found)
    assert any("listed twice" in p for p in found) and any("not both" in p for p in found)
    assert any("unknown keys which covers this" in p for p in found)


def test_a_trivy_check_a_rule_names_as_its_peer_lists_that_rule() -> None:
    trivy = {c["id"]: c for c in _tool().load()[0]["checks"]}
    for rule in load_catalog().rules.values():
        for check in re.findall(r"KSV-\d+", rule.description):
            assert rule.id in trivy[check].get("rules", []), f"{rule.id} names {check}, which peers.yaml maps elsewhere"
