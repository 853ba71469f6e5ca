"""One pipeline: the same input gives the same findings through every front door — the API, the installed
command, an in-memory scan (rule examples), `kubecheck review`, the running webhook, explain and fix."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from checker.api import plan, run_plan, scan_text
from checker.commands.admission import ReviewSettings, review, warning
from checker.commands.explain import explain
from checker.commands.fix import fix
from checker.findings import Severity

from .conftest import FIXTURES
from .webhook_server import running

SETTINGS = ["ipv6=disabled"]
PACKS = ["network-hardening", "pss-baseline", "pss-restricted", "best-practices", "rbac"]
# Single-object inputs (no finding depends on another object, which a webhook request cannot see) with
# findings of many rules, a Spark view, a CronJob, JSON, and comment and annotation suppressions.
INPUTS = [
    "kubectl/deployment-web.yaml",
    "kubectl/deployment-web.json",
    "kubectl/cronjob-nightly.yaml",
    "fix/web.yaml",
    "fix/container-overrides.yaml",
    "suppressions/annotated.yaml",
    "spark-operator/spark-pi-ipv6-bind.yaml",
    "fix/spark-driver-override.yaml",
    "workloads/spark-connect.yaml",
    "rules/spark-managed-driver-address/fail/scheduled-driver-host.yaml",
    "rules/privileged-port-without-capability",
    "rules/rbac-secrets-access",
    "rules/no-host-aliases",
]
# A kustomization with a patch file: every front door leaves the patch out (a webhook request holds one
# whole object, so it is not sent there).
SCANS = [*INPUTS, "kustomize/base"]


def _files(name: str) -> list[str]:
    path = FIXTURES / name
    if not path.is_dir():
        return [str(path.relative_to(FIXTURES.parent))]
    return sorted(str(p.relative_to(FIXTURES.parent)) for p in path.rglob("*.yaml"))


def _key(finding: dict) -> tuple:
    return (finding["file"], finding["line"], finding["column"], finding["rule"], finding["path"], finding["message"])


@pytest.fixture(scope="module")
def chosen():
    return plan(packs=PACKS, settings=SETTINGS)


@pytest.mark.parametrize("name", SCANS)
def test_scan_the_command_and_an_in_memory_scan_agree(chosen, name, monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    files = _files(name)
    report = run_plan(chosen, files)
    assert report.findings, f"{name} should give findings"
    by_api = [f.to_dict() for f in report.findings]
    command = [sys.executable, "-m", "checker.cli", "scan", *files, "-o", "json"]
    command += [arg for pack in PACKS for arg in ("--pack", pack)] + [arg for s in SETTINGS for arg in ("--set", s)]
    printed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert json.loads(printed.stdout)["findings"] == by_api
    if name not in INPUTS:
        return  # an in-memory scan holds one input: it cannot see the Kustomization that names a patch
    in_memory = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            in_memory += [f.to_dict() for f in scan_text(chosen, file, handle.read()).findings]
    assert sorted(map(_key, in_memory)) == sorted(map(_key, by_api))


@pytest.mark.parametrize("name", INPUTS)
def _requests(file: str) -> list[tuple[int, bytes]]:
    """(document index, AdmissionReview request body) for each object of a file, as the API server sends it."""
    with open(file, encoding="utf-8") as handle:
        objects = [json.load(handle)] if file.endswith(".json") else list(yaml.safe_load_all(handle))
    found = []
    for index, obj in enumerate(objects):
        if obj:
            request = {"uid": f"u{index}", "object": obj, "operation": "CREATE"}
            body = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
            found.append((index, json.dumps(body).encode()))
    return found


def _expected_warnings(chosen, file: str, index: int) -> list[str]:
    """The warnings for one object: the scan's findings on it, and those a comment suppressed (a comment does
    not travel in a request: the API server sends JSON; an annotation does)."""
    report = run_plan(chosen, [file])
    by_comment = [s.finding for s in report.suppressed if s.by.kind == "comment"]
    return sorted(warning(f) for f in [*report.findings, *by_comment] if f.document == index)


@pytest.mark.parametrize("name", INPUTS)
def test_the_review_decision_sees_what_the_scan_sees(chosen, name, monkeypatch) -> None:
    """Each object sent alone in an AdmissionReview gets the warnings of the scan's findings on it."""
    monkeypatch.chdir(FIXTURES.parent)
    settings = ReviewSettings(chosen, Severity.HIGH, warn_only=True)
    for file in _files(name):
        for index, body in _requests(file):
            outcome = review(settings, body)
            assert outcome.status == 200
            expected = _expected_warnings(chosen, file, index)
            assert sorted(outcome.body["response"].get("warnings", [])) == expected, f"{file} object {index}"


def test_the_review_command_and_the_running_webhook_answer_alike(chosen, tmp_path, monkeypatch) -> None:
    """`kubecheck review` and the webhook server (its worker processes) send the same answer as the decision
    made in this process, so the same findings as the scan (the test above)."""
    monkeypatch.chdir(FIXTURES.parent)
    options = [arg for pack in PACKS for arg in ("--pack", pack)] + [arg for s in SETTINGS for arg in ("--set", s)]
    settings = ReviewSettings(chosen, Severity.HIGH)
    cases = [(file, index, body) for name in INPUTS for file in _files(name) for index, body in _requests(file)]
    assert len(cases) >= 10
    with running(*options, "--workers", "1") as webhook:
        for number, (file, index, body) in enumerate(cases):
            expected = review(settings, body).body
            if number % 10 == 0:  # the command costs a process start: every tenth request
                request_file = tmp_path / f"request-{number}.json"
                request_file.write_bytes(body)
                printed = subprocess.run(
                    [sys.executable, "-m", "checker.cli", "review", str(request_file), *options],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert printed.returncode == (0 if expected["response"]["allowed"] else 1), printed.stderr
                assert json.loads(printed.stdout) == expected, f"{file} object {index}"
            status, answer = webhook.review(body)
            assert status == 200 and answer == expected, f"{file} object {index}"
            if expected["response"].get("warnings"):
                assert sorted(expected["response"]["warnings"]) == _expected_warnings(chosen, file, index)


@pytest.mark.parametrize("name", SCANS)
def test_explain_gives_the_scans_verdicts(chosen, name, monkeypatch) -> None:
    """Explaining each rule that found something lists exactly the scan's findings (suppressed ones marked)."""
    monkeypatch.chdir(FIXTURES.parent)
    files = _files(name)
    report = run_plan(chosen, files)
    shown = {(f.file, f.line, f.column, f.rule, f.path, f.message) for f in report.findings}
    hidden = {
        (s.finding.file, s.finding.line, s.finding.column, s.finding.rule, s.finding.path, s.finding.message)
        for s in report.suppressed
    }
    explained = set()
    for rule in sorted({key[3] for key in shown | hidden}):
        text, errors = explain(plan(rules=[rule], settings=SETTINGS), files)
        assert errors == 0
        verdicts = re.findall(r"verdict: FINDING at (.+?):(\d+):(\d+) \((.*)\)\n    (.*)\n", text)
        explained |= {
            (file, int(line), int(column), rule, path, message) for file, line, column, path, message in verdicts
        }
    assert explained == shown | hidden


@pytest.mark.parametrize("name", SCANS)
def test_fix_plans_for_the_scans_findings(chosen, name, monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    files = _files(name)
    report = run_plan(chosen, files)
    result = fix(chosen, files)
    assert result.findings == len(report.findings)
    assert not result.errors
