"""The README stays true: a two-line Quick start, and every rule, parameter and fact documented."""

from __future__ import annotations

import re

from checker.facts import FACTS
from checker.policy.loader import load_catalog

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_two_lines_of_sh() -> None:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    lines = block.group(1).strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && kubecheck scan fixtures/")
    assert lines[1] == "pip install '.[test]' && pytest"


def test_every_rule_parameter_and_fact_is_documented() -> None:
    catalog = load_catalog()
    for name in (*catalog.rules, *catalog.params, *FACTS):
        assert f"`{name}`" in README, f"{name} is not in the README"
