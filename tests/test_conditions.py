"""The condition language: operators, quantifiers, combinators, witnesses and constant folding."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from jsonpath_ng.ext import parse as parse_jsonpath

from checker.facts.scope import Scope
from checker.inputs.documents import Document, Source
from checker.inputs.resources import Resource
from checker.policy import conditions
from checker.policy.conditions import CompileEnv, RuleMistake, compile_condition
from checker.policy.loader import load_catalog
from checker.policy.params import resolve_params
from checker.workloads.index import ScanContext

PARAMS = resolve_params(load_catalog().params, ["ipv6=disabled", "pss.version=v1.30"])
OBJECT = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "m", "labels": {"a": "1"}},
    "data": {"n": 5, "flag": True, "list": ["x", "y"], "items": [{"k": 1}, {"k": 7}]},
}


def _run(spec, params=PARAMS, data=None):
    condition = compile_condition(spec, (), CompileEnv("resource", params, data or {}))
    resource = Resource(Document(Source("f", ""), 0, 1, OBJECT), (), OBJECT, "v1", "ConfigMap", "m", None)
    return condition(Scope("resource", resource, params, ScanContext()))


@pytest.mark.parametrize(
    ("spec", "holds"),
    [
        ({"path": "data.n"}, True),
        ({"path": "data.missing"}, False),
        ({"path": "data.missing", "exists": False}, True),
        ({"path": "data.n", "equals": 5}, True),
        ({"path": "data.flag", "equals": 1}, False),  # true is not 1
        ({"path": "data.n", "in": [1, 5]}, True),
        ({"path": "data.list", "contains": "y"}, True),
        ({"path": "metadata.name", "matches": "^m$"}, True),
        ({"path": "metadata.name", "starts_with": "M", "ignore_case": True}, True),
        ({"path": "data.n", "gt": 4}, True),
        ({"path": "data.n", "lte": 4}, False),
        ({"path": "data.items[*].k", "gt": 5}, True),
        ({"path": "data.items[*].k", "gt": 5, "match": "all"}, False),
        ({"path": "data.nothing[*]", "gt": 5, "match": "all"}, True),
        ({"path": "data.items[?k > 5].k", "equals": 7}, True),  # a filter: evaluated by jsonpath-ng
        ({"resource": "metadata.labels.a", "equals": "1"}, True),
        ({"not": {"path": "data.n"}}, False),
        ({"all": [{"path": "data.n"}, {"path": "data.flag", "equals": True}]}, True),
        ({"any": [{"path": "data.missing"}, {"path": "data.n", "equals": 5}]}, True),
        ({"param": "ipv6", "equals": "disabled"}, True),
        ({"param": "pss.version", "version_gte": "v1.30"}, True),
        ({"param": "pss.version", "version_lt": "v1.30"}, False),
        ({"path": "data.n", "in": {"data": "allowed"}}, True),
    ],
)
def test_operators(spec, holds) -> None:
    assert _run(spec, data={"allowed": [5]})[0] is holds


def test_witnesses_are_the_offending_values() -> None:
    holds, witnesses = _run({"not": {"path": "data.items[*].k", "gt": 5}})
    assert holds is False
    assert [(w.value, w.path) for w in witnesses] == [(7, ("data", "items", 1, "k"))]


def test_missing_values_witness_the_intended_path() -> None:
    _, witnesses = _run({"path": "data.absent.deeper"})
    assert witnesses[0].path == ("data", "absent", "deeper")


def test_parameter_conditions_fold_to_constants() -> None:
    condition = compile_condition(
        {"all": [{"param": "ipv6", "equals": "enabled"}, {"path": "x"}]}, (), CompileEnv("resource", PARAMS, {})
    )
    assert getattr(condition, "constant", None) is False


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"path": "a", "equals": 1, "in": [1]}, ("in",)),
        ({"path": "a", "fact": "pod.ipv6_disabled"}, ()),
        ({"path": "a", "gt": "x"}, ("gt",)),
        ({"path": "a[", "equals": 1}, ("path",)),
        ({"fact": "container.effective_capabilities", "equals": "X"}, ("fact",)),  # needs container scope
        ({"any": []}, ("any",)),
    ],
)
def test_mistakes_name_their_place(spec, where) -> None:
    with pytest.raises(RuleMistake) as caught:
        compile_condition(spec, (), CompileEnv("resource", PARAMS, {}))
    assert caught.value.where == where


def _paths_in(value: object) -> set[str]:
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k in ("path", "at") and isinstance(v, str)}
        return found.union(*(_paths_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_paths_in(v) for v in value))
    return set()


EDGE_PATHS = ["a.b", "a-b.c", "a[0]", "a[-1]", "a[01]", "a.*", "a[*].b", "a.b[*][0].c", "a.b-", "a._x"]
NOT_SIMPLE = ["a.where", "a.0", "a.@b", "a.", "-a", "a..b", "*", "[*]", ".a", "a[x]", "a b", "$.a", "a.b.wherenot"]


def test_simple_paths_are_read_as_jsonpath_ng_reads_them() -> None:
    bundled = set().union(*(_paths_in(yaml.safe_load(f.read_text())) for f in Path("policies").glob("*/*.yaml")))
    simple = [text for text in sorted(bundled) + EDGE_PATHS if conditions._simple_path(text) is not None]
    assert len(simple) > 30
    for text in simple:
        assert conditions._simple_path(text)[1] == conditions._steps_of(parse_jsonpath(text)), text
    for text in NOT_SIMPLE:  # left to jsonpath-ng: its own steps, its own errors
        assert conditions._simple_path(text) is None, text


def test_verdicts_agree_with_full_evaluation_on_every_rule_and_fixture() -> None:
    """The engine decides each rule first by verdict_of (no witnesses) and evaluates it fully only when it
    fails: for every rule of every pack on every scope of the fixtures (and the parts a witness-building
    run would skip), the verdict is the full evaluation's."""
    from checker.api import plan, read
    from checker.engine import scopes_of
    from checker.inputs.resources import resources_of
    from checker.policy.catalog import all_packs

    from .conftest import FIXTURES, RAW

    chosen = plan(packs=sorted(all_packs(load_catalog())), settings=["ipv6=disabled"])
    resources = resources_of(read([str(FIXTURES)], render=RAW).documents).items
    context = ScanContext.of(resources)
    compared = failed = 0
    for resource in resources:
        for scope in scopes_of(resource, {"resource", "pod", "container", "namespace"}, chosen.params, context):
            for compiled in (c for c in chosen.rules if c.rule.scope == scope.kind):
                for condition, verdict in (
                    (compiled.when, compiled.when_holds),
                    (compiled.assertion, compiled.assertion_holds),
                ):
                    if condition is None or verdict is None:
                        continue
                    holds = condition(scope)[0]
                    assert verdict(scope) is holds, (compiled.rule.id, resource.document.source.name, scope.kind)
                    compared += 1
                    failed += not holds
    assert compared > 10_000 and failed > 1_000  # both verdicts are well represented


