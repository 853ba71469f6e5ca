"""JSON reports carry the run's notes (baseline counts, suppressions without a reason, hidden paths, ...) under
`notes`, only when there are any, so a report without notes stays byte for byte as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import ROOT
from .test_baseline import POD
from .test_cli import check_golden, run


def test_notes_golden() -> None:
    result = run("scan", "fixtures/suppressions", "-o", "json")
    assert result.returncode == 1
    check_golden("scan-notes.json", result.stdout.decode())
    notes = json.loads(result.stdout)["notes"]
    assert "fixtures/suppressions/commented.yaml:15: suppression of pss-privileged matched no finding" in notes
    assert list(json.loads(result.stdout)) == ["findings", "errors", "summary", "notes"]


def test_no_notes_no_key() -> None:
    result = run("scan", "fixtures/spark-operator/ipv4-hardened.yaml", "-o", "json")
    assert "notes" not in json.loads(result.stdout)
    assert '"notes"' not in (ROOT / "tests" / "golden" / "scan.json").read_text(encoding="utf-8")


def test_baseline_counts_are_notes(tmp_path: Path) -> None:
    manifest, record = tmp_path / "pod.yaml", tmp_path / "baseline.json"
    manifest.write_text(POD)
    assert run("scan", str(manifest), "--pack", "pss-baseline", "--write-baseline", str(record)).returncode == 0
    manifest.write_text(POD.replace("hostPID: true", "hostNetwork: true"))
    result = run("scan", str(manifest), "--pack", "pss-baseline", "--baseline", str(record), "-o", "json", "--quiet")
    assert result.returncode == 1
    assert result.stderr == b""  # --quiet: stderr stays silent, the JSON still says it
    line = f"baseline {record}: 1 known finding not shown; 1 entry no longer occurs"
    assert json.loads(result.stdout)["notes"] == [line]


def test_hidden_paths_are_notes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "fixtures" / "spark-operator" / "ipv4-hardened.yaml", tmp_path / "app.yaml")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "pod.yaml").write_text(POD)
    result = run("scan", str(tmp_path), "-o", "json")
    assert json.loads(result.stdout)["notes"] == [f"{tmp_path}/.github: hidden, not scanned (use --include-hidden)"]
