"""Reading inputs: directories, stdin, encodings, broken documents, hostile inputs; every problem is an
error with file and line, and the other inputs are still read."""

from __future__ import annotations

import codecs
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from checker.inputs.decoding import read_source
from checker.inputs.discovery import discover
from checker.inputs.documents import Source
from checker.inputs.loading import load, parse_source
from checker.inputs.yaml_parser import MAX_EXPANDED_NODES

from .conftest import FIXTURES, ROOT

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: x\n"


def test_directory_walk_is_recursive_sorted_and_skips_hidden(tmp_path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "z.yml").write_text(POD.format(name="z"))
    (tmp_path / "a.yaml").write_text(POD.format(name="a"))
    (tmp_path / "c.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a manifest")
    (tmp_path / ".hidden" / "h.yaml").write_text(POD.format(name="h"))
    found = discover([str(tmp_path)])
    assert found.errors == []
    assert [os.path.relpath(n, tmp_path) for n in found.inputs] == ["a.yaml", os.path.join("b", "z.yml"), "c.json"]
    assert found.hidden == [str(tmp_path / ".hidden")]
    with_hidden = discover([str(tmp_path)], include_hidden=True)
    assert os.path.join(".hidden", "h.yaml") in [os.path.relpath(n, tmp_path) for n in with_hidden.inputs]


def test_symlink_loop_is_cut(tmp_path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "p.yaml").write_text(POD.format(name="p"))
    os.symlink(tmp_path, tmp_path / "d" / "loop")
    found = discover([str(tmp_path)])
    assert found.errors == [] and len(found.inputs) == 1


def test_missing_path_is_an_error_and_others_still_load(tmp_path) -> None:
    (tmp_path / "ok.yaml").write_text(POD.format(name="ok"))
    result = load([str(tmp_path / "nope.yaml"), str(tmp_path / "ok.yaml")])
    assert [e.message for e in result.errors] == ["no such file or directory"]
    assert len(result.documents) == 1


def test_broken_document_does_not_hide_its_neighbours(tmp_path) -> None:
    file = tmp_path / "mixed.yaml"
    file.write_text(POD.format(name="one") + "---\nkind: [unclosed\n---\n" + POD.format(name="three"))
    result = load([str(file)])
    assert [d.data["metadata"]["name"] for d in result.documents] == ["one", "three"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.file == str(file) and error.line == 10 and "YAML parse error" in error.message


def test_bom_crlf_and_document_end_markers() -> None:
    source = Source("x.yaml", "\ufeff" + POD.format(name="a").replace("\n", "\r\n") + "...\r\n")
    result = parse_source(source)
    assert result.errors == [] and result.documents[0].data["metadata"]["name"] == "a"


def test_json_errors_have_a_line(tmp_path) -> None:
    file = tmp_path / "bad.json"
    file.write_text('{\n  "apiVersion": "v1",\n  "kind": "Pod"\n  "x": 1\n}\n')
    result = load([str(file)])
    assert result.errors[0].line == 4 and result.errors[0].message.startswith("JSON parse error")


def test_invalid_utf8_is_reported(tmp_path) -> None:
    file = tmp_path / "latin1.yaml"
    file.write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n")
    source = read_source(str(file))
    assert not isinstance(source, Source) and source.line == 4


def test_stdin_is_read_and_detects_json(monkeypatch) -> None:
    data = b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "s"}}'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    source = read_source("-")
    assert isinstance(source, Source) and source.name == "<stdin>" and source.is_json


