"""kubecheck fix: rule fix operations made in the text in place, keeping comments, quotes, markers, the
file's indentation and every untouched byte; files that cannot be fixed safely are errors left as they were;
writes are atomic; --check, --stdout and stdin; a rescan finds the fixed findings gone."""

from __future__ import annotations

import errno
import shutil
import stat
import subprocess

import yaml
from typer.testing import CliRunner

from checker.api import plan
from checker.cli import app
from checker.commands import atomic_write
from checker.commands import fix as fix_module
from checker.commands.fix import fix, joined_outputs, write_fixes

from .check_fixed import check_pair, fix_fields
from .conftest import CORPUS, FIXTURES, need_shared, scan
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
    # the nesting is in an object of a kind kubecheck does not type-check (a pod's args must be strings)
    head = "apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec:\n  containers:\n  - name: c\n    image: x\n"
    head += "---\napiVersion: example.com/v1\nkind: Deep\nmetadata: {name: deep}\n"
    target.write_text(head + f"spec: {'[' * 900}{']' * 900}\n")
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 0 and b"1 edit made in 1 file" in result.stderr
    assert scan([target], rules=["drop-net-bind-service"]).findings == []
    target.write_text(head + f"spec: {'[' * 3000}{']' * 3000}\n")
    before = target.read_bytes()
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"exceeded maximum nesting depth" in result.stderr
    assert target.read_bytes() == before


