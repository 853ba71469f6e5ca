"""The examples written in rule files are tests: each pass example gets no finding from its rule, each
fail example at least one; `kubecheck rules test` runs them for a policy author too."""

from __future__ import annotations

import textwrap

from checker.commands.rules import run_examples
from checker.policy.loader import load_catalog

from .test_cli import run


def test_every_builtin_example_behaves() -> None:
    outcomes = run_examples(load_catalog().rules)
    assert {o.rule for o in outcomes} >= {"drop-net-bind-service", "pss-privileged"}
    assert [o for o in outcomes if not o.ok] == []


def test_rules_test_command_reports_a_wrong_example(tmp_path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "needs-image.yaml").write_text(
        textwrap.dedent("""\
        id: needs-image
        title: Containers set an image
        severity: low
        packs: [custom]
        scope: container
        assert: {path: image}
        message: "container {container.name} has no image"
        remediation: Set image.
        examples:
          pass:
            - {apiVersion: v1, kind: Pod, metadata: {name: ok}, spec: {containers: [{name: c, image: x}]}}
          fail:
            - {apiVersion: v1, kind: Pod, metadata: {name: wrong}, spec: {containers: [{name: c, image: x}]}}
        """)
    )
    result = run("rules", "test", "needs-image", "--policy-dir", str(tmp_path))
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "FAIL needs-image: fail example 1: no finding" in out
    assert "2 examples of 1 rule: 1 failed" in out
    assert run("rules", "test").returncode == 0  # every bundled example, through the command