def test_alias_bomb_is_refused_quickly(tmp_path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    file = tmp_path / "bomb.yaml"
    file.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    result = load([str(file)])
    assert time.monotonic() - started < 5
    assert result.documents == []
    assert f"{MAX_EXPANDED_NODES:,}" in result.errors[0].message


@pytest.mark.parametrize("text", ["[" * 20000 + "]" * 20000, "".join(" " * i + "a:\n" for i in range(3000))])
def test_deep_nesting_is_refused(tmp_path, text: str) -> None:
    file = tmp_path / "deep.yaml"
    file.write_text(text)
    result = load([str(file)])
    assert result.documents == [] and result.errors


def test_deep_json_is_refused_where_it_passes_the_limit(tmp_path) -> None:
    file = tmp_path / "deep.json"
    file.write_text("[" * 100000 + "]" * 100000)
    result = load([str(file)])
    assert [(e.line, e.message) for e in result.errors] == [
        (1, "nesting is too deep: more than 900 levels at column 901; refused")
    ]


def test_deep_json_in_a_stream_names_its_line_and_the_next_object_is_read(tmp_path) -> None:
    deep = "".join(" " * min(i, 40) + '{"a":\n' for i in range(2000)) + "1" + "}" * 2000
    file = tmp_path / "stream.json"
    file.write_text('{"kind": "first"}\n' + deep + '\n{"kind": "after"}\n')
    result = load([str(file)])
    assert [d.data for d in result.documents] == [{"kind": "first"}, {"kind": "after"}]
    assert [(e.line, e.message) for e in result.errors] == [
        (2 + 900, "nesting is too deep: more than 900 levels at column 41; refused")
    ]


def test_templates_get_a_hint(tmp_path) -> None:
    file = tmp_path / "deployment.yaml"
    file.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n")
    error = load([str(file)]).errors[0]
    assert error.line == 4 and error.message.endswith("(a Helm or Go template? render it first: helm template ...)")


def test_duplicate_keys_are_errors_but_the_document_is_still_read(tmp_path) -> None:
    file = tmp_path / "dup.yaml"
    file.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\nspec:\n"
        "  containers: [{name: c, image: x, image: y}]\n---\nbase: &b {k: 1}\nover:\n  <<: *b\n  k: 2\n"
    )
    result = load([str(file)])
    assert [(e.line, e.message.split(" (")[0]) for e in result.errors] == [
        (5, "duplicate key 'name'"),
        (7, "duplicate key 'image'"),
    ]
    assert "first at line 4" in result.errors[0].message
    assert result.documents[0].data["metadata"]["name"] == "b"  # what PyYAML keeps; a merge override is fine


# --- input gaps: empty stdin, empty directories, broken links, symlinked paths, JSON streams, UTF-16/32 ---


