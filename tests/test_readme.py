"""The README and docs/ stay true: a two-line Quick start, every rule, parameter and fact documented, every
module in the module map, and every relative link pointing at a file that exists."""

from __future__ import annotations

import re

from checker.facts import FACTS
from checker.policy.loader import load_catalog

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"


def _page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


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
    rule_pages = "".join(p.read_text(encoding="utf-8") for p in sorted((DOCS / "rules").glob("*.md")))
    for name in catalog.rules:
        assert f"## `{name}`" in rule_pages, f"{name} has no section in docs/rules/ (python tools/rule_docs.py)"
    configuration = _page("configuration.md")
    for name in catalog.params:
        assert f"| `{name}` |" in configuration, f"parameter {name} is not in docs/configuration.md's table"
    writing_rules = _page("writing-rules.md")
    for name in FACTS:
        assert f"| `{name}` |" in writing_rules, f"fact {name} is not in docs/writing-rules.md's facts table"


def test_the_readme_links_every_docs_page() -> None:
    for page in sorted(DOCS.glob("*.md")):
        assert f"(docs/{page.name})" in README or f"(docs/{page.name}#" in README, f"README does not link {page}"
    assert "(docs/rules/README.md)" in README


def test_relative_links_resolve() -> None:
    """Every relative link of README.md, CONTRIBUTING.md and docs/ names a file that exists, and an anchor
    into a markdown page names one of its headings."""
    notes = DOCS / "rules" / "notes"  # pasted into docs/rules/*.md, whose links are checked
    pages = [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        *(p for p in sorted(DOCS.rglob("*.md")) if notes not in p.parents),
    ]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        for target, anchor in re.findall(r"\]\(([^)#<>\s]*)(?:#([^)\s]*))?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file = (page.parent / target) if target else page
            assert file.exists(), f"{page.relative_to(ROOT)}: broken link {target}"
            if anchor and file.suffix == ".md":
                assert anchor in _anchors(file), f"{page.relative_to(ROOT)}: no heading #{anchor} in {target}"


def _anchors(page: object) -> set[str]:
    from pathlib import Path

    assert isinstance(page, Path)
    found = set()
    for heading in re.findall(r"^#{1,6} (.*)$", page.read_text(encoding="utf-8"), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_the_module_map_names_every_module() -> None:
    """A newcomer finds every module of checker/ in docs/development.md's module map, in the row of its folder."""
    section = _page("development.md").split("## Module map", 1)[1].split("\n## ", 1)[0]
    rows = [row for row in section.splitlines() if row.startswith("| ")]
    package = ROOT / "checker"
    for path in sorted(package.rglob("*.py")):
        folder = path.parent.relative_to(package).as_posix()
        if folder == ".":
            if path.name != "__init__.py":
                assert any(f"`{path.name}`" in row for row in rows), f"checker/{path.name} is not in the module map"
            continue
        if path.name == "__init__.py" and folder != "report":
            continue
        row = next((r for r in rows if f"`{folder}/" in r), None)
        assert row is not None, f"no row of the module map names checker/{folder}/"
        assert f"`{path.name}`" in row or f"`{folder}/{path.name}`" in row, (
            f"checker/{folder}/{path.name} is not in the module map's {folder}/ row"
        )