def test_a_pod_path_with_wildcards_is_walked_once_per_pod_view(monkeypatch) -> None:
    """Rules of one pod view resolve the same pod paths (every Pod Security check walks every container): the
    first resolution is kept in the scope's facts cache, the container scopes of the pod share it, and
    the matches are the walk's."""
    from checker.engine import scopes_of
    from checker.workloads.registry import workloads_of

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]},
    }
    resource = Resource(Document(Source("f", ""), 0, 1, pod), (), pod, "v1", "Pod", "p", None)
    assert workloads_of(resource)
    spec = {"each": {"pod": "spec[initContainers,containers][*]"}, "holds": {"path": "image", "exists": True}}
    pod_condition = compile_condition(spec, (), CompileEnv("pod", PARAMS, {}))
    container_condition = compile_condition(spec, (), CompileEnv("container", PARAMS, {}))
    walks = []
    real_find = conditions.CompiledPath.find
    monkeypatch.setattr(
        conditions.CompiledPath, "find", lambda self, value: walks.append(self.steps) or real_find(self, value)
    )
    scopes = []
    for scope in scopes_of(resource, {"pod", "container"}, PARAMS, ScanContext.of([resource])):  # as the engine
        condition = pod_condition if scope.kind == "pod" else container_condition
        assert condition(scope)[0] and conditions.verdict_of(condition)(scope)
        scopes.append(scope)
    assert [scope.kind for scope in scopes] == ["pod", "container", "container"]
    assert [steps for steps in walks if steps[0] == "spec"] == [["spec", ("initContainers", "containers"), "*"]]
    [matches] = [v for k, v in scopes[0].facts.items() if k.startswith(conditions.POD_PATH_PREFIX)]
    assert [(m.value["name"], m.path) for m in matches] == [
        ("a", ("spec", "containers", 0)),
        ("b", ("spec", "containers", 1)),
    ]