def _kubecheck(*args: str, stdin: bytes | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    """The installed command (or the module), as a user runs it, from the repository root."""
    command = [shutil.which("kubecheck")] if shutil.which("kubecheck") else [sys.executable, "-m", "checker.cli"]
    return subprocess.run([*command, *args], cwd=cwd, input=stdin, capture_output=True, check=False)


def _findings(result: subprocess.CompletedProcess) -> list[tuple[str, int, int, str]]:
    report = json.loads(result.stdout)
    return [(f["file"], f["line"], f["column"], f["resource"]["name"]) for f in report["findings"]]


@pytest.mark.parametrize("data", [b"", b"\n  \n", b"# kubectl failed\n---\n...\n"])
def test_empty_stdin_is_an_input_error(data: bytes) -> None:
    result = _kubecheck("scan", "-", stdin=data)
    assert result.returncode == 2
    assert "<stdin>: error: no input on stdin (did the command before the pipe fail?)" in result.stdout.decode()


def test_stdin_with_an_object_is_not_empty() -> None:
    result = _kubecheck("scan", "-", "--rule", "drop-net-bind-service", stdin=POD.format(name="p").encode())
    assert result.returncode == 1 and b"no input" not in result.stdout


def test_directory_without_manifests_is_an_input_error(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("not a manifest")
    (tmp_path / "docs" / ".github").mkdir()
    (tmp_path / "docs" / ".github" / "ci.yaml").write_text(POD.format(name="ci"))
    result = load([str(tmp_path / "empty"), str(tmp_path / "docs")])
    assert [(e.file, e.message) for e in result.errors] == [
        (str(tmp_path / "empty"), "no .yaml, .yml or .json files found"),
        (
            str(tmp_path / "docs"),
            "no .yaml, .yml or .json files found; hidden entries are skipped without --include-hidden",
        ),
    ]
    assert load([str(tmp_path / "docs")], include_hidden=True).errors == []
    cli = _kubecheck("scan", str(tmp_path / "empty"))
    assert cli.returncode == 2 and f"{tmp_path / 'empty'}: error: no .yaml" in cli.stdout.decode()


def test_a_directory_named_twice_is_not_empty_the_second_time(tmp_path) -> None:
    (tmp_path / "a.yaml").write_text(POD.format(name="a"))
    assert discover([str(tmp_path), str(tmp_path)]).errors == []


def test_broken_symlinks_are_input_errors_and_the_rest_is_read(tmp_path) -> None:
    (tmp_path / "ok.yaml").write_text(POD.format(name="ok"))
    os.symlink("gone.yaml", tmp_path / "dangling.yaml")
    os.symlink("gone-dir", tmp_path / "manifests")  # no suffix: it may have been a folder
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    os.symlink("gone.txt", tmp_path / "notes.txt")  # would not have been read anyway
    result = load([str(tmp_path)])
    assert [d.data["metadata"]["name"] for d in result.documents] == ["ok"]
    assert sorted((os.path.basename(e.file), e.message) for e in result.errors) == [
        ("dangling.yaml", "broken symlink: its target gone.yaml does not exist"),
        ("loop.yaml", "cannot read: Too many levels of symbolic links"),
        ("manifests", "broken symlink: its target gone-dir does not exist"),
    ]


def test_unreadable_directory_is_an_input_error_and_the_rest_is_read(tmp_path, monkeypatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.yaml").write_text(POD.format(name="x"))
    (tmp_path / "ok.yaml").write_text(POD.format(name="ok"))
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = load([str(tmp_path)])
    assert [d.data["metadata"]["name"] for d in result.documents] == ["ok"]
    assert [(e.file, e.message) for e in result.errors] == [
        (str(tmp_path / "locked"), "cannot read directory: Permission denied")
    ]


def test_files_keep_their_path_with_the_fewest_symlink_hops(tmp_path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "empty").mkdir()
    (tree / "sub" / "list.json").write_text((FIXTURES / "positions" / "list.json").read_text())
    (tree / "sub" / "z.yaml").write_text(POD.format(name="z"))
    os.symlink("z.yaml", tree / "sub" / "a-link.yaml")  # sorts first, but is a link to z.yaml
    os.symlink("../sub", tree / "empty" / "sublink")  # 'empty/sublink' sorts before 'sub'
    (tree / "b.yaml").write_text(POD.format(name="b"))
    found = discover([str(tree)])
    assert found.errors == []
    assert [os.path.relpath(n, tree) for n in found.inputs] == [
        "b.yaml",
        os.path.join("sub", "list.json"),
        os.path.join("sub", "z.yaml"),
    ]
    cli = _kubecheck("scan", str(tree), "--rule", "drop-net-bind-service", "-o", "json")
    assert {os.path.relpath(f[0], tree) for f in _findings(cli)} == {
        "b.yaml",
        os.path.join("sub", "list.json"),
        os.path.join("sub", "z.yaml"),
    }


def test_a_tree_reached_only_through_a_link_is_still_read(tmp_path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "p.yaml").write_text(POD.format(name="p"))
    (tmp_path / "scan").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "scan" / "linked")
    assert discover([str(tmp_path / "scan")]).inputs == [str(tmp_path / "scan" / "linked" / "p.yaml")]


def test_json_stream_documents_have_their_own_line_and_span() -> None:
    text = (FIXTURES / "inputs" / "pod-stream-pretty.json").read_text()
    result = parse_source(Source("s.json", text, is_json=True))
    assert result.errors == []
    assert [(d.index, d.line, d.data["metadata"]["name"]) for d in result.documents] == [
        (0, 1, "first"),
        (1, 11, "second"),
        (2, 25, "third"),
    ]
    for document in result.documents:
        assert json.loads(text[document.start : document.end]) == document.data


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("pod-stream.json", [(2, 154, "second")]),  # one object a line (jq -c); the finding is on the 2nd line
        ("pod-stream-pretty.json", [(20, 46, "second"), (29, 27, "third")]),  # pretty-printed objects back to back
        ("pod-stream-same-line.json", [(1, 209, "second")]),  # }{ on one line: the column is still the field's
    ],
)
def test_json_stream_findings_are_located_in_their_object(fixture: str, expected) -> None:
    path = f"fixtures/inputs/{fixture}"
    for args, stdin, name in (([path], None, path), (["-"], (ROOT / path).read_bytes(), "<stdin>")):
        result = _kubecheck("scan", *args, "--rule", "drop-net-bind-service", "-o", "json", stdin=stdin)
        assert result.returncode == 1, result.stderr
        assert _findings(result) == [(name, line, column, pod) for line, column, pod in expected]
    line = (ROOT / path).read_text().split("\n")[expected[0][0] - 1]
    assert line[expected[0][1] - 1 :].startswith('"drop"')


