"""'Did you mean' for packs, rules, parameters, formats, frameworks and subcommands; help without raw type
markers; explain --container with no such container is an error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from checker.cli import app
from checker.suggest import close_to, did_you_mean

from .test_cli import run


def test_did_you_mean() -> None:
    assert did_you_mean("pss-baselin", ["pss-baseline", "rbac"]) == " (did you mean 'pss-baseline'?)"
    assert did_you_mean("zzz", ["pss-baseline", "rbac"]) == ""
    assert close_to("jsn", ["json", "junit", "text"]) == ["json"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("scan", "fixtures/kubectl", "--pack", "pss-baselin"), "(did you mean 'pss-baseline'?)"),
        (("scan", "fixtures/kubectl", "--rule", "pss-privilegd"), "(did you mean 'pss-privileged'?)"),
        (("scan", "fixtures/kubectl", "--set", "ipv=disabled"), "(did you mean 'ipv6'?)"),
        (("scan", "fixtures/kubectl", "-o", "sarf"), "(did you mean 'sarif'?)"),
        (("rules", "show", "pss-privilegd"), "(did you mean 'pss-privileged'?)"),
        (("rules", "--pack", "rbca"), "(did you mean 'rbac'?)"),
        (("scna", "fixtures/kubectl"), "Did you mean 'scan'?"),
    ],
)
def test_mistyped_names_get_a_suggestion(args: tuple[str, ...], expected: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert expected in " ".join(result.stderr.decode().replace("│", " ").split())


def test_help_shows_metavars_not_raw_types() -> None:
    runner = CliRunner()
    for command in (("scan",), ("explain",), ("fix",), ("webhook",), ("rules", "test"), ("rules", "show")):
        text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"}, prog_name="kubecheck").output
        assert "<list[str]>" not in text and "<bool>" not in text and "<str>" not in text, command
        assert "{" not in text, command
    scan_help = runner.invoke(app, ["scan", "--help"], env={"COLUMNS": "120"}, prog_name="kubecheck").output
    assert "Usage: kubecheck scan [OPTIONS] PATH..." in scan_help
    assert "KEY=VALUE" in scan_help and "SEVERITY" in scan_help and "FILE" in scan_help


def test_explain_with_no_such_container_fails() -> None:
    args = ("explain", "fixtures/kubectl/deployment-web.yaml", "--rule", "drop-net-bind-service", "--container")
    missing = run(*args, "nope")
    assert missing.returncode == 2
    assert b"no container named 'nope'" in missing.stdout
    assert run(*args, "nginx").returncode == 0


def test_a_rule_file_reports_every_mistake(tmp_path) -> None:
    from checker.policy.loader import load_catalog

    (tmp_path / "bad-one.yaml").write_text(
        "id: bad-one\ntitle: x\nseverity: extreme\npacks: [p]\nscope: podd\nasert: {}\nmessage: m\nremediation: r\n"
    )
    errors = [(e.line, e.message) for e in load_catalog([str(tmp_path)]).errors if "bad-one" in e.file]
    assert (3, "unknown severity 'extreme' (one of: info, low, medium, high, critical)") in errors
    assert any(line == 5 and "scope must be one of" in m and "(did you mean 'pod'?)" in m for line, m in errors)
    assert any(line == 6 and m.startswith("unknown field 'asert' (did you mean 'assert'?)") for line, m in errors)
    assert (1, "missing required field 'assert'") in errors
