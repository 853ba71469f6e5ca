"""The admission decision (what `kubecheck review` prints and the webhook sends): findings deny at the
threshold and warn below it; a request that is not an AdmissionReview is a 400; an object that cannot be
checked is denied, never allowed."""

from __future__ import annotations

import json

import pytest

from checker.api import plan
from checker.commands.admission import (
    DENIED,
    INVALID,
    SKIPPED,
    UNCHECKED,
    WARNED,
    ReviewSettings,
    answer_without_review,
    review,
)
from checker.findings import Severity

from .conftest import FIXTURES

REVIEW = (FIXTURES / "admission" / "review-create-deployment.json").read_bytes()


@pytest.fixture(scope="module")
def hardening() -> ReviewSettings:
    return ReviewSettings(plan(packs=["network-hardening"]), Severity.HIGH)


def _with(change) -> bytes:
    request_review = json.loads(REVIEW)
    change(request_review)
    return json.dumps(request_review).encode()


def test_findings_at_the_threshold_deny_and_every_finding_warns(hardening) -> None:
    outcome = review(hardening, REVIEW)
    assert outcome.status == 200 and outcome.verdict == DENIED
    assert outcome.body["apiVersion"] == "admission.k8s.io/v1" and outcome.body["kind"] == "AdmissionReview"
    response = outcome.body["response"]
    assert response["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert response["allowed"] is False and response["status"]["code"] == 403
    assert "drop-net-bind-service" in response["status"]["message"]
    assert response["warnings"] == [
        "kubecheck drop-net-bind-service (high) at spec.template.spec.containers[0].securityContext.capabilities."
        "drop: container nginx keeps NET_BIND_SERVICE: in the containerd runtime default set and not dropped"
    ]
    assert outcome.denied_by == ["drop-net-bind-service"]
    assert outcome.log_fields() == {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "operation": "CREATE",
        "kind": "Deployment",
        "namespace": "team-a",
        "name": "web",
        "verdict": "denied",
        "status": 200,
        "rules": ["drop-net-bind-service"],
        "denied_by": ["drop-net-bind-service"],
    }


def test_warn_only_allows_with_warnings_and_a_delete_is_not_checked() -> None:
    settings = ReviewSettings(plan(packs=["network-hardening"]), Severity.HIGH, warn_only=True)
    outcome = review(settings, REVIEW)
    assert outcome.verdict == WARNED and outcome.body["response"]["allowed"] is True
    assert outcome.body["response"]["warnings"]
    delete = _with(lambda r: r["request"].update(operation="DELETE", object=None))
    outcome = review(ReviewSettings(plan(), Severity.LOW), delete)
    assert outcome.verdict == SKIPPED
    assert outcome.body["response"] == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": True}


def test_below_the_threshold_is_allowed_with_warnings() -> None:
    outcome = review(ReviewSettings(plan(packs=["network-hardening"]), Severity.CRITICAL), REVIEW)
    assert outcome.verdict == WARNED
    assert outcome.body["response"]["allowed"] is True and len(outcome.body["response"]["warnings"]) == 1


def test_the_answer_uses_the_requests_version() -> None:
    body = _with(lambda r: r.update(apiVersion="admission.k8s.io/v1beta1"))
    assert review(ReviewSettings(plan(), Severity.HIGH), body).body["apiVersion"] == "admission.k8s.io/v1beta1"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "the body is not a JSON object"),
        (b"", "the body is empty"),
        (b"[1, 2]", "the body is not a JSON object"),
        (b'{"kind": "AdmissionReview"', "the body is not JSON: JSON parse error"),
        (b"\xff\xfe{}", "the body is not UTF-8 (byte 0)"),
        (b'{"kind": "Pod"}', "expected an AdmissionReview (kind: AdmissionReview)"),
        (b'{"kind": "AdmissionReview"}{"kind": "AdmissionReview"}', "the body holds 2 JSON values"),
        (
            _with(lambda r: r.pop("apiVersion")),
            "unknown AdmissionReview version: no apiVersion (kubecheck answers admission.k8s.io/v1 and "
            "admission.k8s.io/v1beta1)",
        ),
        (
            _with(lambda r: r.update(apiVersion="admission.k8s.io/v2")),
            'unknown AdmissionReview version: apiVersion "admission.k8s.io/v2"',
        ),
        (_with(lambda r: r.pop("request")), "the AdmissionReview has no request"),
        (_with(lambda r: r["request"].pop("uid")), "AdmissionReview request has no uid"),
        (_with(lambda r: r["request"].update(uid="")), "AdmissionReview request has no uid"),
        (_with(lambda r: r["request"].update(uid=7)), "AdmissionReview request has no uid"),
        (
            REVIEW.replace(b'"request": {', b'"request": {"deep": ' + b"[" * 5000 + b"]" * 5000 + b", ", 1),
            "request body nested too deeply",
        ),
    ],
)
def test_a_request_that_cannot_be_answered_is_a_400(body: bytes, error: str) -> None:
    outcome = review(ReviewSettings(plan(packs=["pss-baseline"]), Severity.HIGH), body)
    assert outcome.status == 400 and outcome.verdict == INVALID
    assert outcome.body["error"].startswith(error), outcome.body


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: r["request"].pop("object"), "request.object is missing"),
        (lambda r: r["request"].update(object=None), "request.object is missing"),
        (lambda r: r["request"].update(object="a string"), "request.object is a string, not an object"),
        (lambda r: r["request"].update(object=[{"kind": "Pod"}]), "request.object is a list, not an object"),
        (lambda r: r["request"].update(object=5), "request.object is a number, not an object"),
        (lambda r: r["request"]["object"].pop("apiVersion"), "request.object has no apiVersion"),
        (lambda r: r["request"]["object"].pop("kind"), "request.object has no kind"),
        (lambda r: r["request"]["object"].update(kind=""), "request.object has no kind"),
        (
            lambda r: r["request"]["object"].update(apiVersion=None, kind=None),
            "request.object has no apiVersion and no kind",
        ),
        (
            lambda r: r["request"].update(object={"apiVersion": "v1", "kind": "PodList", "items": []}),
            "it holds no object to check (an empty list)",
        ),
        (
            lambda r: r["request"].update(object={"apiVersion": "v1", "kind": "List", "items": [{"a": 1}]}),
            "1 of its items is not a Kubernetes object (no apiVersion or kind)",
        ),
    ],
)
def test_an_object_that_cannot_be_checked_is_denied(change, problem: str) -> None:
    """Whatever the failurePolicy, such a request is never allowed: the answer itself denies it."""
    outcome = review(ReviewSettings(plan(packs=["pss-baseline"]), Severity.HIGH, warn_only=True), _with(change))
    assert outcome.status == 200 and outcome.verdict == UNCHECKED
    response = outcome.body["response"]
    assert response["allowed"] is False and response["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert response["status"] == {
        "code": 400,
        "reason": "BadRequest",
        "message": f"kubecheck cannot check this object: {problem}",
    }


