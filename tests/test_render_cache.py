"""--cache keeps rendered charts and built overlays: a warm scan renders nothing and gives the same report; a
changed values file, template or overlay base renders again (inputs/render/cache.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import scanning
from checker.api import plan, run_plan
from checker.inputs import render as rendering
from checker.inputs.render import RenderOptions
from checker.inputs.render.kustomize import build_overlays, command_identity
from checker.report import FORMATS
from checker.report import RenderOptions as ReportOptions

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: web
          image: {image}
          securityContext: {{privileged: {privileged}}}
"""


def _json(report) -> str:
    return FORMATS["json"](report, ReportOptions(show_suppressed=True))


def _tree(root: Path) -> None:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("privileged: false\n")
    (chart / "templates" / "web.yaml").write_text(
        DEPLOYMENT.format(image="web:1", privileged="{{ .Values.privileged }}")
    )
    base = root / "app" / "base"
    overlay = root / "app" / "prod"
    base.mkdir(parents=True)
    overlay.mkdir()
    (base / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    (base / "web.yaml").write_text(DEPLOYMENT.format(image="web:1", privileged="false"))
    (overlay / "kustomization.yaml").write_text("namePrefix: prod-\nresources: [../base]\n")


def test_rendered_charts_and_overlays_come_from_the_cache_until_a_file_they_read_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("helm_python", reason="the Helm SDK (pip install 'kubecheck[helm]') is not installed")
    if command_identity() == "none":
        pytest.skip("no kustomize builder (kustomize or kubectl)")
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    values = tmp_path / "prod-values.yaml"
    values.write_text("privileged: false\n")
    chosen = plan(rules=["pss-privileged", "pss-run-as-non-root"])
    options = RenderOptions(values=(str(values),), release_name="web", namespace="shop")
    renders: list[str] = []
    real_chart, real_build = rendering.render_chart, rendering.build_one
    monkeypatch.setattr(rendering, "render_chart", lambda chart, *a: renders.append(chart) or real_chart(chart, *a))
    monkeypatch.setattr(rendering, "build_one", lambda overlay: renders.append(overlay.root) or real_build(overlay))
    cache = str(tmp_path / "cache")

    def scan() -> str:
        renders.clear()
        return _json(scanning.scan(chosen, ["chart", "app"], render=options, jobs=1, cache=cache))

    def check(rendered: list[str]) -> str:
        """The cached scan's report, the same as a scan without the cache, and what it rendered."""
        expected = _json(run_plan(chosen, ["chart", "app"], render=options))
        assert scan() == expected and sorted(renders) == rendered
        return expected

    without = check(["app/prod", "chart"])  # cold
    check([])  # warm: nothing rendered
    values.write_text("privileged: true\n")  # a --values file
    assert check(["chart"]) != without
    (tmp_path / "chart" / "templates" / "web.yaml").write_text(DEPLOYMENT.format(image="web:2", privileged="true"))
    check(["chart"])
    (tmp_path / "app" / "base" / "web.yaml").write_text(DEPLOYMENT.format(image="web:1", privileged="true"))
    check(["app/prod"])  # a file of its base
    options = RenderOptions(values=(str(values),), release_name="other", namespace="shop")
    check(["chart"])  # another release name


def test_overlays_built_at_once_give_what_one_at_a_time_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--jobs builds overlays at once: the same documents, errors and consumed files in the same order, a
    failed overlay's bases still built on their own after it."""
    if command_identity() == "none":
        pytest.skip("no kustomize builder (kustomize or kubectl)")
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    broken = tmp_path / "app" / "broken"
    broken.mkdir()
    (broken / "kustomization.yaml").write_text("resources: [../base, missing.yaml]\n")
    roots = ["app/prod", "app/broken", "app/base"]
    one, two = build_overlays(roots, jobs=1), build_overlays(roots, jobs=2)
    assert one.consumed == two.consumed
    one_result, two_result = one.result, two.result
    documents = [(d.source.name, d.data) for d in one_result.documents]
    assert documents == [(d.source.name, d.data) for d in two_result.documents] and len(documents) == 2
    assert one_result.errors == two_result.errors and len(one_result.errors) == 1
    assert "missing.yaml" in one_result.errors[0].message and one_result.inputs == two_result.inputs == 3