PACKS = ["--pack", "network-hardening", "--pack", "pss-restricted"]
MARKERS = FIXTURES / "fix" / "markers.yaml"
REFUSED = FIXTURES / "fix" / "refused"


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command run in process (quicker than the installed script, which the tests above run)."""
    result = CliRunner().invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout_bytes, result.stderr_bytes)


def test_markers_directives_flow_documents_and_flow_comments_survive(tmp_path) -> None:
    target = tmp_path / "markers.yaml"
    shutil.copy(MARKERS, target)
    result = cli("fix", str(target), "--write", *PACKS)
    assert result.returncode == 0 and b"4 edits made in 1 file" in result.stderr
    after = target.read_text()
    original = MARKERS.read_text()
    head = original.split("    securityContext:\n")[0]
    assert after.startswith(head)  # directive, `--- &settings`, `--- {...}`, `--- !!map`, tabs, flow comments
    assert after.endswith("...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-the-end\n")
    assert "        drop: [NET_RAW,  # kept from the base image\n               CHOWN, ALL]\n" in after
    documents = list(yaml.load_all(after, Loader=yaml.CSafeLoader))  # libyaml, as kubecheck reads
    assert [d["metadata"]["name"] for d in documents] == ["settings", "flow-config", "web", "after-the-end"]
    assert scan([target], packs=PACKS[1::2]).findings == []
    assert check_pair(original, after, fix_fields()) == []


def test_files_that_cannot_be_fixed_safely_are_errors_left_byte_identical(tmp_path) -> None:
    shutil.copytree(REFUSED, tmp_path / "refused")
    shutil.copy(WEB, tmp_path / "web.yaml")
    before = {p.name: p.read_bytes() for p in (tmp_path / "refused").iterdir()}
    result = cli("fix", str(tmp_path), "--write", *PACKS)
    stderr = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in stderr
    for name, data in before.items():
        assert (tmp_path / "refused" / name).read_bytes() == data
        assert f"{tmp_path}/refused/{name}:" in stderr
    assert "duplicate-key.yaml: error: not fixed: the file has input errors" in stderr
    # the wrong shapes are input errors of the scan (Kubernetes refuses them), so no fix is planned there
    assert "drop-string.yaml:12: error: Pod drop-string: spec.containers[0].securityContext.capabilities.drop" in stderr
    assert "edits made in 1 file" in stderr and "1 file not fixed (errors above)" in stderr
    assert (tmp_path / "web.yaml").read_text() != WEB.read_text()  # the run went on with the good file
    assert not list(tmp_path.rglob(".kubecheck-*"))


def test_the_comment_above_service_account_name_stays_with_it_on_the_corpus_file(tmp_path) -> None:
    source = (
        CORPUS / "GoogleCloudPlatform__kubernetes-engine-samples/databases/postgres-chaos-testing/manifests/"
        "08-monitoring/chaos-exporter.yaml"
    )
    need_shared(source)
    target = tmp_path / "chaos-exporter.yaml"
    shutil.copy(source, target)
    result = cli("fix", str(target), "--write", *PACKS)
    assert result.returncode == 0
    lines = target.read_text().split("\n")
    comment = next(i for i, line in enumerate(lines) if "# to use with litmus portal" in line)
    assert lines[comment + 1] == "      serviceAccountName: litmus"
    uncomment = next(i for i, line in enumerate(lines) if "#   value: 'litmus'" in line)
    assert lines[uncomment - 2].strip().startswith("# uncomment the following lines")  # env's commented lines
    assert lines[uncomment + 1] == "          securityContext:"  # the container's new field after them
    assert "drop:\n                - ALL\n" in target.read_text()  # ALL alone: no NET_BIND_SERVICE beside it
    assert check_pair(source.read_text(), target.read_text(), fix_fields()) == []


def test_check_exits_1_while_edits_are_pending_and_0_after(tmp_path) -> None:
    target = tmp_path / "web.yaml"
    shutil.copy(WEB, target)
    pending = cli("fix", str(target), "--check", *PACKS)
    assert pending.returncode == 1 and b"+            allowPrivilegeEscalation: false" in pending.stdout
    assert target.read_bytes() == WEB.read_bytes()
    assert cli("fix", str(target), "--write", *PACKS).returncode == 0
    done = cli("fix", str(target), "--check", *PACKS)
    assert done.returncode == 0 and done.stdout == b"" and b"0 edits proposed in 0 files" in done.stderr
    assert cli("fix", str(REFUSED / "duplicate-key.yaml"), "--check", *PACKS).returncode == 2  # errors win


def test_stdin_gives_the_fixed_stream_on_stdout(tmp_path) -> None:
    result = cli("fix", "-", *PACKS, stdin=WEB.read_bytes())
    assert result.returncode == 0
    target = tmp_path / "web.yaml"
    shutil.copy(WEB, target)
    cli("fix", str(target), "--write", *PACKS)
    assert result.stdout == target.read_bytes()
    diff = cli("fix", "-", "--diff", *PACKS, stdin=WEB.read_bytes())
    assert diff.stdout.startswith(b"--- a/<stdin>\n+++ b/<stdin>\n")
    untouched = cli("fix", "-", "--rule", "pss-run-as-non-root", stdin=b"apiVersion: v1\nkind: ConfigMap\n")
    assert untouched.returncode == 0 and untouched.stdout == b"apiVersion: v1\nkind: ConfigMap\n"


def test_stdout_joins_every_input_into_one_stream(tmp_path) -> None:
    result = cli("fix", str(WEB), str(FIXTURES / "kubectl" / "deployment-web.yaml"), "--stdout", *PACKS)
    assert result.returncode == 0
    documents = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    assert [d["kind"] for d in documents] == ["ConfigMap", "Deployment", "Deployment"]
    assert joined_outputs([("a", "a: 1"), ("b", "%YAML 1.1\n---\nb: 2\n"), ("c", "# c\n---\nc: 3\n")]) == (
        "a: 1\n...\n%YAML 1.1\n---\nb: 2\n# c\n---\nc: 3\n"
    )


def test_output_modes_are_exclusive() -> None:
    result = cli("fix", str(WEB), "--write", "--stdout")
    assert result.returncode == 2 and b"choose one of --write, --stdout and --diff" in result.stderr


def test_a_failed_write_leaves_the_original_whole(tmp_path, monkeypatch) -> None:
    target = tmp_path / "web.yaml"
    shutil.copy(WEB, target)
    target.chmod(0o640)
    result = fix(plan(packs=PACKS[1::2]), [str(target)])

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_write.os, "fsync", disk_full)
    errors = write_fixes(result)
    assert [(e.file, e.message) for e in errors] == [
        (str(target), "not written, left as it was: No space left on device")
    ]
    assert target.read_bytes() == WEB.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web.yaml"]  # no temporary file left behind
    monkeypatch.undo()
    assert write_fixes(result) == []
    assert target.read_text() == result.files[0].after and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path) -> None:
    target = tmp_path / "web.yaml"
    shutil.copy(WEB, target)
    result = fix(plan(packs=PACKS[1::2]), [str(target)])
    target.write_text(WEB.read_text() + "# edited meanwhile\n")
    assert [e.message for e in write_fixes(result)] == ["not written: the file changed since it was read"]
    assert target.read_text().endswith("# edited meanwhile\n")


def test_a_symbolic_link_stays_a_link(tmp_path) -> None:
    real = tmp_path / "real.yaml"
    shutil.copy(WEB, real)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert cli("fix", str(link), "--write", *PACKS).returncode == 0
    assert link.is_symlink() and "allowPrivilegeEscalation: false" in real.read_text()


def test_a_result_that_differs_beyond_the_edits_is_refused(tmp_path, monkeypatch) -> None:
    """The check after editing catches an editor mistake: here an edit that also changes another value."""
    target = tmp_path / "web.yaml"
    shutil.copy(WEB, target)
    real_set_value = fix_module.set_value

    def careless(text, path, value, owner_column=0):
        edited = real_set_value(text, path, value, owner_column)
        return None if edited is None else edited.replace("nginx:1.27", "nginx:latest")

    monkeypatch.setattr(fix_module, "set_value", careless)
    result = fix(plan(packs=PACKS[1::2]), [str(target)])
    assert result.files == [] and len(result.refused) == 1
    assert "not fixed: a value outside the edited fields would change" in result.refused[0].message


def test_a_drop_list_that_holds_all_gets_no_single_capability(tmp_path) -> None:
    target = tmp_path / "pod.yaml"
    target.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: a\n"
        "    securityContext:\n      capabilities:\n        drop: [all]\n        add: [NET_BIND_SERVICE]\n"
        "  - name: b\n    image: b\n"
    )
    cli("fix", str(target), "--write", "--rule", "drop-net-bind-service", "--rule", "pss-capabilities-restricted")
    data = yaml.safe_load(target.read_text())
    first, second = (c["securityContext"]["capabilities"] for c in data["spec"]["containers"])
    assert first["drop"] == ["all", "ALL", "NET_BIND_SERVICE"]  # added back, so dropping it by name matters
    assert second == {"drop": ["ALL"]}


SHARED_CONTEXT = """apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  containers:
  - name: a
    image: a:1
    securityContext: &hardened
      capabilities:
        drop: [NET_RAW]
  - name: b
    image: b:1
    securityContext: *hardened
