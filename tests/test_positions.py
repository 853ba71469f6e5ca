"""Line and column of findings on files with comments, anchors and merge keys, CRLF, several documents
and JSON: each location is checked against the text found there."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES, scan

POSITIONS = FIXTURES / "positions"

CASES = [
    # file, container, expected line, column, text that starts there
    ("comments-multidoc.yaml", "app", 27, 22, '"CAP_NET_BIND_SERVICE"'),
    ("anchors.yaml", "first", 14, 21, "NET_BIND_SERVICE"),
    ("anchors.yaml", "second", 14, 21, "NET_BIND_SERVICE"),  # merged from the anchor: where the value is written
    ("anchors.yaml", "third", 14, 21, "NET_BIND_SERVICE"),  # an alias: the same place
    ("crlf.yaml", "two", 12, 5, "name: two"),  # securityContext is missing: the nearest parent, the container
    ("list.json", "c", 12, 74, '"NET_BIND_SERVICE"'),
]


@pytest.mark.parametrize(("name", "container", "line", "column", "text"), CASES)
def test_finding_position(name: str, container: str, line: int, column: int, text: str) -> None:
    file = POSITIONS / name
    report = scan([file], rules=["drop-net-bind-service"])
    found = [f for f in report.findings if f.container == container]
    assert len(found) == 1
    finding = found[0]
    assert (finding.line, finding.column) == (line, column)
    source_line = file.read_bytes().decode().splitlines()[line - 1]
    assert source_line[column - 1 :].startswith(text)


def test_multidocument_file_counts_documents_and_skips_empty_ones() -> None:
    report = scan([POSITIONS / "comments-multidoc.yaml"], rules=["drop-net-bind-service"])
    assert report.resources == 2  # the ConfigMap and the Deployment; empty and comment-only documents skipped
    assert report.errors == []


def test_key_of_a_mapping_value_is_the_location(tmp_path) -> None:
    file = tmp_path / "pod.yaml"
    file.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
        "    image: x\n    securityContext:\n      privileged: true\n      capabilities:\n"
        "        drop: [ALL]\n"
    )
    report = scan([file], rules=["drop-net-bind-service"])
    assert [(f.line, f.column, f.path) for f in report.findings] == [
        (9, 7, "spec.containers[0].securityContext.privileged")
    ]


def test_addresses_inside_configmap_data_of_every_string_style() -> None:
    """Literal, double-quoted with \\n escapes, folded and one-line data: the line and column of the value."""
    file = POSITIONS / "configmap-styles.yaml"
    report = scan([file], rules=["no-ipv6-wildcard-bind"], settings=["ipv6=disabled"])
    lines = file.read_text().splitlines()
    found = [(f.line, f.column, lines[f.line - 1][f.column - 1 : f.column + 6]) for f in report.findings]
    assert found == [(8, 16, "[::]:80"), (10, 54, "[::]:81"), (14, 16, "[::]:82"), (17, 25, "[::]:83")]
