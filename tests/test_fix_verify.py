"""The checks a fixed file passes before it is written (fix_verify.py) and the independent checker script
(tests/check_fixed.py): each catches a lost document, a changed value, a lost line or comment and a comment
parted from its line; generated edits of the fixtures never raise and always pass both."""

from __future__ import annotations

import random
import shutil

import pytest

from checker.api import plan
from checker.commands.fix import fix
from checker.commands.fix_verify import problem_with, same_tree
from checker.inputs.documents import Source
from checker.inputs.yaml_parser import parse_yaml

from .check_fixed import check_pair, check_trees, fix_fields, main
from .conftest import FIXTURES, examples

ORIGINAL = """\
# about the pod
apiVersion: v1
kind: Pod
metadata:
  name: p   # the name
spec:
  containers:
  - name: a
    image: a
  # the account
  serviceAccountName: s
"""


def _expected(text: str, **changes) -> list:
    documents = [d.data for d in parse_yaml(Source("x.yaml", text)).documents]
    for path, value in changes.items():
        node = documents[0]
        *steps, last = path.split("__")
        for step in steps:
            node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
        node[last] = value
    return documents


def _problem(fixed: str, expected: list) -> str | None:
    found = problem_with(Source("x.yaml", ORIGINAL), fixed, expected)
    return None if found is None else found[1]


def test_a_good_fix_passes() -> None:
    fixed = ORIGINAL + "  securityContext:\n    runAsNonRoot: true\n"
    assert _problem(fixed, _expected(ORIGINAL, spec__securityContext={"runAsNonRoot": True})) is None


@pytest.mark.parametrize(
    ("fixed", "problem"),
    [
        (ORIGINAL.replace("image: a", "image: b"), "a value outside the edited fields would change"),
        (ORIGINAL + "---\nkind: X\n", "the edited text has 2 documents instead of 1"),
        (ORIGINAL.replace("# about the pod\n", ""), "line 1 would be lost"),
        (ORIGINAL.replace("   # the name", ""), "the comment '# the name' would be lost or moved"),
        (ORIGINAL.replace("  # the account\n", "  # the account\n  x: 1\n"), "a value outside"),
        (ORIGINAL + "  x: [\n", "the edited text does not read back"),
    ],
)
def test_what_the_check_catches(fixed, problem) -> None:
    assert problem in (_problem(fixed, _expected(ORIGINAL)) or "")


def test_new_lines_between_a_comment_and_its_line_are_caught() -> None:
    fixed = ORIGINAL.replace("  # the account\n", "  # the account\n  securityContext:\n    runAsNonRoot: true\n")
    expected = _expected(ORIGINAL, spec__securityContext={"runAsNonRoot": True})
    assert _problem(fixed, expected) == "the comment at line 10 would be parted from the line it annotates"


def test_same_tree_tells_types_apart_and_takes_any_depth() -> None:
    assert not same_tree(True, 1) and not same_tree(1, 1.0) and same_tree(float("nan"), float("nan"))
    deep_a: list = []
    deep_b: list = []
    for _ in range(5000):
        deep_a, deep_b = [deep_a], [deep_b]
    assert same_tree(deep_a, deep_b)


def test_the_checker_script_passes_a_fix_and_catches_each_kind_of_damage(tmp_path) -> None:
    fields = fix_fields()
    added = "    securityContext:\n      capabilities:\n        drop:\n        - ALL\n"
    good = ORIGINAL.replace("    image: a\n", "    image: a\n" + added)
    assert check_pair(ORIGINAL, good, fields) == []
    damaged = {
        "value": ORIGINAL.replace("image: a", "image: b"),
        "document": ORIGINAL + "---\nkind: X\n",
        "comment": ORIGINAL.replace("   # the name", ""),
        "line": ORIGINAL.replace("# about the pod\n", ""),
        "field": ORIGINAL + "  hostNetwork: true\n",
        "parted": ORIGINAL.replace("  # the account\n", "  # the account\n  securityContext: {runAsNonRoot: true}\n"),
    }
    for kind, text in damaged.items():
        assert check_pair(ORIGINAL, text, fields), kind
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "pod.yaml").write_text(ORIGINAL)
    (tmp_path / "b" / "pod.yaml").write_text(damaged["value"])
    outcome = check_trees(tmp_path / "a", tmp_path / "b")
    assert outcome.compared == 1 and len(outcome.problems) == 1
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    (tmp_path / "b" / "pod.yaml").write_text(good)
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0


TOKENS = ["  # note\n", "\t", "[", "]", "{", "}", ", ", "---\n", "...\n", "&a ", "*a", "\n", "- ", ": ", "~", "!!map "]


def test_generated_edits_of_the_fixtures_never_raise_and_always_pass_the_checker(tmp_path) -> None:
    """Mutated fixtures go through fix in process: no exception, and every file it would write passes the
    independent checker (values beyond the fix fields, lines and comments kept)."""
    rng = random.Random(20261128)
    seeds = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml") and "errors" not in p.parts)
    chosen = plan(packs=["network-hardening", "pss-restricted"])
    fields = fix_fields()
    fixed = 0
    for index in range(examples(150, 3000)):
        text = rng.choice(seeds).read_text(encoding="utf-8")
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        target = tmp_path / f"case{index}.yaml"
        target.write_text(text, encoding="utf-8")
        result = fix(chosen, [str(target)])  # must not raise
        for file_fix in result.files:
            assert check_pair(file_fix.before, file_fix.after, fields) == [], text
            fixed += 1
    assert fixed > 0


def test_the_checker_script_runs_as_a_command(tmp_path) -> None:
    import subprocess
    import sys

    shutil.copy(FIXTURES / "fix" / "web.yaml", tmp_path / "web.yaml")
    result = subprocess.run(
        [sys.executable, "tests/check_fixed.py", str(FIXTURES / "fix"), str(tmp_path)],
        cwd=FIXTURES.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "missing" in result.stdout  # the other fixtures are not in the copy