"""


def test_an_anchored_field_every_alias_needs_is_fixed_once_where_the_anchor_is(tmp_path) -> None:
    target = tmp_path / "shared.yaml"
    target.write_text(SHARED_CONTEXT)
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 0, result.stderr
    assert "drop: [NET_RAW, NET_BIND_SERVICE]" in target.read_text()
    assert "securityContext: *hardened" in target.read_text()
    assert scan([target], rules=["drop-net-bind-service"]).findings == []


def test_an_anchor_also_used_outside_the_edited_fields_is_refused_byte_identical(tmp_path) -> None:
    # the anchor is also used by a field the fix does not edit: editing it would change that field too
    text = SHARED_CONTEXT.replace("  - name: b\n    image: b:1\n    securityContext: *hardened\n", "")
    target = tmp_path / "shared.yaml"
    target.write_text(text + "  overhead: *hardened\n")
    before = target.read_bytes()
    result = run("fix", str(target), "--write", "--rule", "drop-net-bind-service")
    assert result.returncode == 2, result.stderr
    assert b"a value outside the edited fields would change" in result.stderr
    assert target.read_bytes() == before


def test_spark_fix_edits_the_driver_field_that_wins(tmp_path) -> None:
    """spec.driver.securityContext replaces the template container's securityContext: the finding points at
    it and the fix adds the drop there (the template's drop ALL is discarded), never in the template."""
    source = FIXTURES / "fix" / "spark-driver-override.yaml"
    before = scan([source], rules=["drop-net-bind-service"])
    assert [(f.container, f.path, f.line) for f in before.findings] == [
        ("spark-kubernetes-driver", "spec.driver.securityContext.capabilities.drop", 25),
        ("spark-kubernetes-executor", "spec.executor.securityContext.capabilities.drop", 27),
    ]
    target = tmp_path / "spark.yaml"
    shutil.copy(source, target)
    assert run("fix", str(target), "--write", "--rule", "drop-net-bind-service").returncode == 0
    fixed = yaml.safe_load(target.read_text().split("\n", 4)[-1])
    driver, executor = fixed["spec"]["driver"], fixed["spec"]["executor"]
    assert driver["securityContext"] == {"runAsNonRoot": True, "capabilities": {"drop": ["NET_BIND_SERVICE"]}}
    assert driver["template"]["spec"]["containers"][0]["securityContext"] == {"capabilities": {"drop": ["ALL"]}}
    assert executor["securityContext"] == {"capabilities": {"drop": ["NET_BIND_SERVICE"]}}
    assert scan([target], rules=["drop-net-bind-service"]).findings == []
