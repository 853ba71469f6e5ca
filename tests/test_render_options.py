"""scan, fix and explain share one set of input options (--values, --helm-set, --release-name, --namespace,
--no-render, --exclude), and fix on a rendered chart says per finding that generated text is not edited,
writing nothing."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker import cli

from .conftest import CORPUS, need_shared

INPUT_OPTIONS = {"values", "helm_set", "release_name", "namespace", "no_render", "exclude"}
RULE = "drop-net-bind-service"


def kubecheck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "checker.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("command", [cli.scan, cli.fix_command, cli.explain_command])
def test_commands_that_read_paths_share_the_input_options(command: object) -> None:
    parameters = inspect.signature(command).parameters  # type: ignore[arg-type]
    assert set(parameters) >= INPUT_OPTIONS and "inputs" not in parameters
    assert [p.annotation for name, p in parameters.items() if name in INPUT_OPTIONS] == [
        p.annotation for p in cli._INPUT_PARAMETERS
    ]


def _chart(tmp_path: Path) -> Path:
    pytest.importorskip("helm_python", reason="the Helm SDK (pip install 'kubecheck[helm]') is not installed")
    source = CORPUS.parent / "charts" / "spark-operator-v2.0.1"
    need_shared(source)
    chart = tmp_path / "spark"
    shutil.copytree(source, chart)
    return chart


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_fix_on_a_rendered_chart_writes_nothing_and_says_why_per_finding(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    before = _tree(tmp_path)
    done = kubecheck("fix", "spark", "--write", "--rule", RULE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _tree(tmp_path) == before
    notes = [line for line in done.stderr.splitlines() if "fix cannot edit generated text" in line]
    assert sorted(line.split(":", 1)[0] for line in notes) == [
        "spark/templates/controller/deployment.yaml",
        "spark/templates/webhook/deployment.yaml",
    ]
    assert all("rendered from the Helm chart spark" in line for line in notes)
    assert "0 edits made in 0 files; 2 findings without an automatic fix" in done.stderr
    # the same render options as scan: with both drops set there is nothing left to fix
    hardened = [f"--helm-set={part}.securityContext.capabilities.drop={{ALL}}" for part in ("controller", "webhook")]
    clean = kubecheck("fix", "spark", "--rule", RULE, *hardened, cwd=chart.parent)
    assert "0 findings without an automatic fix" in clean.stderr and "generated text" not in clean.stderr
    assert chart.is_dir()


def test_explain_takes_render_options_and_excludes(tmp_path: Path) -> None:
    _chart(tmp_path)
    shown = kubecheck("explain", "spark", "--rule", RULE, "--release-name", "prod", cwd=tmp_path)
    assert "Deployment/prod-spark-operator-controller" in shown.stdout, shown.stdout + shown.stderr
    hidden = kubecheck("explain", "spark", "--rule", RULE, "--exclude", "templates/controller/", cwd=tmp_path)
    assert "controller" not in hidden.stdout.split("\n", 1)[1] and "webhook" in hidden.stdout
    named = kubecheck("explain", "spark", "--rule", RULE, "--exclude", "spark", cwd=tmp_path)
    assert "warning: spark: named on the command line but excluded by --exclude 'spark'; not scanned" in named.stdout


def test_helm_post_render_leaves_out_excluded_templates() -> None:
    from checker.api import plan
    from checker.commands.post_render import post_render
    from checker.findings import Severity
    from checker.inputs.excludes import Excludes

    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\nspec:\n  containers:\n  - name: c\n    image: x:1\n"
    pod += "    securityContext:\n      privileged: true\n"
    stream = f"---\n# Source: demo/templates/app.yaml\n{pod.format('app')}---\n# Source: demo/templates/tests/t.yaml\n"
    stream += pod.format("test")
    chosen = plan(rules=["pss-privileged"])
    both = post_render(chosen, stream, Severity.LOW)
    assert both.code == 1 and "demo/templates/tests/t.yaml" in both.stderr
    left = post_render(chosen, stream, Severity.LOW, Excludes(None, ("templates/tests/",)))
    assert left.code == 1 and "demo/templates/app.yaml" in left.stderr and "tests/t.yaml" not in left.stderr
    assert post_render(chosen, stream, Severity.LOW, Excludes(None, ("demo/",))).code == 0
