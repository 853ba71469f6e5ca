"""Exemptions in .kubecheck.yaml: every key, expiry against a fixed clock (for exemptions, annotations and
comments), non-bypassable rules, the expired-exemption finding, and how reports show what was exempted."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from checker.api import UsageError, plan, read, run
from checker.config import ConfigError, load_config
from checker.exemptions import EXPIRED_RULE, Controls
from checker.findings import Report

from .conftest import FIXTURES
from .test_cli import run as run_cli

WORKLOADS = FIXTURES / "exemptions" / "workloads.yaml"
BEFORE = datetime.date(2026, 6, 1)  # before the comment's expires=2026-06-30
AFTER = datetime.date(2026, 7, 1)


def controls_of(tmp_path: Path, text: str, today: datetime.date = BEFORE) -> Controls:
    file = tmp_path / "kubecheck.yaml"
    file.write_text(text)
    controls = load_config(str(file)).controls
    controls.today = today
    return controls


def scan_with(controls: Controls, path: Path = WORKLOADS, packs: tuple[str, ...] = ("pss-baseline",)) -> Report:
    return run(plan(packs=packs, controls=controls), read([str(path)])).report()


def kept(report: Report) -> list[tuple[str, str]]:
    return [(f.rule, f.resource["name"]) for f in report.findings]


def exempted(report: Report) -> list[tuple[str, str, str]]:
    return [(s.finding.rule, s.finding.resource["name"], s.by.kind) for s in report.suppressed]


BASE = [
    ("pss-host-namespaces", "node-exporter"),
    ("pss-privileged", "node-exporter"),
    ("pss-privileged", "debug"),
]


def test_without_exemptions_the_comment_applies_until_it_expires(tmp_path: Path) -> None:
    before = scan_with(controls_of(tmp_path, "{}\n", BEFORE))
    assert kept(before) == BASE[:2]
    assert exempted(before) == [("pss-privileged", "debug", "comment")]
    assert before.suppressed[0].by.reason == "break-glass pod for INC-88"  # the expiry word is not the reason
    assert before.suppressed[0].by.expires == datetime.date(2026, 6, 30)
    on_the_day = scan_with(controls_of(tmp_path, "{}\n", datetime.date(2026, 6, 30)))
    assert exempted(on_the_day) == [("pss-privileged", "debug", "comment")]  # the expiry day still counts
    after = scan_with(controls_of(tmp_path, "{}\n", AFTER))
    assert kept(after) == [*BASE[:2], (EXPIRED_RULE, ""), BASE[2]]
    [expired] = [f for f in after.findings if f.rule == EXPIRED_RULE]
    assert (expired.line, expired.severity.label) == (30, "low")
    assert "comment suppression of pss-privileged (break-glass pod for INC-88) expired on 2026-06-30" in expired.message
    assert any(info.id == EXPIRED_RULE for info in after.rule_info)


@pytest.mark.parametrize(
    ("entry", "exempt"),
    [
        ("rules: [pss-privileged]", {("pss-privileged", "node-exporter"), ("pss-privileged", "debug")}),
        ("rules: [pss-baseline]", {*BASE}),  # a pack name
        ("rules: [pss-baseline]\n  namespaces: [mon*]", {BASE[0], BASE[1]}),
        ("rules: [pss-baseline]\n  kinds: [Pod]", {BASE[2]}),
        ("rules: [pss-baseline]\n  names: [node-*]", {BASE[0], BASE[1]}),
        ("rules: [pss-baseline]\n  paths: ['*/exemptions/*.yaml']", {*BASE}),
        ("rules: [pss-baseline]\n  paths: ['charts/*']", set()),
        # A container-level finding matches by its own container...
        ("rules: [pss-privileged]\n  containers: [exporter]", {BASE[1]}),
        ("rules: [pss-privileged]\n  images: ['quay.io/prometheus/*']", {BASE[1]}),
        # ...a pod-level one only when every container of the pod matches.
        ("rules: [pss-host-namespaces]\n  images: ['quay.io/prometheus/*']", set()),
        ("rules: [pss-host-namespaces]\n  images: ['quay.io/*']", {BASE[0]}),
        ("rules: [pss-host-namespaces]\n  containers: [exporter]", set()),
        ("rules: [pss-host-namespaces]\n  containers: [exporter, proxy]", {BASE[0]}),
        # Every key an entry names must match.
        ("rules: [pss-baseline]\n  namespaces: [monitoring]\n  kinds: [Pod]", set()),
    ],
)
def test_each_exemption_key(tmp_path: Path, entry: str, exempt: set[tuple[str, str]]) -> None:
    text = f"exemptions:\n- {entry}\n  reason: reviewed by platform security (SEC-7)\n"
    report = scan_with(controls_of(tmp_path, text))
    by_exemption = {(rule, name) for rule, name, kind in exempted(report) if kind == "exemption"}
    assert by_exemption == exempt
    by_config = [s.by for s in report.suppressed if s.by.kind == "exemption"]
    assert all((by.reason, by.line) == ("reviewed by platform security (SEC-7)", 2) for by in by_config)


def test_an_exemption_expires_with_a_fixed_clock(tmp_path: Path) -> None:
    text = "exemptions:\n- rules: [pss-host-namespaces]\n  reason: node metrics\n  expires: 2026-06-15\n"
    live = scan_with(controls_of(tmp_path, text, datetime.date(2026, 6, 15)))
    assert ("pss-host-namespaces", "node-exporter", "exemption") in exempted(live)
    assert EXPIRED_RULE not in {f.rule for f in live.findings}
    expired = scan_with(controls_of(tmp_path, text, datetime.date(2026, 6, 16)))
    assert ("pss-host-namespaces", "node-exporter") in kept(expired)
    [finding] = [f for f in expired.findings if f.rule == EXPIRED_RULE]
    assert (finding.file, finding.line) == (str(tmp_path / "kubecheck.yaml"), 2)
    assert "exemption of pss-host-namespaces (node metrics) expired on 2026-06-15" in finding.message


def test_annotation_expiry(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
        '    kubecheck.io/ignore.pss-host-namespaces: "expires=2026-03-01 legacy agent"\n'
        "spec:\n  hostPID: true\n  containers: [{name: c, image: busybox}]\n"
    )
    live = scan_with(controls_of(tmp_path, "{}\n", datetime.date(2026, 3, 1)), manifest)
    assert [(s.by.kind, s.by.reason) for s in live.suppressed] == [("annotation", "legacy agent")]
    expired = scan_with(controls_of(tmp_path, "{}\n", datetime.date(2026, 3, 2)), manifest)
    assert [(f.rule, f.line) for f in expired.findings] == [(EXPIRED_RULE, 6), ("pss-host-namespaces", 8)]


def test_an_unreadable_expiry_does_not_apply(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true  # kubecheck:ignore "
        "pss-host-namespaces expires=soon legacy\n  containers: [{name: c, image: busybox}]\n"
    )
    report = scan_with(controls_of(tmp_path, "{}\n"), manifest)
    assert [f.rule for f in report.findings] == ["pss-host-namespaces"]
    assert any("has an expiry that is not a date (expires=YYYY-MM-DD)" in note for note in report.notes)


def test_non_bypassable_rules_ignore_annotations_and_comments(tmp_path: Path) -> None:
    report = scan_with(controls_of(tmp_path, "non-bypassable: [pss-privileged]\n"))
    assert kept(report) == BASE
    assert report.suppressed == []
    assert any(
        "workloads.yaml:30: suppression of pss-privileged does not apply: the rule is non-bypassable" in note
        and "kubecheck.yaml:1" in note
        for note in report.notes
    )
    # A pack name works too, and the platform team's own exemption still applies.
    text = (
        "non-bypassable: [pss-baseline]\n"
        "exemptions:\n- rules: [pss-privileged]\n  names: [debug]\n  reason: break-glass, approved in SEC-9\n"
    )
    owned = scan_with(controls_of(tmp_path, text))
    assert exempted(owned) == [("pss-privileged", "debug", "exemption")]


def test_exemption_mistakes_are_all_reported(tmp_path: Path) -> None:
    file = tmp_path / "kubecheck.yaml"
    file.write_text(
        "exemptions:\n"
        "- rules: [pss-privileged]\n"
        "  namespace: [dev]\n"
        "- rules: pss-privileged\n  reason: r\n  expires: next year\n"
        "- reason: no rules\n"
        "fail-on: extreme\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(str(file))
    messages = caught.value.messages
    assert f"{file}:2: exemptions[0]: unknown key 'namespace' (did you mean 'namespaces'?)" in messages[0]
    assert any(m.startswith(f"{file}:2: exemptions[0]: 'reason' is required") for m in messages)
    assert any(m.startswith(f"{file}:4: exemptions[1]: 'rules' takes a non-empty list") for m in messages)
    assert any(m.startswith(f"{file}:4: exemptions[1]: 'expires' is a date, YYYY-MM-DD") for m in messages)
    assert any(m.startswith(f"{file}:7: exemptions[2]: 'rules' is required") for m in messages)
    assert any(m.startswith(f"{file}:8: fail-on:") for m in messages)


def test_unknown_rules_in_exemptions_are_usage_errors(tmp_path: Path) -> None:
    controls = controls_of(tmp_path, "non-bypassable: [pss-privilegd]\nexemptions:\n- rules: [nope]\n  reason: r\n")
    with pytest.raises(UsageError) as caught:
        plan(controls=controls)
    message = str(caught.value)
    assert "kubecheck.yaml:1: unknown rule or pack 'pss-privilegd' (did you mean 'pss-privileged'?)" in message
    assert "kubecheck.yaml:3: unknown rule or pack 'nope'" in str(caught.value)


def test_cli_shows_exemptions_in_text_json_and_sarif(tmp_path: Path) -> None:
    config = tmp_path / "kubecheck.yaml"
    config.write_text(
        "exemptions:\n- rules: [pss-host-namespaces]\n  namespaces: [monitoring]\n"
        "  reason: node metrics need the host network\n  expires: 2999-01-01\n"
    )
    common = ("scan", str(WORKLOADS), "--pack", "pss-baseline", "--config", str(config), "--show-suppressed")
    json_file, sarif_file = tmp_path / "report.json", tmp_path / "report.sarif"
    text = run_cli(*common, "-o", "text", "-o", f"json={json_file}", "-o", f"sarif={sarif_file}").stdout.decode()
    assert f"by exemption at {config}:2: node metrics need the host network (expires 2999-01-01)" in text
    document = json.loads(json_file.read_text())
    [by_exemption] = [s for s in document["suppressed"] if s["suppressed_by"]["kind"] == "exemption"]
    assert by_exemption["suppressed_by"]["expires"] == "2999-01-01"
    sarif = json.loads(sarif_file.read_text())
    results = sarif["runs"][0]["results"]
    suppressions = [r["suppressions"] for r in results if "suppressions" in r]
    expected = {"kind": "external", "status": "accepted", "justification": "node metrics need the host network"}
    assert [expected] in suppressions
    assert all(s[0]["justification"] for s in suppressions)
    # Without --show-suppressed, SARIF lists only the findings that stand.
    plain = json.loads(run_cli(*common[:-1], "-o", "sarif").stdout)
    assert all("suppressions" not in r for r in plain["runs"][0]["results"])


def test_cli_reports_a_bad_config_once_per_mistake(tmp_path: Path) -> None:
    config = tmp_path / "kubecheck.yaml"
    config.write_text("packz: [x]\nexemptions:\n- rules: [pss-privileged]\n")
    result = run_cli("scan", str(WORKLOADS), "--config", str(config))
    errors = result.stderr.decode().splitlines()
    assert result.returncode == 2
    assert errors == [
        f"error: {config}:1: unknown key 'packz' (did you mean 'packs'?) (keys: packs, rules, skip-rules, "
        "policy-dirs, frameworks, non-bypassable, params, fail-on, include-hidden, exemptions, exclude, charts, cache)",
        f"error: {config}:3: exemptions[0]: 'reason' is required: say why the exemption is acceptable",
    ]


def test_pss_version_as_a_yaml_number_works_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "kubecheck.yaml"
    config.write_text("params:\n  pss.version: 1.30\n")
    assert load_config(str(config)).settings == ["pss.version=1.30"]
    result = run_cli("scan", str(WORKLOADS), "--config", str(config), "--pack", "pss-baseline")
    assert result.returncode == 1, result.stderr


def test_the_webhook_workers_apply_the_configuration_s_exemptions(tmp_path) -> None:
    """`kubecheck webhook --config` hands its file to every review worker, so exemptions hold there too."""
    from checker.commands.webhook.worker import settings_of

    config = tmp_path / ".kubecheck.yaml"
    config.write_text(
        "exemptions:\n- rules: [pss-privileged]\n  namespaces: [monitoring]\n  reason: node exporter needs the host\n"
    )
    plan_options = {"packs": ["pss-baseline"], "rules": [], "skip_rules": [], "policy_dirs": [], "settings": []}
    setup = {
        "plan": {**plan_options, "frameworks": [], "config_file": str(config)},
        "fail_on": "high",
        "warn_only": False,
    }
    settings = settings_of(setup)
    assert [e.reason for e in settings.plan.controls.exemptions] == ["node exporter needs the host"]
    assert settings_of({**setup, "plan": {**setup["plan"], "config_file": None}}).plan.controls.exemptions == []
