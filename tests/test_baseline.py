"""Baselines: fingerprints without line numbers survive edits above a finding; --baseline reports only new
findings and counts recorded ones that no longer occur; a bad baseline file is a usage error."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from checker import baseline

from .conftest import scan
from .test_cli import run

POD = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  hostPID: true
  containers:
  - name: app
    image: nginx:1.27
    securityContext: {privileged: true}
"""


def test_fingerprints_survive_lines_shifting_above(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    before = scan([manifest], packs=["pss-baseline"]).findings
    manifest.write_text("# a new header comment\n# and another\n" + POD.replace("spec:\n", "spec:\n  # note\n"))
    after = scan([manifest], packs=["pss-baseline"]).findings
    assert [f.line for f in after] != [f.line for f in before]
    assert [baseline.fingerprint(f) for f in after] == [baseline.fingerprint(f) for f in before]
    # A different value at the same place is a different finding.
    manifest.write_text(POD.replace("hostPID: true", "hostIPC: true"))
    changed = {baseline.fingerprint(f) for f in scan([manifest], packs=["pss-baseline"]).findings}
    assert changed != {baseline.fingerprint(f) for f in before}


def test_compare_counts_repeated_fingerprints() -> None:
    manifest = Path(__file__).parent.parent / "fixtures" / "exemptions" / "workloads.yaml"
    findings = scan([manifest], packs=["pss-baseline"]).findings
    recorded = Counter(baseline.fingerprint(f) for f in findings[:1])
    recorded["0" * 32] = 2  # entries for findings fixed since
    comparison = baseline.compare(findings, recorded)
    assert (len(comparison.known), len(comparison.new), comparison.gone) == (1, len(findings) - 1, 2)


def test_cli_write_then_use_a_baseline(tmp_path: Path) -> None:
    manifest, record = tmp_path / "pod.yaml", tmp_path / "baseline.json"
    manifest.write_text(POD)
    written = run("scan", str(manifest), "--pack", "pss-baseline", "--write-baseline", str(record))
    assert written.returncode == 0, written.stderr
    assert "baseline of 2 findings written to" in written.stderr.decode()
    entries = json.loads(record.read_text())["findings"]
    assert [(e["rule"], e["object"], e["path"]) for e in entries] == [
        ("pss-host-namespaces", "Pod/shop/web", "spec.hostPID"),
        ("pss-privileged", "Pod/shop/web", "spec.containers[0].securityContext.privileged"),
    ]
    assert all("line" not in e for e in entries)

    # Lines shift above both findings: nothing new, exit 0.
    manifest.write_text("# moved down by a comment\n" + POD)
    same = run("scan", str(manifest), "--pack", "pss-baseline", "--baseline", str(record), "-o", "json")
    assert same.returncode == 0, same.stdout
    assert json.loads(same.stdout)["findings"] == []
    assert "baseline " + str(record) + ": 2 known findings not shown; 0 entries no longer occur" in same.stderr.decode()

    # One fixed, one new: only the new one is reported, and the fixed one is counted.
    manifest.write_text(POD.replace("hostPID: true", "hostNetwork: true"))
    new = run("scan", str(manifest), "--pack", "pss-baseline", "--baseline", str(record), "-o", "json")
    assert new.returncode == 1
    document = json.loads(new.stdout)
    assert [(f["rule"], f["path"]) for f in document["findings"]] == [("pss-host-namespaces", "spec.hostNetwork")]
    assert "1 known finding not shown; 1 entry no longer occurs" in new.stderr.decode()


def test_cli_refuses_a_bad_baseline(tmp_path: Path) -> None:
    record = tmp_path / "baseline.json"
    record.write_text('{"findings": [}')
    result = run("scan", "fixtures/exemptions", "--baseline", str(record))
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"error: {record}:1: the baseline is not valid JSON")
    record.write_text('{"findings": []}')
    assert "not a kubecheck baseline" in run("scan", "fixtures/exemptions", "--baseline", str(record)).stderr.decode()
    missing = run("scan", "fixtures/exemptions", "--baseline", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read the baseline" in missing.stderr.decode()
