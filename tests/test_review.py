"""`kubecheck review`: the AdmissionReview response the webhook would send for a request file or stdin
(JSON as written, YAML as the JSON the API server would send), exit 0 allowed, 1 denied, 2 not answerable."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from checker.cli import app

from .conftest import FIXTURES

REVIEW = FIXTURES / "admission" / "review-create-deployment.json"


def _review(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["review", *args], input=stdin)


def test_prints_the_response_and_exits_1_when_it_denies() -> None:
    result = _review(str(REVIEW), "--pack", "network-hardening")
    assert result.exit_code == 1, result.output
    answer = json.loads(result.stdout)
    assert answer["kind"] == "AdmissionReview" and answer["response"]["allowed"] is False
    assert answer["response"]["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"


def test_exits_0_when_it_allows_and_reads_stdin() -> None:
    result = _review("-", "--pack", "pss-baseline", stdin=REVIEW.read_text())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["response"] == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": True}
    warned = _review(str(REVIEW), "--pack", "network-hardening", "--warn-only")
    assert warned.exit_code == 0 and json.loads(warned.stdout)["response"]["warnings"]


def test_a_yaml_request_is_sent_as_json_without_its_comments(tmp_path) -> None:
    """A comment suppression written in a YAML request does not count: the webhook never sees comments."""
    request = json.loads(REVIEW.read_text())
    container = request["request"]["object"]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"privileged": True}
    text = yaml.safe_dump(request).replace(
        "privileged: true", "privileged: true  # kubecheck:ignore pss-privileged reviewed by the platform team"
    )
    assert "kubecheck:ignore" in text
    file = tmp_path / "request.yaml"
    file.write_text("# a hand-written request\n" + text)
    result = _review(str(file), "--pack", "pss-baseline")
    assert result.exit_code == 1, result.output
    assert "pss-privileged" in json.loads(result.stdout)["response"]["status"]["message"]


def test_requests_that_cannot_be_answered_exit_2_with_one_line(tmp_path) -> None:
    not_review = tmp_path / "pod.json"
    not_review.write_text('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}')
    result = _review(str(not_review), "--pack", "pss-baseline")
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{not_review}: error: the webhook would answer HTTP 400: expected an AdmissionReview (kind: AdmissionReview)"
    )
    two = tmp_path / "two.yaml"
    two.write_text("kind: AdmissionReview\n---\nkind: AdmissionReview\n")
    assert _review(str(two)).output.strip() == f"{two}: error: expected one AdmissionReview request, found 2 documents"
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: AdmissionReview\nrequest: [\n")
    result = _review(str(broken))
    assert result.exit_code == 2 and result.output.startswith(f"{broken}:") and "Traceback" not in result.output
    missing = _review(str(tmp_path / "absent.json"))
    assert missing.exit_code == 2 and str(tmp_path / "absent.json") in missing.output
