"""kubecheck fix: rule fix operations applied with ruamel.yaml, keeping comments, quotes, the file's
sequence style and every untouched document byte-for-byte; a rescan finds the fixed findings gone."""

from __future__ import annotations

import shutil

from checker.api import plan
from checker.commands.fix import fix

from .conftest import FIXTURES, scan
from .test_cli import check_golden, run

WEB = FIXTURES / "fix" / "web.yaml"


def test_fix_diff_golden() -> None:
    result = run("fix", "fixtures/fix/web.yaml", "--pack", "network-hardening", "--pack", "pss-restricted")
    assert result.returncode == 0
    check_golden("fix-web.diff", result.stdout.decode())
    assert b"edits proposed in 1 file" in result.stderr


def test_write_fixes_and_keeps_the_rest(tmp_path) -> None:
    target = tmp_path / "web.yaml"
    shutil.copy(WEB, target)
    packs = ["network-hardening", "pss-restricted"]
    before = scan([target], packs=packs)
    result = run("fix", str(target), "--write", "--pack", packs[0], "--pack", packs[1])
    assert result.returncode == 0
    after_text = target.read_text()
    original = WEB.read_text()
    assert after_text.split("---", 1)[0] == original.split("---", 1)[0]  # the ConfigMap, untouched
    assert after_text.endswith("...\n")
    for kept in (
        "# the main container",
        "# left from an old scan",
        '"production"   # quoted on purpose',
        "# kubecheck:ignore drop-net-bind-service",
    ):
        assert kept in after_text
    after = scan([target], packs=packs)
    fixed = {
        "drop-net-bind-service",
        "pss-allow-privilege-escalation",
        "pss-capabilities-restricted",
        "pss-run-as-non-root",
        "pss-seccomp-profile-restricted",
    }
    assert fixed <= {f.rule for f in before.findings}
    assert not fixed & {f.rule for f in after.findings}
    # The suppressed finding was not fixed itself, but drop ALL (from another rule's fix) removed it, so the
    # suppression now excuses nothing, and the audit notes say so.
    assert [s.finding.rule for s in before.suppressed] == ["drop-net-bind-service"]
    assert after.suppressed == []
    assert any("suppression of drop-net-bind-service matched no finding" in n for n in after.notes)


def test_json_and_other_objects_are_not_rewritten() -> None:
    result = fix(plan(rules=["drop-net-bind-service"]), [str(FIXTURES / "kubectl" / "deployment-web.json")])
    assert result.files == [] and "JSON is not rewritten" in result.notes[0]


def test_crlf_and_indented_sequences_are_kept(tmp_path) -> None:
    target = tmp_path / "crlf.yaml"
    shutil.copy(FIXTURES / "positions" / "crlf.yaml", target)
    run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    data = target.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert scan([target], rules=["drop-net-bind-service"]).findings == []


def test_write_refuses_stdin() -> None:
    assert run("fix", "-", "--write").returncode == 2


def test_a_container_that_overrides_the_pod_is_fixed_at_its_own_field(tmp_path) -> None:
    target = tmp_path / "overrides.yaml"
    shutil.copy(FIXTURES / "fix" / "container-overrides.yaml", target)
    rules = ["pss-run-as-non-root", "pss-seccomp-profile-restricted"]
    assert {f.rule for f in scan([target], rules=rules).findings} == set(rules)
    result = run("fix", str(target), "--write", "--rule", rules[0], "--rule", rules[1])
    assert b"2 edits made in 1 file" in result.stderr
    text = target.read_text()
    assert "runAsNonRoot: true           # overrides the pod" in text
    assert "type: RuntimeDefault       # overrides the pod" in text
    assert scan([target], rules=rules).findings == []


def test_a_fix_that_changes_nothing_is_reported_not_counted() -> None:
    result = fix(plan(rules=["drop-net-bind-service"]), [str(FIXTURES / "fix" / "container-overrides.yaml")])
    assert result.files == [] and result.edits == 0
    assert any(
        "the drop-net-bind-service fix at spec.containers[1].securityContext.capabilities.drop changes "
        "nothing there; fix it by hand" in note
        for note in result.notes
    )


def test_a_utf16_file_is_written_back_as_utf16(tmp_path) -> None:
    target = tmp_path / "utf16.yaml"
    target.write_bytes(WEB.read_text().encode("utf-16"))
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 0 and b"1 file" in result.stderr
    assert target.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert scan([target], rules=["drop-net-bind-service"]).findings == []


def test_no_fix_is_made_where_its_unless_holds() -> None:
    """allowPrivilegeEscalation: false beside privileged: true is a manifest the API server rejects."""
    result = fix(plan(rules=["pss-allow-privilege-escalation"]), [str(FIXTURES / "fix" / "container-overrides.yaml")])
    assert result.edits == 0 and result.files == [] and result.without_fix == 1
    assert any(
        "pss-allow-privilege-escalation: no automatic fix: Kubernetes rejects allowPrivilegeEscalation false "
        "beside privileged true" in note
        for note in result.notes
    )


def test_fix_reports_input_errors_and_exits_2() -> None:
    result = run("fix", "fixtures/errors/missing-comma.json", "nope.yaml")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "fixtures/errors/missing-comma.json:3: error: JSON parse error" in stderr
    assert "nope.yaml: error: no such file or directory" in stderr


def test_json_findings_count_as_without_fix_and_a_bom_is_kept(tmp_path) -> None:
    result = fix(plan(rules=["drop-net-bind-service"]), [str(FIXTURES / "kubectl" / "deployment-web.json")])
    assert result.without_fix == 1
    target = tmp_path / "bom.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "kubectl" / "deployment-web.yaml").read_bytes())
    run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert scan([target], rules=["drop-net-bind-service"]).findings == []


def test_a_deeply_nested_document_is_fixed_and_one_too_deep_to_read_is_an_error(tmp_path) -> None:
    target = tmp_path / "deep.yaml"
    head = "apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec:\n  containers:\n  - name: c\n    image: x\n"
    target.write_text(head + f"    args: {'[' * 900}{']' * 900}\n")
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 0 and b"1 edit made in 1 file" in result.stderr
    assert scan([target], rules=["drop-net-bind-service"]).findings == []
    target.write_text(head + f"    args: {'[' * 3000}{']' * 3000}\n")
    before = target.read_bytes()
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"exceeded maximum nesting depth" in result.stderr
    assert target.read_bytes() == before
