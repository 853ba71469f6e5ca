"""The `helm` executable path of chart rendering. No real helm binary can be had offline here (no PyPI wheel
ships one; see /work/scratch/research/REPORT.md), so a small script named `helm` on PATH stands in for it: it
records the command line kubecheck builds and answers as `helm template` does (documents after `# Source:`
comments, several per template, NOTES.txt; on failure an `Error: template: ...:LINE:COL` message on stderr).
It is not a real helm: it proves the argv and the parsing of helm's output, not helm's rendering."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from checker.inputs.render import RenderOptions

from .conftest import scan

FAKE_HELM = """#!{python}
import json, os, sys
with open(os.environ["FAKE_HELM_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if os.environ.get("FAKE_HELM_FAIL"):
    sys.stderr.write("Error: template: demo/templates/pod.yaml:7:20: executing \\"demo/templates/pod.yaml\\" "
                     "at <.Values.missing.key>: nil pointer evaluating interface {{}}.key\\n")
    sys.exit(1)
release, namespace = sys.argv[2], sys.argv[sys.argv.index("--namespace") + 1]
sys.stdout.write(f'''---
# Source: demo/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: {{release}}-app
  namespace: {{namespace}}
spec:
  containers:
  - name: app
    image: example.com/app:1.0
    securityContext:
      privileged: true
---
# Source: demo/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: {{release}}-second
spec:
  containers:
  - name: app
    image: example.com/app:1.0
---
# Source: demo/charts/sub/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{release}}-sub
''')
"""

TEMPLATE = """apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-app
  namespace: {{ .Release.Namespace }}
spec:
  containers:
  - name: app
    image: example.com/app:1.0
    securityContext:
      privileged: {{ .Values.privileged }}
"""


@pytest.fixture
def fake_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(FAKE_HELM.format(python=sys.executable))
    helm.chmod(helm.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "helm.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_HELM_LOG", str(log))
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("privileged: false\n")
    (chart / "templates" / "pod.yaml").write_text(TEMPLATE)
    (tmp_path / "prod.yaml").write_text("privileged: true\n")
    return log


def test_the_command_line_kubecheck_builds(tmp_path: Path, fake_helm: Path) -> None:
    chart, values = str(tmp_path / "demo"), str(tmp_path / "prod.yaml")
    render = RenderOptions(values=(values,), helm_set=("a.b=1", "c={x,y}"), release_name="prod", namespace="shop")
    report = scan([tmp_path / "demo"], render=render, rules=["pss-privileged"])
    calls = [json.loads(line) for line in fake_helm.read_text().splitlines()]
    assert calls == [
        ["template", "prod", chart, "--namespace", "shop", "--values", values, "--set", "a.b=1", "--set", "c={x,y}"]
    ]
    assert report.errors == []
    # the output is split by `# Source:` and mapped back: privileged comes from .Values.privileged, which
    # the --values file sets at its line 1
    assert [(f.file, f.line, f.resource["name"]) for f in report.findings] == [(values, 1, "prod-app")]
    assert report.findings[0].rendered is not None and report.findings[0].rendered["chart"] == chart
    assert report.resources == 3  # both documents of pod.yaml and the subchart's ConfigMap


def test_defaults_and_a_helm_failure(tmp_path: Path, fake_helm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scan([tmp_path / "demo"], rules=["pss-privileged"])
    assert json.loads(fake_helm.read_text()) == [
        "template",
        "release-name",
        str(tmp_path / "demo"),
        "--namespace",
        "default",
    ]
    monkeypatch.setenv("FAKE_HELM_FAIL", "1")
    report = scan([tmp_path / "demo"], rules=["pss-privileged"])
    assert [(e.file, e.line) for e in report.errors] == [(str(tmp_path / "demo" / "templates" / "pod.yaml"), 7)]
    assert "nil pointer evaluating" in report.errors[0].message and report.findings == []
