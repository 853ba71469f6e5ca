"""yaml_edit: edits made in the text in place, every other byte kept; what cannot be edited safely is refused
with its line; comments stay with the line they annotate; List objects cut out as regions."""

from __future__ import annotations

import pytest
import yaml

from checker.inputs.yaml_comments import comments_of
from checker.inputs.yaml_edit import EditError, append_to_list, regions, scalar_text, set_value


@pytest.mark.parametrize(
    ("text", "path", "value", "expected"),
    [
        ("a:\n  b: 1\nc: 2\n", ("a", "x"), True, "a:\n  b: 1\n  x: true\nc: 2\n"),
        ("a: false   # keep\n", ("a",), True, "a: true    # keep\n"),  # the comment keeps its column
        ("a: false # keep\n", ("a",), "RuntimeDefault", "a: RuntimeDefault # keep\n"),
        ("a: |\n  x\n  y\n\nb: 1\n", ("a",), "x", "a: x\n\nb: 1\n"),
        ("a:\nb: 1", ("a",), 2, "a: 2\nb: 1"),  # an empty value
        ("{a}", ("a",), 2, "{a: 2}"),
        ("{a: , b: 1}", ("a",), 2, "{a: 2, b: 1}"),
        ("a: {}\n", ("a", "x"), 1, "a: {x: 1}\n"),
        ("a: {b: 1}\n", ("a", "x", "y"), "s", "a: {b: 1, x: {y: s}}\n"),
        ("a:\n  b: 1", ("a", "c"), 2, "a:\n  b: 1\n  c: 2"),  # no line end at the end of the text
        ("a:\r\n  b: 1\r\n", ("a", "c"), 2, "a:\r\n  b: 1\r\n  c: 2\r\n"),  # CRLF kept
        ("a:\n    b: 1\n", ("a", "c", "d"), 2, "a:\n    b: 1\n    c:\n        d: 2\n"),  # the file's indent
        ("a: 'x'\n", ("a",), "yes", 'a: "yes"\n'),  # a word YAML would read as a boolean is quoted
    ],
)
def test_set_value(text, path, value, expected) -> None:
    assert set_value(text, path, value) == expected


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("a:\nc: 2\n", ("a", "x", "y"), "a:\n  x:\n    y:\n    - ALL\nc: 2\n"),
        ("a: null # n\nc: 2\n", ("a", "x", "y"), "a: # n\n  x:\n    y:\n    - ALL\nc: 2\n"),
        ("a: ~\nb: 1", ("a",), "a:\n- ALL\nb: 1"),
        ("a: [x,   # c\n  y # d\n]\n", ("a",), "a: [x,   # c\n  y, ALL # d\n]\n"),  # comments in a flow list
        ("a: []\n", ("a",), "a: [ALL]\n"),
        ("a:\n- x\n# about b\nb: 1", ("a",), "a:\n- x\n- ALL\n# about b\nb: 1"),
        ("a:\n  - x\n  # - y\nb: 1", ("a",), "a:\n  - x\n  # - y\n  - ALL\nb: 1"),  # a commented-out item
        ("b: &x 1\na: [1, *x ]\n", ("a",), "b: &x 1\na: [1, *x, ALL ]\n"),  # after an alias item
        ("b: &x 1\na:\n  c: *x\n", ("a", "d"), "b: &x 1\na:\n  c: *x\n  d:\n  - ALL\n"),
        ("k:\n  a:\n    - x\n", ("k", "b"), "k:\n  a:\n    - x\n  b:\n    - ALL\n"),  # the file's dash offset
        # through an alias the edit lands where the anchor is (fix checks every place that uses it)
        ("a: &x {b: 1}\nc: *x\n", ("c", "d"), "a: &x {b: 1, d: [ALL]}\nc: *x\n"),
        ("a: &x\n  b: 1\nc: *x\n", ("c", "d"), "a: &x\n  b: 1\n  d:\n  - ALL\nc: *x\n"),
    ],
)
def test_append_to_list(text, path, expected) -> None:
    assert append_to_list(text, path, "ALL") == expected


