"""Big inputs cut into pieces (checker/inputs/pieces.py): the streamed scan of a stream or List cut small
gives, at --jobs 1 and 2, the report api.run() gives reading it whole; oversized documents are refused."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from checker import scanning
from checker.api import plan, run_plan
from checker.inputs import pieces
from checker.inputs.documents import Source
from checker.inputs.yaml_parser import parse_yaml
from checker.report import FORMATS, RenderOptions

PIECE = 600  # characters: a few documents a piece


def _deployment(number: int) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web{number}, namespace: shop}}\n"
        "spec:\n"
        f"  selector: {{matchLabels: {{app: web{number}}}}}\n"
        "  template:\n"
        f"    metadata: {{labels: {{app: web{number}}}}}\n"
        "    spec:\n"
        "      containers:\n"
        f"      - name: web{'  # kubecheck:ignore drop-net-bind-service a test' if number % 2 else ''}\n"
        "        image: registry.example/web:1.27\n"
        '        args: ["--listen-address=[::]:8080"]\n'
        "        ports: [{containerPort: 8080}]\n"
    )


def _service(number: int) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: web{number}, namespace: shop}}\n"
        f"spec:\n  selector: {{app: web{number}}}\n  ipFamilyPolicy: SingleStack\n  ipFamilies: [IPv4]\n"
        "  ports: [{port: 80, targetPort: 8080}]\n"
    )


def _documents(count: int = 12) -> list[str]:
    found: list[str] = []
    for number in range(count):
        found += [_deployment(number), _service(number)] if number % 3 else [_service(number), _deployment(number)]
    return found


def _json(report) -> str:
    return FORMATS["json"](report, RenderOptions(show_suppressed=True))


@pytest.fixture(autouse=True)
def _small_pieces(monkeypatch):
    monkeypatch.setattr(scanning, "PARALLEL_MIN_INPUTS", 2)


def _same(paths: list[str], stdin: bytes | None = None, monkeypatch=None) -> str:
    chosen = plan()

    def fresh() -> None:
        if stdin is not None and monkeypatch is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))

    fresh()
    expected = _json(run_plan(chosen, paths))
    for jobs in (1, 2):
        fresh()
        shown = _json(scanning.scan(chosen, paths, jobs=jobs, piece_chars=PIECE))
        assert shown == expected, f"--jobs {jobs}"
    return expected


def test_a_yaml_stream_cut_into_pieces(tmp_path: Path) -> None:
    documents = _documents()
    documents[9] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n  data: [\n"  # broken mid-stream
    documents[14] = documents[14].replace("metadata:", "metadata: {}\nmetadata:", 1)  # a duplicate key
    text = "# a comment-only head is no document\n---\n" + "---\n".join(documents) + "---\n"
    stream = tmp_path / "stream.yaml"
    stream.write_text(text)
    assert len(pieces.split(Source(str(stream), text), PIECE)) > 4
    shown = _same([str(stream)])
    assert "YAML parse error" in shown and "duplicate key 'metadata'" in shown
    assert '"suppressed_by"' in shown  # comments read in their piece
    assert "every Service selecting it is IPv4 single-stack" in shown  # Services from other pieces


def test_a_crlf_stream_and_a_json_stream(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(("---\n".join(_documents(8))).replace("\n", "\r\n").encode())
    values = tmp_path / "values.json"
    import yaml

    objects = [yaml.safe_load(document) for document in _documents(8)]
    values.write_text("".join(json.dumps(value, indent=1) + "\n" for value in objects))
    _same([str(crlf), str(values)])


def test_a_json_list_on_stdin(monkeypatch) -> None:
    import yaml

    items = [yaml.safe_load(document) for document in _documents()]
    items[3]["metadata"] = {"name": "x"}
    listing = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4)
    listing = listing.replace('"name": "x"', '"name": "x", "name": "y"')  # a duplicate key in an item
    data = listing.encode()
    assert len(pieces.split(Source("<stdin>", listing, True), PIECE)) > 4
    shown = _same(["-"], data, monkeypatch)
    assert "duplicate key 'name'" in shown and "every Service selecting it is IPv4 single-stack" in shown


def test_pieces_number_lines_and_documents_as_the_whole_stream() -> None:
    text = "# head\n" + "---\n".join(_documents(6))
    whole = parse_yaml(Source("s.yaml", text))
    cut = pieces.split(Source("s.yaml", text), 300)
    parts = [document for piece in cut for document in pieces.parse_piece(piece).documents]
    assert [(d.index, d.line, d.data) for d in parts] == [(d.index, d.line, d.data) for d in whole.documents]
    named = [document for piece in cut for document in pieces.naming(piece, ["Service"]).documents]
    services = [(d.index, d.line) for d in whole.documents if d.data["kind"] == "Service"]
    assert [(d.index, d.line) for d in named] == services


def test_an_oversized_document_is_refused_at_its_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pieces, "MAX_DOCUMENT_CHARS", 2000)
    documents = _documents(6)
    documents[5] = documents[5] + "  annotations:\n    big: " + "x" * 3000 + "\n"
    text = "---\n".join(documents)
    stream = tmp_path / "big.yaml"
    stream.write_text(text)
    line = text[: text.index(documents[5])].count("\n") + 1  # its first line
    report = scanning.scan(plan(), [str(stream)], jobs=1, piece_chars=PIECE)
    assert [(e.line, e.message) for e in report.errors] == [(line, "document is larger than 2,000 characters; refused")]
    assert report.resources == len(documents) - 1  # the others were checked


def test_the_index_pass_reads_every_spelling_of_a_looked_up_kind() -> None:
    spellings = ["kind: 'Service'", "kind: !!str Service", '"kind": Service', "kind: Service # a comment"]
    documents = [f"apiVersion: v1\n{kind}\nmetadata: {{name: s{n}}}\n" for n, kind in enumerate(spellings)]
    documents += ["{apiVersion: v1, kind: Service, metadata: {name: flow}}\n", _deployment(1)]
    documents += ["apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: i}}\n"]
    text = "---\n".join(documents)
    cut = pieces.split(Source("s.yaml", text), 100)
    named = [document for piece in cut for document in pieces.naming(piece, ["Service"]).documents]
    assert [d.index for d in named] == [0, 1, 2, 3, 4, 6]  # not the Deployment


def test_an_oversized_list_item_is_refused_at_its_line(tmp_path: Path, monkeypatch) -> None:
    import yaml

    monkeypatch.setattr(pieces, "MAX_DOCUMENT_CHARS", 2000)
    items = [yaml.safe_load(document) for document in _documents(4)]
    items[2]["metadata"]["annotations"] = {"big": "x" * 3000}
    listing = tmp_path / "list.json"
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2)
    listing.write_text(text)
    report = scanning.scan(plan(), [str(listing)], jobs=1, piece_chars=PIECE)
    starts = [n + 1 for n, row in enumerate(text.splitlines()) if row == "    {"]  # each item's first line
    refused = [(starts[2], "List item is larger than 2,000 characters; refused")]
    assert [(e.line, e.message) for e in report.errors] == refused
    assert report.resources == len(items) - 1  # the others were checked
