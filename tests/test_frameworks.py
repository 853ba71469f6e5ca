"""Compliance frameworks: the shipped files load and name real rules (CIS v1.12 section 5's ids exactly),
mistakes in a framework file are reported with file and line, --framework selects the rules and every
report format carries the per-control verdicts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checker.api import UsageError, plan, run_plan, scan_text
from checker.policy.frameworks import load_frameworks
from checker.policy.loader import load_catalog
from checker.report import FORMATS, RenderOptions

from .conftest import FIXTURES, ROOT

# CIS Kubernetes Benchmark v1.12.0, section 5 (kube-bench cfg/cis-1.12/policies.yaml)
CIS_IDS = [
    *(f"5.1.{n}" for n in range(1, 14)),
    *(f"5.2.{n}" for n in range(1, 13)),
    "5.3.1",
    "5.3.2",
    "5.4.1",
    "5.4.2",
    "5.5.1",
    *(f"5.6.{n}" for n in range(1, 5)),
]


@pytest.fixture(scope="module")
def shipped():
    frameworks, errors = load_frameworks(load_catalog())
    assert errors == []
    return frameworks


def test_the_shipped_frameworks_load_and_cis_has_every_section_5_control(shipped) -> None:
    assert sorted(shipped) == ["cis-kubernetes", "nsa-cisa"]
    cis = shipped["cis-kubernetes"]
    assert cis.version == "1.12.0" and [c.id for c in cis.controls] == CIS_IDS
    assert cis.controls[0].title == "Ensure that the cluster-admin role is only used where required"
    nsa = shipped["nsa-cisa"]
    assert nsa.version == "1.2" and len({c.id for c in nsa.controls}) == len(nsa.controls)
    for framework in shipped.values():
        for control in framework.controls:
            assert control.rules or control.manual, control.id


HEAD = "id: bad\ntitle: T\nversion: '1'\ncontrols:\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "id: bad\ntitle: T\nversion: '1'\ncontrols:\n  - {id: a, title: A, rules: [no-such-rule]}\n",
            5,
            "unknown rule",
        ),
        ("id: bad\ntitle: T\nversion: '1'\ncontrols:\n  - {id: a, title: A}\n", 5, "needs rules, or a manual note"),
        (
            HEAD + "  - {id: a, title: A, manual: m}\n  - {id: a, title: B, manual: m}\n",
            6,
            "appears twice",
        ),
        (
            HEAD + "  - {id: a, title: A, rules: [{rule: pss-privileged, path: '('}]}\n",
            5,
            "invalid regular expression",
        ),
        ("id: bad\ntitle: T\nversion: '1'\nowner: me\ncontrols: []\n", 4, "unknown field 'owner'"),
        ("id: other\ntitle: T\nversion: '1'\ncontrols:\n  - {id: a, title: A, manual: m}\n", 1, "the file name (bad)"),
    ],
)
def test_mistakes_in_a_framework_file_are_reported_with_file_and_line(tmp_path, text, line, message) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    frameworks, errors = load_frameworks(load_catalog(), tmp_path)
    assert frameworks == {}
    assert [(e.line, message in e.message) for e in errors] == [(line, True)], errors


def test_a_framework_selects_its_rules_and_adds_to_packs(shipped) -> None:
    chosen = plan(frameworks=["cis-kubernetes"])
    ran = {compiled.rule.id for compiled in chosen.rules}
    assert set(shipped["cis-kubernetes"].rule_ids) - {"pss-host-path-volumes"} <= ran  # overridden by restricted
    assert "drop-net-bind-service" not in ran
    both = {c.rule.id for c in plan(packs=["network-hardening"], frameworks=["cis-kubernetes"]).rules}
    assert ran | {"drop-net-bind-service"} <= both
    with pytest.raises(UsageError, match="unknown framework 'nist'"):
        plan(frameworks=["nist"])


SCAN = """apiVersion: v1
kind: Pod
metadata: {name: net, namespace: shop}
spec:
  hostNetwork: true
  containers: [{name: c, image: "app:1"}]
---
apiVersion: v1
kind: Pod
metadata:
  name: pid
  namespace: shop
  annotations: {kubecheck.io/ignore.pss-privileged: "break-glass pod, INC-7"}
spec:
  hostPID: false
  containers: [{name: c, image: "app:1", securityContext: {privileged: true}}]
