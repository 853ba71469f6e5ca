"""The installed command: exit codes, stdin, kubectl output, AdmissionReview, rules listing, and the
text and JSON reports against golden files (KUBECHECK_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import FIXTURES, ROOT

GOLDEN = ROOT / "tests" / "golden"
GOLDEN_INPUTS = ["fixtures/kubectl", "fixtures/admission", "fixtures/positions", "fixtures/errors"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    command = [shutil.which("kubecheck")] if shutil.which("kubecheck") else [sys.executable, "-m", "checker.cli"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([*command, *args], cwd=ROOT, input=stdin, capture_output=True, env=env, check=False)


def check_golden(name: str, text: str) -> None:
    file = GOLDEN / name
    if os.environ.get("KUBECHECK_UPDATE_GOLDEN") == "1":
        file.write_text(text)
    assert text == file.read_text(), f"output differs from {file}; rerun with KUBECHECK_UPDATE_GOLDEN=1 if intended"


def test_text_report_golden() -> None:
    result = run("scan", *GOLDEN_INPUTS, "--set", "ipv6=disabled")
    assert result.returncode == 2  # findings, and two unparseable inputs
    check_golden("scan.txt", result.stdout.decode())


def test_verbose_text_report_golden() -> None:
    result = run("scan", "fixtures/kubectl", "-v", "--rule", "no-ipv6-wildcard-bind", "--set", "ipv6=disabled")
    assert result.returncode == 1
    check_golden("scan-verbose.txt", result.stdout.decode())


def test_json_report_golden_and_contract() -> None:
    result = run("scan", *GOLDEN_INPUTS, "--set", "ipv6=disabled", "-o", "json")
    check_golden("scan.json", result.stdout.decode())
    report = json.loads(result.stdout)
    assert set(report) == {"findings", "errors", "summary"}
    for finding in report["findings"]:
        assert list(finding) == [
            "rule",
            "severity",
            "message",
            "file",
            "line",
            "column",
            "resource",
            "container",
            "path",
            "remediation",
        ]
        assert list(finding["resource"]) == ["apiVersion", "kind", "name", "namespace"]
    for error in report["errors"]:
        assert list(error) == ["file", "line", "message"] and error["line"]
    assert b"error:" in result.stderr  # errors also reach stderr when stdout is JSON


def test_output_is_deterministic() -> None:
    first = run("scan", *GOLDEN_INPUTS, "-o", "json").stdout
    assert first == run("scan", *reversed(GOLDEN_INPUTS), "-o", "json").stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["fixtures/kubectl/kustomize-api.yaml"], 0),  # drops ALL; binds [::] but IPv6 is not declared disabled
        (["fixtures/kubectl/kustomize-api.yaml", "--set", "ipv6=disabled"], 1),
        (["fixtures/kubectl/kustomize-api.yaml", "--set", "ipv6=disabled", "--fail-on", "critical"], 0),
        (["fixtures/kubectl/deployment-web.yaml", "--fail-on", "info"], 1),
        (["fixtures/errors/unclosed-flow.yaml"], 2),
        (["fixtures/kubectl", "--pack", "nope"], 2),
        (["fixtures/kubectl", "--set", "ipv6=maybe"], 2),
        (["fixtures/kubectl", "--fail-on", "urgent"], 2),
        (["does/not/exist.yaml"], 2),
    ],
)
def test_exit_codes(args, code) -> None:
    result = run("scan", *args)
    assert result.returncode == code, result.stdout + result.stderr
    assert b"Traceback" not in result.stderr


def test_stdin_yaml_and_json_from_kubectl() -> None:
    for name in ("deployment-web.yaml", "deployment-web.json"):
        result = run("scan", "-", "-o", "json", stdin=(FIXTURES / "kubectl" / name).read_bytes())
        findings = json.loads(result.stdout)["findings"]
        assert [(f["file"], f["rule"], f["container"]) for f in findings] == [
            ("<stdin>", "drop-net-bind-service", "nginx")
        ]
        assert findings[0]["line"] > 1


def test_admission_review_object_is_checked_with_request_namespace() -> None:
    result = run("scan", "fixtures/admission/review-create-deployment.json", "-o", "json")
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["resource"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "team-a"}
    assert finding["path"] == "spec.template.spec.containers[0].securityContext.capabilities.drop"
    assert (finding["line"], finding["column"]) == (49, 15)  # the container: the nearest existing parent


def test_rules_list_and_show() -> None:
    listing = run("rules").stdout.decode()
    for rule_id in ("drop-net-bind-service", "no-ipv6-wildcard-bind", "required-sysctls"):
        assert rule_id in listing
    shown = run("rules", "show", "drop-net-bind-service")
    assert shown.returncode == 0
    text = shown.stdout.decode()
    assert "Remediation:" in text and "References:" in text and "CAP_CAP_NET_BIND_SERVICE" in text
    assert run("rules", "show", "nope").returncode == 2


def test_colour_only_when_asked() -> None:
    plain = run("scan", "fixtures/kubectl/deployment-web.yaml").stdout
    coloured = run("scan", "fixtures/kubectl/deployment-web.yaml", "--color", "always").stdout
    assert b"\x1b[" not in plain and b"\x1b[" in coloured


def test_version_and_help() -> None:
    assert run("--version").stdout.decode().startswith("kubecheck 0.")
    help_text = run("--help").stdout.decode()
    for command in ("scan", "explain", "fix", "webhook", "review", "rules"):
        assert command in help_text
