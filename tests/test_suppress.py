"""Suppressions: by named rule with a reason, in an annotation or a comment; reported, counted, and the
ones without a reason or that match nothing are called out."""

from __future__ import annotations

import json

from .conftest import FIXTURES, scan
from .test_cli import run

SUPPRESSIONS = FIXTURES / "suppressions"


def test_annotations_suppress_named_rules_with_reasons() -> None:
    report = scan([SUPPRESSIONS / "annotated.yaml"], packs=["pss-baseline", "network-hardening"])
    suppressed = {(s.finding.rule, s.by.kind, s.by.reason) for s in report.suppressed}
    assert suppressed == {
        ("pss-host-namespaces", "annotation", "SEC-1432: reads host network statistics; approved by platform security"),
        ("drop-net-bind-service", "annotation", "binds :9100 only; tracked in SEC-1500"),
    }
    # An annotation without a reason does not apply, and says so.
    assert [f.rule for f in report.findings] == ["pss-host-ports"]
    assert any("suppression of pss-host-ports has no reason, so it does not apply" in n for n in report.notes)


def test_comments_on_or_above_the_line_suppress() -> None:
    report = scan([SUPPRESSIONS / "commented.yaml"], rules=["pss-privileged", "drop-net-bind-service"])
    assert [(s.finding.rule, s.finding.line, s.by.line) for s in report.suppressed] == [("pss-privileged", 10, 9)]
    assert [(f.rule, f.container) for f in report.findings] == [("drop-net-bind-service", "shell")]
    notes = "\n".join(report.notes)
    assert "commented.yaml:11: suppression of drop-net-bind-service has no reason" in notes
    assert "commented.yaml:15: suppression of pss-privileged matched no finding" in notes


def test_cli_counts_and_lists_suppressed() -> None:
    result = run("scan", "fixtures/suppressions", "--pack", "pss-baseline", "--show-suppressed", "-o", "json")
    report = json.loads(result.stdout)
    assert report["summary"]["suppressed"] == 3
    assert {s["suppressed_by"]["kind"] for s in report["suppressed"]} == {"annotation", "comment"}
    text = run("scan", "fixtures/suppressions", "--pack", "pss-baseline", "--show-suppressed").stdout.decode()
    assert "Suppressed:" in text and "by comment at fixtures/suppressions/commented.yaml:9:" in text
    assert "3 suppressed" in text


def test_annotation_suppressions_are_placed_on_the_annotations_line() -> None:
    report = scan([SUPPRESSIONS / "annotated.yaml"], packs=["pss-baseline", "network-hardening"])
    assert {(s.finding.rule, s.by.line) for s in report.suppressed} == {
        ("pss-host-namespaces", 6),
        ("drop-net-bind-service", 14),
    }
    assert any(
        n.endswith("annotated.yaml:7: suppression of pss-host-ports has no reason, so it does not apply")
        for n in report.notes
    )
    result = run(
        "scan", "fixtures/suppressions/annotated.yaml", "--pack", "network-hardening", "--show-suppressed", "-o", "json"
    )
    [suppressed] = json.loads(result.stdout)["suppressed"]
    assert suppressed["suppressed_by"] == {
        "kind": "annotation",
        "rule": "drop-net-bind-service",
        "line": 14,
        "reason": "binds :9100 only; tracked in SEC-1500",
        "file": "fixtures/suppressions/annotated.yaml",
    }
    text = run("scan", "fixtures/suppressions/annotated.yaml", "--pack", "pss-baseline", "--show-suppressed")
    assert "by annotation at fixtures/suppressions/annotated.yaml:6: SEC-1432" in text.stdout.decode()


def test_annotations_in_a_list_item_and_on_a_spark_role_are_placed_on_their_line() -> None:
    report = scan([SUPPRESSIONS / "list-and-spark.yaml"], rules=["drop-net-bind-service"])
    assert report.findings == []
    assert [(s.finding.resource["name"], s.by.line) for s in report.suppressed] == [("exporter", 24), ("pi", 43)]


def test_an_annotation_the_pod_view_merges_from_the_template_is_placed_on_its_line(tmp_path) -> None:
    """Spark merges the template's annotations into the role's; one written only in the template maps back
    to the template, where the suppression is placed."""
    text = (SUPPRESSIONS / "list-and-spark.yaml").read_text().split("---\n")[1]
    text = text.replace(
        "    annotations:\n      kubecheck.io/ignore",
        "    annotations: {team: spark}\n"
        "    template:\n      metadata:\n        annotations:\n          kubecheck.io/ignore",
    )
    (tmp_path / "spark.yaml").write_text(text)
    report = scan([tmp_path / "spark.yaml"], rules=["drop-net-bind-service"])
    line = next(
        n
        for n, text in enumerate((tmp_path / "spark.yaml").read_text().splitlines(), 1)
        if "kubecheck.io/ignore" in text
    )
    assert [(s.finding.resource["name"], s.by.line) for s in report.suppressed] == [("pi", line)]
