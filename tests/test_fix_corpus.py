"""`kubecheck fix --write` on a copy of ../shared/corpus/real: exit 2 with the unparseable and duplicate-key
files reported and left byte-identical, a count of the files fixed, every fixed file passing
tests/check_fixed.py against its original, and a second run that changes nothing.

The everyday suite runs a slice of the corpus that holds every kind of case (about 5 s); with
KUBECHECK_LONG_TESTS=1 it runs the whole corpus (about 45 s)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .check_fixed import check_trees
from .conftest import CORPUS, LONG_TESTS, need_shared
from .test_cli import run

PACKS = ["--pack", "network-hardening", "--pack", "pss-baseline", "--pack", "pss-restricted"]
MUST_GATHER = (
    "openshift__must-gather-clean/test/files/must-gather-aws.tar.xz.d/must-gather-aws/"
    "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-eede85cbd33388f7e18954e5ce8ad9616e91df05ace604966c0a44111d85c897/"
    "namespaces/openshift-dns"
)
SLICE = [
    "GoogleCloudPlatform__kubernetes-engine-samples/databases/postgres-chaos-testing",  # comments to keep in place
    "GoogleCloudPlatform__kubernetes-engine-samples/streaming/kafka-confluent",  # duplicate keys
    "kubernetes__examples/_archived/openshift-origin",  # duplicate keys
    "kubeflow__spark-operator/config/samples",  # SparkApplication pod fields
    "kubeflow__spark-operator/helm-templates",  # unparseable templates
    MUST_GATHER,  # a large List of pods, kubectl output
]


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    """The corpus (or its slice) as it is, and a copy to fix."""
    need_shared(CORPUS)
    original = CORPUS if LONG_TESTS else tmp_path / "original"
    if not LONG_TESTS:
        for part in SLICE:
            shutil.copytree(CORPUS / part, original / part)
    work = tmp_path / "work"
    shutil.copytree(original, work)
    return original, work


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_fix_write_on_the_corpus_keeps_everything_but_the_fixes(tmp_path) -> None:
    original, work = _copy(tmp_path)
    result = run("fix", str(work), "--write", *PACKS)
    stderr = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in stderr
    summary = re.search(r"kubecheck fix: (\d+) edits? made in (\d+) files?;.*; (\d+) files? not fixed", stderr)
    assert summary is not None and int(summary.group(2)) > 0
    errors = {line.split(":", 1)[0] for line in stderr.splitlines() if ": error: " in line}
    assert any("duplicate key" in line for line in stderr.splitlines())
    for name in errors:  # every file with an error is left as it was
        assert Path(name).read_bytes() == (original / Path(name).relative_to(work)).read_bytes(), name
    outcome = check_trees(original, work)
    assert outcome.problems == []
    assert outcome.fixed == int(summary.group(2))
    before = _snapshot(work)
    again = run("fix", str(work), "--write", *PACKS)
    assert again.returncode == 2 and b": 0 edits made in 0 files;" in again.stderr.replace(b"kubecheck fix", b"")
    assert _snapshot(work) == before