@pytest.mark.parametrize(
    ("fixture", "pods", "error"),
    [
        (
            "pod-stream-broken.json",
            ["first", "second", "fourth"],
            (3, "JSON parse error: Expecting ',' delimiter (column 97)"),
        ),
        # the second object is not closed: the stream goes on at the next line that starts with {
        (
            "pod-stream-pretty-broken.json",
            ["first", "third"],
            (14, "JSON parse error: Expecting ',' delimiter (column 1)"),
        ),
    ],
)
def test_json_stream_goes_on_after_a_broken_value(fixture: str, pods: list[str], error) -> None:
    result = load([str(FIXTURES / "inputs" / fixture)])
    assert [d.data["metadata"]["name"] for d in result.documents] == pods
    assert [(e.line, e.message) for e in result.errors] == [error]


def test_objects_after_a_broken_one_are_checked_at_their_own_line() -> None:
    result = _kubecheck(
        "scan", "fixtures/inputs/pod-stream-broken.json", "--rule", "drop-net-bind-service", "-o", "json"
    )
    assert [(line, pod) for _, line, _, pod in _findings(result)] == [(1, "first"), (2, "second"), (4, "fourth")]
    assert result.returncode == 2


@pytest.mark.parametrize(
    ("text", "kept", "errors"),
    [
        # }{ on one line: the broken object's end is found by its brackets
        ('{"a":1}{"b" 2}{"c":3}', [{"a": 1}, {"c": 3}], [(1, "JSON parse error: Expecting ':' delimiter (column 13)")]),
        # an unclosed object in a one-object-a-line stream
        ('{"a": {"b": 1}\n{"c": 2}\n', [{"c": 2}], [(2, "JSON parse error: Expecting ',' delimiter (column 1)")]),
        # a broken string (JSON strings cannot hold a newline) does not swallow the next line
        ('{"name": "app}\n{"c": 2}\n', [{"c": 2}], [(1, "JSON parse error: Invalid control character at (column 15)")]),
        # two broken values: each reported once
        (
            'x\n{"c": 2}\n{"d" 4}\n{"e": 5}\n',
            [{"c": 2}, {"e": 5}],
            [
                (1, "JSON parse error: Expecting value (column 1)"),
                (3, "JSON parse error: Expecting ':' delimiter (column 6)"),
            ],
        ),
        # nowhere to pick the stream up again: the message says what was not read
        (
            '{"a": 1}\n{"b": [1 2,\n  {"c": 3}',
            [{"a": 1}],
            [(2, "JSON parse error: Expecting ',' delimiter (column 10); the rest of the file was not read")],
        ),
        # a broken last value leaves nothing unread
        ('{"a": 1}\n{"b": 2 "c": 3}\n', [{"a": 1}], [(2, "JSON parse error: Expecting ',' delimiter (column 9)")]),
    ],
)
def test_json_stream_resynchronises(text: str, kept: list, errors: list) -> None:
    result = parse_source(Source("s.json", text, is_json=True))
    assert [d.data for d in result.documents] == kept
    assert [(e.line, e.message) for e in result.errors] == errors
    for document in result.documents:
        assert json.loads(text[document.start : document.end]) == document.data