def test_nothing_to_do_is_none() -> None:
    assert set_value('a: "x"\n', ("a",), "x") is None
    assert set_value("a: true\n", ("a",), True) is None
    assert set_value("a: 1\n", ("a",), True) is not None  # 1 is not true
    assert append_to_list("a: [ALL]\n", ("a",), "ALL") is None


@pytest.mark.parametrize(
    ("edit", "text", "path", "line", "message"),
    [
        (append_to_list, "a: NET_RAW\n", ("a",), 1, "a is a string ('NET_RAW'), not a list"),
        (set_value, "x: 1\na: 5\n", ("a", "b"), 2, "a is a number ('5'), not a mapping"),
        (set_value, "a:\n  b: []\n", ("a", "b", "c"), 2, "a.b is a list, not a mapping"),
        (set_value, "a:\n  <<: {b: 1}\n", ("a", "d"), 2, "a takes keys from a merge (<<)"),
        (set_value, "a:\n  b: 1\n  b: 2\n", ("a", "b"), 3, "duplicate key a.b"),
        (set_value, "a: [1]\n", ("a", 3, "b"), 1, "a has no item 3"),
        (set_value, "a: {b: 1}\n", ("a",), 1, "a is a mapping, not a single value"),
        (set_value, "a: [\n", ("a",), 2, "cannot be read back for editing"),
    ],
)
def test_what_cannot_be_edited_safely_is_refused_with_its_line(edit, text, path, line, message) -> None:
    with pytest.raises(EditError) as caught:
        edit(text, path, "x")
    assert caught.value.line == line and message in caught.value.message


def test_new_keys_go_above_a_comment_that_annotates_the_next_line() -> None:
    """chaos-exporter.yaml's shape: comments inside the container (deeper) stay above the new key, the comment
    on serviceAccountName stays on it."""
    text = (
        "spec:\n"
        "  containers:\n"
        "    - name: c\n"
        "      env:\n"
        "        - {name: A, value: '1'}\n"
        "      # - name: B\n"
        "      #   value: '2'\n"
        "  # the account for the portal\n"
        "  serviceAccountName: litmus\n"
    )
    edited = set_value(text, ("spec", "containers", 0, "securityContext", "runAsNonRoot"), True)
    assert edited == text.replace(
        "      #   value: '2'\n", "      #   value: '2'\n      securityContext:\n        runAsNonRoot: true\n"
    )
    edited = set_value(edited, ("spec", "securityContext", "runAsNonRoot"), True)
    assert edited.endswith("  serviceAccountName: litmus\n  securityContext:\n    runAsNonRoot: true\n")


def test_a_root_mapping_keeps_a_trailing_comment_last() -> None:
    assert set_value("a: 1\n# [END sample]\n", ("b",), 2) == "a: 1\nb: 2\n# [END sample]\n"


def test_regions_cut_list_items_and_paste_them_back() -> None:
    text = "kind: List\nitems:\n- kind: Pod  # first\n  spec: {}\n  # inside the first\n- kind: Pod\n  spec: {}\n"
    cut = regions(text, [("items", 0), ("items", 1)])
    assert cut is not None and [r.lead for r in cut] == ["- ", "- "] and cut[0].owner_column == 0
    first = cut[0].cut(text)
    assert first == "  kind: Pod  # first\n  spec: {}\n  # inside the first\n"
    edited = set_value(first, ("spec", "x"), 1, owner_column=0)
    assert cut[0].paste(text, edited) == text.replace("spec: {}\n  #", "spec: {x: 1}\n  #", 1)
    assert regions("items: [{kind: Pod}]\n", [("items", 0)]) is None  # a flow item: edited as a whole


def test_scalar_text_reads_back_as_the_same_value() -> None:
    for value in ["ALL", "RuntimeDefault", "true", "null", "1", "a: b", "", "x#y", "ü", True, False, None, 3, 2.5]:
        assert yaml.safe_load(f"k: {scalar_text(value)}")["k"] == value


def test_comments_are_found_outside_scalars_only() -> None:
    text = 'a: "# not one" # one\nb: |\n  # not one either\nc: x#y  # two\n# three\n'
    assert [(c.line, c.text, c.own_line) for c in comments_of(text)] == [
        (0, "# one", False),
        (3, "# two", False),
        (4, "# three", True),
    ]
