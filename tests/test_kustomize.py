"""Kustomize patch files named by a Kustomization of the scan are partial objects: left out, counted,
and listed in notes; scanned alone they are checked like any manifest. Builds run with a smaller Go heap
target."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from checker.inputs.render import kustomize
from checker.inputs.render.kustomize import build_overlays

from .conftest import FIXTURES, RAW, scan

BASE = FIXTURES / "kustomize" / "base"


def test_patches_named_by_a_kustomization_are_left_out() -> None:
    report = scan([BASE], rules=["drop-net-bind-service"], render=RAW)
    assert report.findings == []
    assert report.kustomize_patches == 1
    assert any("drop-caps-patch.yaml:2: Deployment api: a kustomize patch" in note for note in report.notes)


def test_a_patch_scanned_without_its_kustomization_is_checked() -> None:
    report = scan([BASE / "drop-caps-patch.yaml"], rules=["drop-net-bind-service"])
    assert [f.rule for f in report.findings] == ["drop-net-bind-service"]


def test_builds_run_with_a_smaller_go_heap_target_unless_the_user_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kustomize and kubectl are Go programs: builds run with GOGC=50 (kustomize.BUILD_GOGC), or the user's."""
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
    (tmp_path / "kustomization.yaml").write_text("resources: [settings.yaml]\n")
    (tmp_path / "settings.yaml").write_text(config_map)
    seen: list[str | None] = []

    def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        seen.append(options["env"].get("GOGC"))
        return subprocess.CompletedProcess(command, 0, config_map, "")

    monkeypatch.setattr(kustomize, "_command", lambda: ["kustomize", "build"])
    monkeypatch.setattr(kustomize.subprocess, "run", run)
    monkeypatch.delenv("GOGC", raising=False)
    first = build_overlays([str(tmp_path)])
    monkeypatch.setenv("GOGC", "200")
    build_overlays([str(tmp_path)])
    assert seen == ["50", "200"]
    assert [d.data["metadata"]["name"] for d in first.result.documents] == ["settings"]
