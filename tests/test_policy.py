"""Rule files: validation with file and line, parameters, selection, and the condition language."""

from __future__ import annotations

import textwrap

import pytest

from checker.api import UsageError, plan
from checker.policy.catalog import DEFAULT_PACKS
from checker.policy.loader import load_catalog
from checker.policy.params import ParamError, ParamSpec, resolve_params

from .conftest import scan

GOOD_RULE = """\
id: {id}
title: Containers set an image
severity: low
packs: [custom]
scope: container
assert:
  path: image
message: "container {{container.name}} has no image"
remediation: Set image.
"""


def _write_rule(tmp_path, body: str, rule_id: str = "custom-rule"):
    folder = tmp_path / "custom"
    folder.mkdir(exist_ok=True)
    file = folder / f"{rule_id}.yaml"
    file.write_text(textwrap.dedent(body))
    return file


@pytest.mark.parametrize(
    ("body", "line", "text"),
    [
        (GOOD_RULE.replace("severity: low", "severity: urgent"), 3, "unknown severity 'urgent'"),
        (GOOD_RULE.replace("  path: image", "  path: image\n  equalz: x"), 8, "unknown condition key 'equalz'"),
        (GOOD_RULE.replace("  path: image", "  fact: container.nope"), 7, "unknown fact 'container.nope'"),
        (GOOD_RULE.replace("  path: image", "  path: image\n  matches: '('"), 8, "invalid regular expression"),
        (GOOD_RULE.replace("  path: image", "  param: nope\n  equals: x"), 7, "unknown parameter 'nope'"),
        (GOOD_RULE.replace("scope: container", "scope: node"), 5, "scope must be one of"),
        (
            GOOD_RULE.replace("remediation: Set image.\n", "remediation: Set image.\ncolour: red\n"),
            10,
            "unknown field 'colour'",
        ),
        (GOOD_RULE.replace("title: Containers set an image", "title: a\ntitle: b"), 3, "duplicate key 'title'"),
        (GOOD_RULE.replace("{{container.name}}", "{{container.nam}}"), 8, "unknown placeholder {container.nam}"),
        (
            GOOD_RULE.replace("scope: container", "scope: resource").replace("path: image", "pod: spec.x"),
            7,
            "'pod' paths need pod or container scope",
        ),
        (GOOD_RULE.replace("  path: image", "  all: {{path: image}}"), 7, "'all' takes a non-empty list"),
        (GOOD_RULE.replace("packs: [custom]", "packs: [other]"), 4, "packs must include it"),
        (GOOD_RULE.replace("{{container.name}}", "{{container.name"), 8, "a { or } that is not part of a placeholder"),
        (GOOD_RULE.replace("  path: image", "  self: value\n  equals: x"), 7, "self names the element of an each"),
        (
            GOOD_RULE.replace("remediation: Set image.\n", "remediation: Set image.\noverrides: [nope]\n"),
            10,
            "overrides names an unknown rule 'nope'",
        ),
        (
            GOOD_RULE.replace("  path: image", "  path: image\n  note: 'image {{valu}}'"),
            8,
            "note: unknown placeholder {valu}",
        ),
    ],
)
def test_rule_mistakes_are_reported_with_file_and_line(tmp_path, body, line, text) -> None:
    file = _write_rule(tmp_path, body.format(id="custom-rule"))
    catalog = load_catalog([str(tmp_path)])
    assert len(catalog.errors) == 1, catalog.errors
    error = catalog.errors[0]
    assert (error.file, error.line) == (str(file), line)
    assert text in error.message


def test_id_must_match_file_name(tmp_path) -> None:
    _write_rule(tmp_path, GOOD_RULE.format(id="other-id"))
    error = load_catalog([str(tmp_path)]).errors[0]
    assert "must match the file name" in error.message and error.line == 1


def test_a_broken_rule_stops_the_run_with_a_usage_error(tmp_path) -> None:
    _write_rule(tmp_path, GOOD_RULE.format(id="custom-rule").replace("severity: low", "severity: 7"))
    with pytest.raises(UsageError, match=r"custom-rule.yaml:3: 'severity' must be a non-empty string"):
        plan(policy_dirs=[str(tmp_path)])


def test_user_rules_run_by_default_and_find_things(tmp_path) -> None:
    _write_rule(tmp_path, GOOD_RULE.format(id="custom-rule"))
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n")
    report = scan([manifest], policy_dirs=[str(tmp_path / "custom")], skip_rules=["drop-net-bind-service"])
    assert [(f.rule, f.message, f.path, f.line) for f in report.findings] == [
        ("custom-rule", "container c has no image", "spec.containers[0].image", 6)
    ]


