"""Kustomize patch files named by a Kustomization of the scan are partial objects: left out, counted,
and listed in notes; scanned alone they are checked like any manifest."""

from __future__ import annotations

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
