"""The pss-baseline and pss-restricted packs agree with the upstream Pod Security admission fixtures
(../shared/conformance/pod-security): every fail fixture gets a finding from its level's pack at its
version, every pass fixture none. Also the same pods wrapped in Deployments, as upstream does."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from checker.api import plan, run_plan

from .conftest import PSS_CONFORMANCE, need_shared


def _groups() -> dict[tuple[str, str], list[dict[str, str]]]:
    index = PSS_CONFORMANCE / "INDEX.tsv"
    if not index.exists():
        return {}
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with index.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            groups[(row["level"], row["version"])].append(row)
    return dict(groups)


GROUPS = _groups()
KEYS = sorted(GROUPS, key=lambda k: (k[0], int(k[1].split(".")[1]))) or [("baseline", "v1.0")]


def _disagreements(level: str, version: str, rows: list[dict[str, str]], paths: list[str]) -> list[str]:
    """Fixtures where kubecheck disagrees with upstream. A fail fixture must be flagged by the rule that
    carries its upstream check id, or by the restricted rule that overrides that check."""
    chosen = plan(packs=[f"pss-{level}"], settings=[f"pss.version={version}"])
    rules = {c.rule.id: c.rule for c in chosen.rules}
    catalog = chosen.catalog.rules
    report = run_plan(chosen, paths)
    assert report.errors == []
    flagged = defaultdict(list)
    for finding in report.findings:
        flagged[finding.file].append(f"{finding.rule}: {finding.message}")
    checks = defaultdict(set)
    for finding in report.findings:
        rule = rules[finding.rule]
        checks[finding.file] |= {rule.check_id} | {catalog[r].check_id for r in rule.overrides}
    wrong = []
    for row, path in zip(rows, paths, strict=True):
        got = flagged.get(path, [])
        if row["expected"] == "fail" and row["check_id"] not in checks[path]:
            wrong.append(f"{row['path']}: expected a finding of {row['check_id']}, got {got}")
        if row["expected"] == "pass" and got:
            wrong.append(f"{row['path']}: expected none, got {got}")
    return wrong


@pytest.mark.parametrize(("level", "version"), KEYS, ids=[f"{lv}-{v}" for lv, v in KEYS])
def test_pods_agree_with_upstream(level: str, version: str) -> None:
    need_shared(PSS_CONFORMANCE / "INDEX.tsv")
    rows = GROUPS[(level, version)]
    paths = [str(PSS_CONFORMANCE / row["path"]) for row in rows]
    assert _disagreements(level, version, rows, paths) == []


def test_conformance_covers_every_fixture() -> None:
    need_shared(PSS_CONFORMANCE / "INDEX.tsv")
    assert sum(len(rows) for rows in GROUPS.values()) == 4537
    assert len(GROUPS) == 2 * 38


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_pod_templates_in_deployments_agree_too(level: str, tmp_path: Path) -> None:
    """Upstream also wraps each fixture's pod in a Deployment; the rules run on every pod template."""
    need_shared(PSS_CONFORMANCE / "INDEX.tsv")
    version = "v1.37"
    rows = GROUPS[(level, version)]
    paths = []
    for row in rows:
        pod = yaml.safe_load((PSS_CONFORMANCE / row["path"]).read_text(encoding="utf-8"))
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "test"},
            "spec": {
                "selector": {"matchLabels": {"app": "test"}},
                "template": {"metadata": {**pod.get("metadata", {}), "labels": {"app": "test"}}, "spec": pod["spec"]},
            },
        }
        target = tmp_path / row["path"].replace("/", "__")
        target.write_text(yaml.safe_dump(deployment), encoding="utf-8")
        paths.append(str(target))
    assert _disagreements(level, version, rows, paths) == []