def test_selection() -> None:
    chosen = plan()
    assert {c.rule.id for c in chosen.rules} >= {"drop-net-bind-service", "required-sysctls"}
    assert all(set(c.rule.packs) & set(DEFAULT_PACKS) for c in chosen.rules)
    assert [c.rule.id for c in plan(rules=["required-sysctls"]).rules] == ["required-sysctls"]
    skipped = plan(packs=["network-hardening"], skip_rules=["required-sysctls"])
    assert "required-sysctls" not in {c.rule.id for c in skipped.rules}
    with pytest.raises(UsageError, match="unknown pack 'nope'"):
        plan(packs=["nope"])
    with pytest.raises(UsageError, match="unknown rule 'nope'"):
        plan(rules=["nope"])


def test_params_parse_and_refuse() -> None:
    specs = load_catalog().params
    params = resolve_params(specs, ["ipv6=disabled", "required-sysctls=a.b=1, c.d=0", "pss.version=v1.25"])
    assert params.get("ipv6") == "disabled"
    assert params.get("required-sysctls") == {"a.b": "1", "c.d": "0"}
    assert params.get("pss.version") == (1, 25)
    assert resolve_params(specs, []).get("k8s.version") == (1, 37)
    for bad, text in [
        ("ipv6=maybe", "not one of"),
        ("nope=1", "unknown parameter"),
        ("ipv6", "KEY=VALUE"),
        ("pss.version=1.x", "pss.version: '1.x' is not a Kubernetes version"),
        ("k8s.version=v1.99", "knows Kubernetes v1.0 to v1.37, not v1.99"),
        ("pss.version=v2.5", "not v2.5"),
        ("required-sysctls=x", "NAME=VALUE"),
    ]:
        with pytest.raises(ParamError, match=text):
            resolve_params(specs, [bad])


def test_param_types() -> None:
    assert ParamSpec("n", "int", 0, "").parse("42") == 42
    assert ParamSpec("b", "bool", False, "").parse("yes") is True
    assert ParamSpec("l", "list", [], "").parse("a, b,") == ("a", "b")


def test_sysctl_parameters_are_normalized_and_validated() -> None:
    specs = load_catalog().params
    params = resolve_params(
        specs,
        [
            "required-sysctls=net/ipv6/conf/default/disable_ipv6=1,net.ipv4.x=2",
            "allowed-unsafe-sysctls=net/ipv6/*, kernel.msgmax",
        ],
    )
    assert params.get("required-sysctls") == {"net.ipv6.conf.default.disable_ipv6": "1", "net.ipv4.x": "2"}
    assert params.get("allowed-unsafe-sysctls") == ("net.ipv6.*", "kernel.msgmax")
    same_twice = resolve_params(specs, ["required-sysctls=a.b=1,a.b=1"])
    assert same_twice.get("required-sysctls") == {"a.b": "1"}
    for bad, text in [
        ("required-sysctls=a.b=1,a.b=0", "given twice, as '1' and '0'"),
        ("required-sysctls=kernel.foo bar=1", "not a valid sysctl name"),
        ("required-sysctls=Net.IPv6=1", "not a valid sysctl name"),
        ("allowed-unsafe-sysctls=net.*.x", r"\* only at the end"),
        ("allowed-unsafe-sysctls=*", "not a sysctl name"),
    ]:
        with pytest.raises(ParamError, match=text):
            resolve_params(specs, [bad])


def test_yml_rule_files_load_and_an_empty_policy_directory_is_a_mistake(tmp_path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "custom-rule.yml").write_text(GOOD_RULE.format(id="custom-rule"))
    catalog = load_catalog([str(tmp_path)])
    assert catalog.errors == [] and "custom-rule" in catalog.user_rules
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a rule")
    errors = load_catalog([str(empty)]).errors
    assert [(e.file, e.message) for e in errors] == [
        (str(empty), "policy directory holds no rule files (*.yaml, *.yml)")
    ]


def test_a_clause_that_does_not_locate_keeps_its_note(tmp_path) -> None:
    body = (
        GOOD_RULE.format(id="custom-rule")
        .replace(
            "assert:\n  path: image\n",
            "when: {pod: spec.hostNetwork, equals: true, locate: false, note: on the host network}\n"
            "assert: {path: image, equals: never, locate: false, note: 'image {value} is not allowed'}\n",
        )
        .replace('"container {container.name} has no image"', '"{note}, {when.note}"')
    )
    _write_rule(tmp_path, body)
    pod = tmp_path.parent / f"{tmp_path.name}-pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n"
        "  containers: [{name: c, image: nginx}]\n"
    )
    report = scan([pod], rules=["custom-rule"], policy_dirs=[str(tmp_path)])
    assert [(f.message, f.path) for f in report.findings] == [
        ("image nginx is not allowed, on the host network", "spec.containers[0]")
    ]
