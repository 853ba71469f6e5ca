"""SARIF, JUnit and GitHub reports: golden files, and SARIF and JUnit valid against their schemas
(../shared/schemas; those checks skip when it is absent)."""

from __future__ import annotations

import json

import pytest

from .conftest import SHARED, need_shared
from .test_cli import GOLDEN_INPUTS, check_golden, run

SCHEMAS = SHARED / "schemas"


@pytest.fixture(scope="module")
def sarif() -> dict:
    result = run("scan", *GOLDEN_INPUTS, "--set", "ipv6=disabled", "-o", "sarif")
    assert result.returncode == 2
    check_golden("scan.sarif", result.stdout.decode())
    return json.loads(result.stdout)


def test_sarif_is_valid_and_locates_every_result(sarif: dict) -> None:
    need_shared(SCHEMAS / "sarif-schema-2.1.0.json")
    import jsonschema

    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    run_ = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    for result in run_["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1
    assert run_["invocations"][0]["executionSuccessful"] is False  # two inputs could not be parsed
    assert len(run_["invocations"][0]["toolExecutionNotifications"]) == 2


def test_junit_golden_and_valid() -> None:
    result = run("scan", *GOLDEN_INPUTS, "--set", "ipv6=disabled", "-o", "junit")
    text = result.stdout.decode()
    check_golden("scan.junit.xml", text)
    need_shared(SCHEMAS / "junit-10.xsd")
    import xmlschema

    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(text)


def test_github_annotations_golden() -> None:
    result = run("scan", *GOLDEN_INPUTS, "--set", "ipv6=disabled", "-o", "github")
    text = result.stdout.decode()
    check_golden("scan.github.txt", text)
    assert text.count("::error file=") >= 12 and "::warning file=" in text
    assert "title=kubecheck input error::JSON parse error" in text


def test_sarif_fingerprints_are_unique_when_findings_share_a_place() -> None:
    """Two containers reading one ConfigMap line, and several values in one entry, are distinct results."""
    result = run(
        "scan",
        "fixtures/rules/no-ipv6-wildcard-bind/fail",
        "--rule",
        "no-ipv6-wildcard-bind",
        "--set",
        "ipv6=disabled",
        "-o",
        "sarif",
    )
    results = json.loads(result.stdout)["runs"][0]["results"]
    places = [(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in results]
    assert len(set(places)) < len(places)  # the fixtures do share places
    fingerprints = [r["partialFingerprints"]["kubecheck/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_gitlab_code_quality_golden() -> None:
    """GitLab's Code Quality report: every finding and input error an issue with GitLab's fields, a severity on
    its scale and a fingerprint of its own (GitLab shows one issue per fingerprint)."""
    result = run("scan", *GOLDEN_INPUTS, "--set", "ipv6=disabled", "-o", "gitlab")
    text = result.stdout.decode()
    check_golden("scan.gitlab.json", text)
    issues = json.loads(text)
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert not issue["location"]["path"].startswith("/") and issue["location"]["lines"]["begin"] >= 1
    assert [i["check_name"] for i in issues].count("kubecheck/input-error") == 2
