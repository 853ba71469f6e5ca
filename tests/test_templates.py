"""Rule templates: a match's record ({record.KEY}) and a rule's phrases (fixed, or picked by a value from
cases, with a default), filled in for findings and checked, with file and line, when rules are loaded."""

from __future__ import annotations

import textwrap

import pytest

from checker.policy.loader import load_catalog
from checker.policy.templates import Phrase, phrase_cycle, render

from .conftest import scan

RULE = """\
id: sysctl-words
title: Pods say which sysctls they set
severity: low
packs: [custom]
scope: pod
assert:
  not: {fact: pod.sysctls, exists: true}
message: "{value}: {phrase.why}"
phrases:
  why:
    by: record.required
    cases:
      true: "required ({record.required}){phrase.tail}"
      false: not required{phrase.tail}
  tail: ", in {resource.name}"
remediation: Nothing.
report: each
"""

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    sysctls:
    - {name: net.ipv6.conf.all.disable_ipv6, value: "1"}
    - {name: net.core.somaxconn, value: "1024"}
  containers: [{name: c, image: x}]
"""


def _load(tmp_path, body: str):
    folder = tmp_path / "custom"
    folder.mkdir(exist_ok=True)
    file = folder / "sysctl-words.yaml"
    file.write_text(textwrap.dedent(body))
    return file, load_catalog([str(tmp_path)])


def _messages(tmp_path, body: str, *settings: str) -> list[str]:
    _load(tmp_path, body)
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD)
    report = scan([pod], rules=["sysctl-words"], policy_dirs=[str(tmp_path / "custom")], settings=list(settings))
    return [finding.message for finding in report.findings]


def test_phrases_pick_their_case_by_a_record_value_and_nest(tmp_path) -> None:
    assert _messages(tmp_path, RULE, "ipv6=disabled") == [
        "net.ipv6.conf.all.disable_ipv6: required (true), in p",
        "net.core.somaxconn: not required, in p",
    ]
    assert _messages(tmp_path, RULE) == [
        "net.ipv6.conf.all.disable_ipv6: not required, in p",
        "net.core.somaxconn: not required, in p",
    ]


def test_a_value_no_case_names_takes_the_default(tmp_path) -> None:
    by_value = RULE.replace("by: record.required", "by: value").replace(
        "      false: not required{phrase.tail}\n", "    default: other{phrase.tail}\n"
    )
    by_value = by_value.replace("      true: ", "      net.core.somaxconn: ")
    assert _messages(tmp_path, by_value) == [
        "net.ipv6.conf.all.disable_ipv6: other, in p",
        "net.core.somaxconn: required (false), in p",
    ]


def test_a_phrase_in_a_condition_note_is_filled_in(tmp_path) -> None:
    noted = RULE.replace(
        "not: {fact: pod.sysctls, exists: true}", "not: {fact: pod.sysctls, exists: true, note: '{phrase.why}!'}"
    ).replace('message: "{value}: {phrase.why}"', 'message: "{value} {note}"')
    assert _messages(tmp_path, noted, "ipv6=disabled")[0] == "net.ipv6.conf.all.disable_ipv6 required (true), in p!"


def test_parameters_are_filled_in_as_each_run_sets_them(tmp_path) -> None:
    """{param.NAME} shows the run's value (a version as v1.N); each run has its own values."""
    with_params = RULE.replace(
        'message: "{value}: {phrase.why}"', 'message: "{value} on {param.k8s.version}, ipv6 {param.ipv6}: {phrase.why}"'
    )
    assert _messages(tmp_path, with_params, "k8s.version=1.30", "ipv6=disabled")[0] == (
        "net.ipv6.conf.all.disable_ipv6 on v1.30, ipv6 disabled: required (true), in p"
    )
    assert _messages(tmp_path, with_params, "k8s.version=1.25")[0] == (
        "net.ipv6.conf.all.disable_ipv6 on v1.25, ipv6 enabled: not required, in p"
    )


def test_render_without_a_case_or_default_gives_nothing() -> None:
    phrase = Phrase("value", {"a": "A {key}"})
    assert render("[{phrase.p}]", {"value": "a", "key": "k", "phrase.p": phrase}) == "[A k]"
    assert render("[{phrase.p}]", {"value": "b", "phrase.p": phrase}) == "[]"
    assert render("[{phrase.p}]", {"value": True, "phrase.p": Phrase("value", {"true": "yes"})}) == "[yes]"


def test_phrase_cycle_names_the_circle() -> None:
    phrases = {"a": Phrase(None, {}, "{phrase.b}"), "b": Phrase("value", {"x": "{phrase.a}"}), "c": Phrase(None)}
    assert phrase_cycle(phrases) == ["a", "b", "a"]
    assert phrase_cycle({"a": Phrase(None, {}, "{phrase.c}"), "c": Phrase(None, {}, "c")}) is None


@pytest.mark.parametrize(
    ("old", "new", "line", "text"),
    [
        ('"{value}: {phrase.why}"', '"{value}: {phrase.wy}"', 8, "unknown phrase {phrase.wy} (the rule's phrases:"),
        ('"{value}: {phrase.why}"', '"{record.port} {phrase.why}"', 8, "unknown record key {record.port}"),
        ("not: {fact: pod.sysctls, exists: true}", "path: spec.x", 11, "by: unknown record key {record.required}"),
        ("      false: not", "      maybe: not", 14, "record.required is never 'maybe' (its values: true, false)"),
        ("      false: not required{phrase.tail}\n", "", 12, "no case for record.required false, and no default"),
        ('  tail: ", in {resource.name}"', '  tail: ", in {phrase.why}"', 10, "circle: why -> tail -> why"),
        ('  tail: ", in {resource.name}"', '  tail: ", in {resource.nam}"', 15, "unknown placeholder {resource.nam}"),
        ("    by: record.required", "    by: phrase.tail", 11, "not a phrase"),
        ("    by: record.required", "    by: '{record.required}'", 11, "by names a placeholder without braces"),
        ("    by: record.required", "    by: record.nope", 11, "unknown record key {record.nope}"),
        ("      true:", "      ~:", 12, "a case is a string, a number or true/false, not None"),
        ("remediation:", "phrases2: x\nremediation:", 16, "unknown field 'phrases2'"),
        ('  tail: ", in {resource.name}"', '  tail: ", in"\n  spare: unused', 16, "phrase spare is not used"),
        ('  tail: ", in {resource.name}"', "  tail: {cases: {a: b}}", 15, "a phrase is a text, or {by: PLACEHOLDER"),
        ('  tail: ", in {resource.name}"', '  tail: ", in {resource.name"', 15, "a { or } that is not part"),
    ],
)
def test_template_mistakes_are_reported_with_file_and_line(tmp_path, old, new, line, text) -> None:
    assert old in RULE
    file, catalog = _load(tmp_path, RULE.replace(old, new))
    assert len(catalog.errors) == 1, catalog.errors
    error = catalog.errors[0]
    assert (error.file, error.line) == (str(file), line), error
    assert text in error.message


def test_the_rule_files_that_use_phrases_load_clean() -> None:
    catalog = load_catalog()
    assert catalog.errors == []
    with_phrases = {rule.id for rule in catalog.rules.values() if rule.phrases}
    assert {"privileged-port-without-capability", "required-sysctls", "drop-net-bind-service"} <= with_phrases
