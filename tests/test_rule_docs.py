"""docs/rules/ is what tools/rule_docs.py makes of the rule files: regenerated into a temporary folder, every
page must equal the checked-in one; and each page holds what a reader looks for (parameters, fixtures, links)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from checker.policy.catalog import all_packs
from checker.policy.loader import load_catalog

from .conftest import ROOT, load_tool

PAGES = ROOT / "docs" / "rules"


def _tool() -> ModuleType:
    return load_tool("rule_docs")


def test_docs_rules_is_current(tmp_path: Path) -> None:
    tool = _tool()
    tool.write(tmp_path)
    fresh = {path.name: path.read_text(encoding="utf-8") for path in sorted(tmp_path.glob("*.md"))}
    checked_in = {path.name: path.read_text(encoding="utf-8") for path in sorted(PAGES.glob("*.md"))}
    stale = sorted(name for name in fresh.keys() | checked_in.keys() if fresh.get(name) != checked_in.get(name))
    assert not stale, f"docs/rules/ is not current ({', '.join(stale)}): run python tools/rule_docs.py"


def test_stale_pages_are_named(tmp_path: Path) -> None:
    tool = _tool()
    tool.write(tmp_path)
    (tmp_path / "rbac.md").write_text("stale\n", encoding="utf-8")
    assert tool.stale(tmp_path) == ["rbac.md"]
    (tmp_path / "gone.md").write_text("left over\n", encoding="utf-8")
    assert tool.stale(tmp_path) == ["gone.md", "rbac.md"]


def test_output_is_deterministic() -> None:
    tool = _tool()
    assert tool.render_all() == tool.render_all()


def test_every_rule_has_its_section_with_parameters_fixtures_and_frameworks() -> None:
    catalog = load_catalog()
    pages = {path.name: path.read_text(encoding="utf-8") for path in PAGES.glob("*.md")}
    for rule in catalog.rules.values():
        home = pages[f"{Path(rule.file).parent.name}.md"]
        assert f"## `{rule.id}`" in home, f"{rule.id} has no section in docs/rules/"
        for pack in rule.packs:
            assert f"`{rule.id}`" in pages[f"{pack}.md"], f"{rule.id} is not listed on the {pack} page"
    network = pages["network-hardening.md"]
    section = network.split("## `privileged-port-without-capability`", 1)[1].split("\n## ", 1)[0]
    # read by the fact container.unbindable_ports, not named in the rule file
    for param in ("container-runtime", "file-capabilities", "k8s.version"):
        assert f"| `{param}` |" in section
    assert "(../../fixtures/rules/privileged-port-without-capability/fail/" in section
    rbac = pages["rbac.md"].split("## `rbac-cluster-admin-binding`", 1)[1].split("\n## ", 1)[0]
    assert "cis-kubernetes 5.1.1" in rbac
    index = pages["README.md"]
    assert f"{len(catalog.rules)} rules in {len(all_packs(catalog))} packs" in index
