"""The operator table: each operator's test on typical and edge values, its argument checks, the copy in
docs/writing-rules.md, and that a new entry is all it takes to add an operator."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.facts.scope import Match, Scope
from checker.inputs.documents import Document, Source
from checker.inputs.resources import Resource
from checker.policy.conditions import CompileEnv, RuleMistake, compile_condition
from checker.policy.operators import OPERATORS, ArgumentError, build_test, operator, operators_markdown
from checker.policy.params import Params
from checker.workloads.index import ScanContext

WRITING_RULES = Path(__file__).resolve().parent.parent / "docs" / "writing-rules.md"


BEHAVIOUR = [
    ("equals", True, False, [True], [1, "true", None]),
    ("equals", 1, False, [1, 1.0], [True, "1"]),
    ("equals", "Ab", True, ["ab", "AB"], ["abc", 1]),
    ("in", ["a", 1, True], False, ["a", 1, True], [False, "A", 2, [1]]),
    ("in", ["Ab"], True, ["ab"], ["b"]),
    ("in", [[1], {"a": 1}], False, [[1]], [[2]]),  # unhashable members
    ("key_in", ["sysctls"], False, ["sysctls"], ["other"]),
    ("glob_in", ["net.ipv4.*", "kernel.shm?"], False, ["net.ipv4.tcp", "kernel.shmx"], ["net.ipv6.x", 3]),
    ("glob_in", ["NET.*"], True, ["net.x"], ["kernel.x"]),
    ("contains", "ALL", False, [["ALL", "x"], "DROP_ALL", {"ALL": 1}], [["all"], "none", 5]),
    ("contains", "all", True, [["ALL"], "xAlLx"], [["none"]]),
    ("empty", True, False, [[], {}, "", ()], [["a"], {"a": 1}, "x", 0, None, False]),
    ("empty", False, False, [["a"], {"a": 1}, "x"], [[], "", 0, None]),
    ("matches", "^::$", False, ["::"], [":::", None, True]),
    ("matches", "^8", False, [8080, "80"], [True, 443]),
    ("matches", "abc", True, ["xABCx"], ["ab"]),
    ("starts_with", "tmp-", False, ["tmp-a"], ["a-tmp", 1]),
    ("gt", 1023, False, [1024, 1024.5], [1023, True, "2000"]),
    ("gte", 1024, False, [1024], [1023]),
    ("lt", 1024, False, [80], [1024, False]),
    ("lte", 1024, False, [1024], [1025]),
    ("version_gte", "v1.25", False, ["v1.25", "1.30", (1, 26)], ["v1.24", "junk"]),
    ("version_lt", "v1.25", False, ["v1.24", (1, 0)], ["v1.25", "junk"]),
]


@pytest.mark.parametrize(("name", "argument", "ignore_case", "holds", "fails"), BEHAVIOUR)
def test_each_operator_on_typical_and_edge_values(name, argument, ignore_case, holds, fails) -> None:
    test = build_test(name, argument, ignore_case)
    assert [test(v) for v in holds] == [True] * len(holds)
    assert [test(v) for v in fails] == [False] * len(fails)


@pytest.mark.parametrize(
    ("name", "argument", "message"),
    [
        ("exists", "yes", "exists takes true or false"),
        ("in", "a", "in takes a list"),
        ("glob_in", "net.*", "glob_in takes a list"),
        ("empty", "yes", "empty takes true or false"),
        ("matches", "(", "invalid regular expression"),
        ("gt", "10", "gt takes a number"),
        ("lte", True, "lte takes a number"),
        ("version_gte", "v1", "is not a Kubernetes version"),
    ],
)
def test_arguments_that_do_not_fit_are_refused(name, argument, message) -> None:
    with pytest.raises(ArgumentError, match=message):
        build_test(name, argument)


def test_every_operator_has_behaviour_cases_and_a_name_of_its_own() -> None:
    tested = {case[0] for case in BEHAVIOUR}
    assert tested == set(OPERATORS) - {"exists"}  # exists decides on presence: tests/test_conditions.py
    with pytest.raises(ValueError, match="registered twice"):
        operator("equals", doc="again", example="equals: X")(lambda argument, ignore_case: lambda value: True)


def test_every_operator_is_documented_with_an_example() -> None:
    for name, entry in OPERATORS.items():
        assert entry.name == name
        assert entry.doc.strip() and entry.example.startswith(f"{name}:"), name


def test_the_documented_table_is_the_registry() -> None:
    text = WRITING_RULES.read_text(encoding="utf-8")
    assert operators_markdown() in text, (
        "docs/writing-rules.md's operator table differs from the registry; replace it with the output of "
        "`python -m checker.policy.operator_table`"
    )


def _scope(obj: dict) -> Scope:
    document = Document(Source("t.yaml", ""), 0, 1, obj)
    resource = Resource(document, (), obj, "v1", "ConfigMap", "x", None)
    return Scope("resource", resource, Params(), ScanContext.of([resource]))


def test_a_new_operator_is_one_entry() -> None:
    """Register an operator: the rule compiler accepts it and applies it, and mistakes in its argument are
    placed at its key."""
    operator("ends_with", doc="ends with S", example="ends_with: S")(
        lambda argument, ignore_case: lambda value: isinstance(value, str) and value.endswith(str(argument))
    )
    try:
        env = CompileEnv("resource", Params(), {})
        condition = compile_condition({"resource": "metadata.name", "ends_with": "-tmp"}, ("assert",), env)
        holds, witnesses = condition(_scope({"metadata": {"name": "cache-tmp"}}))
        assert holds and witnesses == [Match("cache-tmp", ("metadata", "name"))]
        assert not condition(_scope({"metadata": {"name": "cache"}}))[0]
        assert "| `ends_with: S` | ends with S |" in operators_markdown()
    finally:
        del OPERATORS["ends_with"]
    with pytest.raises(RuleMistake, match="unknown condition key 'ends_with'"):
        compile_condition({"resource": "metadata.name", "ends_with": "-tmp"}, ("assert",), env)


def test_an_argument_mistake_is_placed_at_the_operator() -> None:
    env = CompileEnv("resource", Params(), {})
    with pytest.raises(RuleMistake) as caught:
        compile_condition({"all": [{"resource": "spec.port", "gt": "80"}]}, ("assert",), env)
    assert caught.value.where == ("assert", "all", 0, "gt")
    assert caught.value.message == "gt takes a number"