"""


def _controls(report) -> dict:
    return {c.id: c for c in report.frameworks[0].controls}


def test_controls_are_judged_per_field_with_suppressions_and_manual_notes() -> None:
    report = scan_text(plan(frameworks=["cis-kubernetes"]), "scan.yaml", SCAN)
    controls = _controls(report)
    assert controls["5.2.5"].status == "fail" and controls["5.2.5"].objects_failed == 1  # hostNetwork
    assert controls["5.2.3"].status == "pass" and controls["5.2.3"].objects_checked == 2  # hostPID: false is fine
    privileged = controls["5.2.2"]  # the only finding is suppressed, with its reason
    assert (privileged.status, privileged.suppressed, privileged.findings) == ("pass", 1, 0)
    assert controls["5.1.1"].status == "not-applicable"  # no binding in the scan
    assert controls["5.1.7"].status == "manual" and "client certificates" in controls["5.1.7"].manual
    failed = controls["5.2.5"].failed_objects
    assert failed == [
        {"apiVersion": "v1", "kind": "Pod", "name": "net", "namespace": "shop", "file": "scan.yaml", "line": 1}
    ]
    summary = report.frameworks[0].summary()
    assert summary["controls"] == 34 and summary["manual"] == 5
    # the references pack judges 5.3.2: namespace shop, whose home is its first pod, has no NetworkPolicy
    assert (controls["5.3.2"].status, controls["5.3.2"].objects_failed) == ("fail", 1)
    assert sum(summary[k] for k in ("fail", "pass", "not_applicable", "manual")) == 34


def test_every_format_carries_the_verdicts_and_default_output_does_not_change() -> None:
    chosen = plan(frameworks=["cis-kubernetes"])
    report = scan_text(chosen, "scan.yaml", SCAN)
    options = RenderOptions()
    document = json.loads(FORMATS["json"](report, options))
    control = next(c for c in document["frameworks"][0]["controls"] if c["id"] == "5.2.5")
    assert control["status"] == "fail" and control["score"] == 50.0 and control["rules"] == ["pss-host-namespaces"]
    sarif = json.loads(FORMATS["sarif"](report, options))["runs"][0]
    taxa = {t["id"]: t for t in sarif["taxonomies"][0]["taxa"]}
    assert taxa["5.2.5"]["properties"]["status"] == "fail"
    result = next(r for r in sarif["results"] if r["ruleId"] == "pss-host-namespaces")
    assert {"id": "5.2.5", "toolComponent": {"name": "cis-kubernetes"}} in result["taxa"]
    assert '<testsuite name="cis-kubernetes v1.12.0" tests="34"' in FORMATS["junit"](report, options)
    github = FORMATS["github"](report, options)
    assert "::warning title=cis-kubernetes 5.2.5 (fail)::" in github and "cis-kubernetes v1.12.0: 34 controls" in github
    text = FORMATS["text"](report, options)
    assert "FAIL    5.2.5" in text and "MANUAL  5.1.7" in text
    assert 'id="framework-cis-kubernetes"' in FORMATS["html"](report, options)
    plain = scan_text(plan(), "scan.yaml", SCAN)
    assert "frameworks" not in json.loads(FORMATS["json"](plain, options))
    assert "taxonomies" not in json.loads(FORMATS["sarif"](plain, options))["runs"][0]


def test_a_rule_outside_its_version_range_is_named_as_not_run() -> None:
    report = run_plan(
        plan(frameworks=["cis-kubernetes"], settings=["pss.version=v1.21"]),
        [str(FIXTURES / "rules" / "pss-run-as-user" / "fail")],
    )
    control = _controls(report)["5.2.7"]
    assert "pss-run-as-user" in control.rules_not_run and "pss-run-as-non-root" not in control.rules_not_run


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_the_frameworks_command_lists_and_shows() -> None:
    listed = _cli("frameworks")
    assert listed.returncode == 0 and "cis-kubernetes  v1.12.0" in listed.stdout and "nsa-cisa" in listed.stdout
    shown = _cli("frameworks", "show", "nsa-cisa")
    assert shown.returncode == 0 and "Protecting Pod service account tokens" in shown.stdout
    assert "rule automount-service-account-token [medium; best-practices]" in shown.stdout
    unknown = _cli("frameworks", "show", "nist")
    assert unknown.returncode == 2 and "unknown framework 'nist'" in unknown.stderr
    scanned = _cli("scan", "fixtures/rules/pss-privileged", "--framework", "nsa", "-o", "json")
    assert (
        scanned.returncode == 2 and "unknown framework 'nsa' (frameworks: cis-kubernetes, nsa-cisa)" in scanned.stderr
    )