@functools.cache
def _utf8_findings() -> list[tuple[str, int, int, str]]:
    """The findings of the UTF-8 original, found once for the encodings compared with it."""
    original = FIXTURES / "kubectl" / "deployment-web.yaml"
    return _findings(_kubecheck("scan", str(original), "--rule", "drop-net-bind-service", "-o", "json"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_decoded(tmp_path, encoding: str) -> None:
    original = FIXTURES / "kubectl" / "deployment-web.yaml"
    marks = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-be": codecs.BOM_UTF32_BE}
    encoded = tmp_path / "deployment-web.yaml"
    encoded.write_bytes(marks.get(encoding, b"") + original.read_text().encode(encoding))
    want = _utf8_findings()
    result = _kubecheck("scan", str(encoded), "--rule", "drop-net-bind-service", "-o", "json")
    assert [f[1:] for f in _findings(result)] == [f[1:] for f in want] and want  # same line:column
    if encoding.startswith("utf-16"):
        assert result.returncode == 1 and result.stderr == b""
    else:  # kubectl decodes only UTF-8 and UTF-16: checked, and reported
        assert result.returncode == 2 and b"UTF-32 text: kubectl reads only UTF-8 and UTF-16" in result.stderr


def test_invalid_utf16_is_reported_with_its_line(tmp_path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_bytes(codecs.BOM_UTF16_LE + "a: 1\nb: 2\n".encode("utf-16-le") + b"\x00\xdc" + "\n".encode("utf-16-le"))
    error = read_source(str(file))
    assert not isinstance(error, Source) and (error.line, error.message) == (3, "not valid UTF-16 text")


# --- paths named on the command line: symlinks across paths, broken links, non-regular files, stdin twice ---


def _symlinked_tree(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.yaml").write_text(POD.format(name="a"))
    os.symlink("real", tmp_path / "link")
    return tmp_path


@pytest.mark.parametrize("order", [["link", "real"], ["real", "link"]])
def test_a_file_reached_through_several_named_paths_keeps_the_one_with_fewest_links(tmp_path, order) -> None:
    tree = _symlinked_tree(tmp_path)
    found = discover([str(tree / name) for name in order])
    assert found.errors == [] and found.inputs == [str(tree / "real" / "a.yaml")]
    cli = _kubecheck("scan", *order, "--rule", "drop-net-bind-service", "-o", "json", cwd=tree)
    assert [f[0] for f in _findings(cli)] == [os.path.join("real", "a.yaml")]


def test_across_named_paths_equal_links_keep_the_path_named_first_and_its_place(tmp_path) -> None:
    tree = _symlinked_tree(tmp_path)
    (tree / "b.yaml").write_text(POD.format(name="b"))
    os.symlink("real/a.yaml", tree / "a-link.yaml")
    named = [str(tree / "b.yaml"), str(tree / "a-link.yaml"), str(tree / "real"), str(tree / "real" / "a.yaml")]
    assert discover(named).inputs == [str(tree / "b.yaml"), str(tree / "real" / "a.yaml")]
    os.symlink("real", tree / "link2")
    assert discover([str(tree / "link2"), str(tree / "link")]).inputs == [str(tree / "link2" / "a.yaml")]


def test_a_broken_symlink_named_on_the_command_line_says_so(tmp_path) -> None:
    os.symlink("gone.yaml", tmp_path / "dangling.yaml")
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    found = discover([str(tmp_path / "dangling.yaml"), str(tmp_path / "loop.yaml"), str(tmp_path / "nope.yaml")])
    assert [(os.path.basename(e.file), e.message) for e in found.errors] == [
        ("dangling.yaml", "broken symlink: its target gone.yaml does not exist"),
        ("loop.yaml", "cannot read: Too many levels of symbolic links"),
        ("nope.yaml", "no such file or directory"),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_with_a_manifest_suffix_in_a_directory_is_reported(tmp_path) -> None:
    (tmp_path / "only").mkdir()
    os.mkfifo(tmp_path / "only" / "p.yaml")
    os.mkfifo(tmp_path / "only" / "notes.txt")  # would not have been read anyway
    os.symlink("p.yaml", tmp_path / "only" / "to-fifo.yaml")
    found = discover([str(tmp_path / "only")])
    assert found.inputs == []
    assert [(os.path.basename(e.file), e.message) for e in found.errors] == [
        ("p.yaml", "not a regular file"),
        ("to-fifo.yaml", "not a regular file"),
    ]


def test_stdin_named_twice_is_read_once_and_an_error() -> None:
    result = _kubecheck(
        "scan", "-", "-", "--rule", "drop-net-bind-service", "-o", "json", stdin=POD.format(name="p").encode()
    )
    report = json.loads(result.stdout)
    assert [f["resource"]["name"] for f in report["findings"]] == ["p"]
    assert [(e["file"], e["message"]) for e in report["errors"]] == [("<stdin>", "stdin is named twice")]
    assert result.returncode == 2


# --- characters YAML does not allow, and UTF-16 without a byte order mark ---


def test_a_control_character_is_reported_with_its_line_and_column() -> None:
    result = load([str(FIXTURES / "inputs" / "pod-control-character.yaml")])
    assert [d.data["metadata"]["name"] for d in result.documents] == ["clean", "after"]
    assert [(e.line, e.message) for e in result.errors] == [
        (18, "control character U+0001 at line 18, column 16 (not allowed in YAML)")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: x\x00y\n", 2, "control character U+0000 at line 2, column 5 (not allowed in YAML)"),
        ("a: 1\n" + "\x00" * 3, 2, "control character U+0000 at line 2, column 1 (not allowed in YAML)"),
        ("a: \u20ac\u20ac\n\nb: \ufffe\n", 3, "character U+FFFE at line 3, column 4 (not allowed in YAML)"),
    ],
)
def test_characters_yaml_does_not_allow(text: str, line: int, message: str) -> None:
    result = parse_source(Source("x.yaml", text))
    assert [(e.line, e.message) for e in result.errors] == [(line, message)]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named(tmp_path, encoding: str) -> None:
    file = tmp_path / "deployment-web.yaml"
    file.write_bytes((FIXTURES / "kubectl" / "deployment-web.yaml").read_text().encode(encoding))
    error = read_source(str(file))
    assert not isinstance(error, Source)
    assert error.message.startswith("looks like UTF-16 text without a byte order mark")


def test_a_nul_byte_in_utf8_text_is_not_taken_for_utf16(tmp_path) -> None:
    file = tmp_path / "nul.yaml"
    file.write_bytes(POD.format(name="p").encode() + b"\x00")
    assert isinstance(read_source(str(file)), Source)


def test_duplicate_keys_in_json_are_errors_like_in_yaml() -> None:
    text = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "name": "b"}, "spec": {}}\n'
    result = parse_source(Source("dup.json", text, is_json=True))
    assert [d.data["metadata"]["name"] for d in result.documents] == ["b"]
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [
        (1, "duplicate key 'name' in the object that starts here")
    ]