def test_a_duplicate_key_is_denied() -> None:
    body = REVIEW.replace(b'"replicas": 1,', b'"replicas": 1, "replicas": 2,', 1)
    assert body != REVIEW
    outcome = review(ReviewSettings(plan(packs=["pss-baseline"]), Severity.HIGH), body)
    assert outcome.verdict == UNCHECKED
    assert "duplicate key 'replicas'" in outcome.body["response"]["status"]["message"]


def test_a_field_of_a_type_kubernetes_refuses_is_denied_unchecked() -> None:
    # containers written as a mapping: the API server's strict decoding refuses it, so must the review
    body = _with(lambda r: r["request"]["object"]["spec"]["template"]["spec"].update(containers={"name": "x"}))
    outcome = review(ReviewSettings(plan(packs=["pss-baseline"]), Severity.HIGH, warn_only=True), body)
    assert outcome.verdict == UNCHECKED and outcome.body["response"]["allowed"] is False
    message = outcome.body["response"]["status"]["message"]
    assert "spec.template.spec.containers is a mapping where Kubernetes expects a list" in message


def test_a_list_object_is_checked_item_by_item(hardening) -> None:
    deployment = json.loads(REVIEW)["request"]["object"]
    body = _with(lambda r: r["request"].update(object={"apiVersion": "v1", "kind": "List", "items": [deployment]}))
    outcome = review(hardening, body)
    assert outcome.verdict == DENIED and outcome.denied_by == ["drop-net-bind-service"]


def test_many_findings_are_cut_to_fifty_warnings() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "many"},
        "spec": {"containers": [{"name": f"c{i}", "image": "nginx"} for i in range(60)]},
    }
    outcome = review(
        ReviewSettings(plan(packs=["network-hardening"]), Severity.HIGH),
        _with(lambda r: r["request"].update(object=pod)),
    )
    warnings = outcome.body["response"]["warnings"]
    assert len(warnings) == 50 and warnings[-1] == "kubecheck: 11 more findings not shown"
    assert "(and 55 more)" in outcome.body["response"]["status"]["message"]
    assert all(len(w) <= 256 for w in warnings)


def test_an_answer_without_review_follows_the_policy() -> None:
    denied = answer_without_review(REVIEW, False, 504, "Timeout", "the review did not finish within 3 s")
    assert denied is not None and denied.body["response"] == {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "allowed": False,
        "status": {"code": 504, "reason": "Timeout", "message": "kubecheck: the review did not finish within 3 s"},
    }
    allowed = answer_without_review(REVIEW, True, 504, "Timeout", "the review did not finish within 3 s")
    assert allowed is not None and allowed.body["response"]["allowed"] is True
    assert allowed.body["response"]["warnings"] == [
        "kubecheck: the review did not finish within 3 s; allowed unchecked"
    ]
    assert answer_without_review(b"{", False, 504, "Timeout", "x") is None
    assert answer_without_review(b'{"kind": "AdmissionReview"}', False, 504, "Timeout", "x") is None
