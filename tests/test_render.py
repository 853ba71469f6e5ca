"""Charts and overlays rendered: the five corpus charts with default values, --values and --helm-set changing a
verdict, findings mapped to templates and values keys, the corpus overlays built, and helm-post-render and krm
giving the scan's findings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checker.api import plan, run_plan
from checker.commands.krm import krm
from checker.commands.post_render import post_render
from checker.findings import Severity
from checker.inputs.render import RenderOptions

from .conftest import CORPUS, SHARED, need_shared

CHARTS = SHARED / "corpus" / "charts"
RULE = ["drop-net-bind-service"]


def need_helm() -> None:
    need_shared(CHARTS)
    pytest.importorskip("helm_python", reason="the Helm SDK (pip install 'kubecheck[helm]') is not installed")


def _scan(paths: list[Path], render: RenderOptions | None = None, rules: list[str] | None = None):
    return run_plan(plan(rules=rules or []), [str(p) for p in paths], False, render=render)


def test_the_five_charts_render_with_default_values() -> None:
    need_helm()
    report = _scan([CHARTS])
    assert report.errors == []
    assert report.resources > 100
    for finding in report.findings:
        assert "/templates/" in finding.file or finding.file.endswith("values.yaml"), finding.file
        assert finding.rendered is not None and finding.rendered["chart"].startswith(str(CHARTS))
    spark = {f.file for f in report.findings if f.rule == "drop-net-bind-service" and "v2.0.1" in f.file}
    assert spark == {
        str(CHARTS / "spark-operator-v2.0.1/templates/controller/deployment.yaml"),
        str(CHARTS / "spark-operator-v2.0.1/templates/webhook/deployment.yaml"),
    }


def test_helm_set_and_values_change_the_verdict(tmp_path: Path) -> None:
    need_helm()
    chart = CHARTS / "spark-operator-v2.0.1"
    webhook = str(chart / "templates/webhook/deployment.yaml")
    before = {f.file for f in _scan([chart], rules=RULE).findings}
    assert webhook in before
    drop = RenderOptions(helm_set=("webhook.securityContext.capabilities.drop={ALL}",))
    assert webhook not in {f.file for f in _scan([chart], drop, RULE).findings}
    values = tmp_path / "values.yaml"
    values.write_text(
        "controller:\n  securityContext:\n    capabilities:\n      drop: [ALL]\n      add: [NET_BIND_SERVICE]\n"
    )
    report = _scan([chart], RenderOptions(values=(str(values),)), RULE)
    added = [f for f in report.findings if "re-added" in f.message]
    assert [(f.file, f.line) for f in added] == [(str(values), 5)]  # the values key that adds it back
    assert added[0].rendered is not None and added[0].rendered["values"][-1] == str(values)


def test_a_literal_field_points_at_its_template_line() -> None:
    need_helm()
    report = _scan([CHARTS / "longhorn"], rules=["pss-privileged"])
    place = {(f.file, f.line) for f in report.findings}
    template = CHARTS / "longhorn/templates/daemonset-sa.yaml"
    assert (str(template), 28) in place
    assert template.read_text().splitlines()[27].strip() == "privileged: true"


def test_no_render_reads_templates_raw() -> None:
    need_helm()
    report = _scan([CHARTS / "longhorn"], RenderOptions(enabled=False))
    assert report.errors  # templates are not YAML


def test_corpus_overlays_are_built_and_failures_named() -> None:
    need_shared(CORPUS)
    # flux's bases name remote resources; spark-operator holds loose Helm templates (the whole corpus builds
    # 92 overlays: `kubecheck scan ../shared/corpus/real` shows them all, this keeps the suite quick)
    report = _scan([CORPUS / "fluxcd__flux2" / "manifests" / "bases", CORPUS / "kubeflow__spark-operator"], rules=RULE)
    failures = [e for e in report.errors if "kustomiz" in e.file.lower() or "remote resource" in e.message]
    assert any("remote resource" in e.message and "cannot be fetched" in e.message for e in failures)
    assert all(e.file.endswith(("kustomization.yaml", "kustomization.yml", "Kustomization")) for e in failures)
    assert not any("helm-templates" in e.file for e in report.errors)  # loose templates: one note per folder
    assert any("helm-templates" in note and "outside any chart" in note for note in report.notes)


def test_post_render_and_krm_give_the_scans_findings(tmp_path: Path) -> None:
    need_helm()
    import helm_python

    with helm_python.Chart.load(str(CHARTS / "spark-operator-v2.0.1")) as chart:
        outputs = chart.render(None, name="release-name", namespace="default")
    stream = "".join(
        f"---\n# Source: {key}\n{text.strip()}\n"
        for key, text in sorted(outputs.items())
        if text.strip() and not key.endswith("NOTES.txt")
    )
    (tmp_path / "all.yaml").write_text(stream)
    chosen = plan(rules=RULE)
    scanned = run_plan(chosen, [str(tmp_path / "all.yaml")])
    expected = sorted((f.rule, f.message) for f in scanned.findings)
    assert expected
    passed = post_render(chosen, stream, Severity.LOW)
    assert passed.code == 1 and "templates/webhook/deployment.yaml" in passed.stderr
    finding_lines = [line for line in passed.stderr.splitlines() if re.match(r"\s+\d+:\d+\s", line)]
    assert len(finding_lines) == len(expected)  # one line per finding (the "How to fix" part names the rule too)
    items = [doc for doc in yaml.safe_load_all(stream) if doc]
    resource_list = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    result = krm(chosen, yaml.safe_dump(resource_list), Severity.LOW)
    back = yaml.safe_load(result.stdout)
    assert result.code == 1 and len(back["items"]) == len(items)
    assert sorted((r["tags"]["rule"], r["message"].split(": ", 1)[1]) for r in back["results"]) == expected


def test_post_render_passes_clean_input_through_unchanged() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    command = [sys.executable, "-m", "checker.cli", "helm-post-render"]
    done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, text), done.stderr
    assert json.dumps(done.stderr) == '""'
