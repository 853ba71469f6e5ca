"""Answer one AdmissionReview: the decision `kubecheck review` prints and the webhook sends, from the one
scan pipeline (api.run) over request.object; a request whose object cannot be checked is never allowed.

Envelope problems (not JSON, not an AdmissionReview, an unknown version, no uid) leave no uid to answer
with: HTTP 400, and the API server's failurePolicy decides. An object that cannot be checked (no
apiVersion or kind, not a mapping, an empty list, a duplicate key) is denied, whatever the failurePolicy.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..api import Plan, read_text, run
from ..findings import Finding, Report, Severity

MAX_WARNING = 256  # characters; the API server may truncate longer warnings (AdmissionResponse.warnings)
MAX_WARNINGS = 50
SHOWN_IN_DENIAL = 5
# The AdmissionReview versions the API server sends (admissionReviewVersions); the answer uses the request's.
VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
# Operations that create or change nothing to check: a DELETE carries the old object only, a CONNECT
# (exec, attach, port-forward) an options object.
NOTHING_TO_CHECK = ("DELETE", "CONNECT")
SOURCE_NAME = "admission-request"
BODY_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # made once, not per answer

# Verdicts (logs and metrics): what the answer was and why.
ALLOWED = "allowed"  # no finding
WARNED = "warned"  # allowed, with findings below the threshold (or --warn-only)
DENIED = "denied"  # findings at or above the threshold
UNCHECKED = "unchecked"  # denied: the object cannot be checked
INVALID = "invalid"  # HTTP 400: not an AdmissionReview request that can be answered
SKIPPED = "skipped"  # allowed: a DELETE or CONNECT, nothing to check


@dataclass(frozen=True)
class ReviewSettings:
    """What a review decides with: the compiled rules, the lowest severity that denies, and warn-only."""

    plan: Plan
    fail_on: Severity
    warn_only: bool = False


@dataclass
class Outcome:
    """One review's HTTP status and body, and what the logs and metrics say about it."""

    status: int
    body: dict[str, Any]
    verdict: str
    uid: str | None = None
    operation: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    reason: str | None = None  # why a request was refused or an object not checked
    findings: list[tuple[str, str, int]] = field(default_factory=list)  # (rule, severity, how many) findings
    denied_by: list[str] = field(default_factory=list)  # the rules whose findings denied it

    def log_fields(self) -> dict[str, Any]:
        """The fields of the review's log line (those that are known)."""
        fields: dict[str, Any] = {
            "uid": self.uid,
            "operation": self.operation,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "verdict": self.verdict,
            "status": self.status,
            "rules": sorted({rule for rule, _, _ in self.findings}),
            "denied_by": self.denied_by,
            "reason": self.reason,
        }
        return {key: value for key, value in fields.items() if value not in (None, [])}

    def encoded(self) -> bytes:
        return BODY_ENCODER.encode(self.body).encode()


class _Refused(Exception):
    """The request is not an AdmissionReview that can be answered (HTTP 400)."""


def review(settings: ReviewSettings, body: bytes) -> Outcome:
    """The answer to one AdmissionReview request body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _invalid(f"the body is not UTF-8 (byte {exc.start})")
    if text.lstrip()[:1] != "{":
        return _invalid("the body is empty" if not text.strip() else "the body is not a JSON object")
    loaded = read_text(SOURCE_NAME, text)
    try:
        if not loaded.documents:
            raise _Refused(_body_error(loaded.errors[0].message) if loaded.errors else "the body is empty")
        if len(loaded.documents) > 1:
            raise _Refused(f"the body holds {len(loaded.documents)} JSON values; expected one AdmissionReview")
        envelope, request, uid = _envelope(loaded.documents[0].data)
    except _Refused as refused:
        return _invalid(str(refused))
    outcome = Outcome(200, {}, ALLOWED, uid=uid, operation=_text(request.get("operation")))
    _describe(outcome, request)
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    outcome.body = {"apiVersion": envelope["apiVersion"], "kind": "AdmissionReview", "response": response}
    if outcome.operation in NOTHING_TO_CHECK:
        outcome.verdict = SKIPPED
        return outcome
    problem = _unreadable_object(request.get("object"), [e.message for e in loaded.errors])
    if problem is None:
        result = run(settings.plan, loaded, positions=False)
        report = result.report()
        # a field of a type Kubernetes refuses (the API server's decoding would have stopped it): not checked
        misshapen = result.refused[0].message if result.refused else None
        problem = misshapen or _unchecked_items(report, result.skipped_documents)
        if problem is None:
            _decide(settings, outcome, response, report)
            return outcome
    outcome.verdict, outcome.reason = UNCHECKED, problem
    response.update(allowed=False, status=_status(400, "BadRequest", f"kubecheck cannot check this object: {problem}"))
    return outcome


def answer_without_review(body: bytes, allowed: bool, code: int, reason: str, message: str) -> Outcome | None:
    """An answer that does not come from the rules (the review ran out of time, or its worker died): allowed,
    or denied with the code and message; None when the body is not an AdmissionReview that can be answered."""
    try:
        envelope, request, uid = _envelope(json.loads(body))
    except (ValueError, RecursionError, _Refused):  # not UTF-8 or not JSON (UnicodeDecodeError is a ValueError)
        return None
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if allowed:
        response["warnings"] = [_shorten(f"kubecheck: {message}; allowed unchecked")]
    else:
        response["status"] = _status(code, reason, f"kubecheck: {message}")
    outcome = Outcome(200, {"apiVersion": envelope["apiVersion"], "kind": "AdmissionReview", "response": response}, "")
    outcome.uid, outcome.operation = uid, _text(request.get("operation"))
    _describe(outcome, request)
    return outcome


def _envelope(envelope: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The AdmissionReview, its request and uid; _Refused when there is none to answer."""
    if not isinstance(envelope, dict) or envelope.get("kind") != "AdmissionReview":
        raise _Refused("expected an AdmissionReview (kind: AdmissionReview)")
    version = envelope.get("apiVersion")
    if version not in VERSIONS:
        shown = "no apiVersion" if version is None else f"apiVersion {json.dumps(version)}"
        raise _Refused(f"unknown AdmissionReview version: {shown} (kubecheck answers {' and '.join(VERSIONS)})")
    request = envelope.get("request")
    if not isinstance(request, dict):
        raise _Refused("the AdmissionReview has no request")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise _Refused("AdmissionReview request has no uid")
    return envelope, request, uid


def _body_error(message: str) -> str:
    if message.startswith("nesting is too deep"):
        return "request body nested too deeply"
    return f"the body is not JSON: {message}"


def _unreadable_object(obj: Any, errors: list[str]) -> str | None:
    """Why request.object cannot be checked as it stands, if it cannot."""
    if obj is None:
        return "request.object is missing"
    if not isinstance(obj, dict):
        return f"request.object is {_json_type(obj)}, not an object"
    missing = [key for key in ("apiVersion", "kind") if not isinstance(obj.get(key), str) or not obj[key]]
    if missing:
        return f"request.object has no {' and no '.join(missing)}"
    if errors:  # a duplicate key: the API server never sends one, and the scan checked only the last value
        return errors[0]
    return None


def _unchecked_items(report: Report, skipped: int) -> str | None:
    """Why an object the scan read was still not checked as a whole: an empty list, or list items that are
    not objects."""
    if report.errors:
        return report.errors[0].message
    if skipped:
        verb = "is" if skipped == 1 else "are"
        return f"{skipped} of its items {verb} not a Kubernetes object (no apiVersion or kind)"
    if report.resources == 0:
        return "it holds no object to check (an empty list)"
    return None


def _decide(settings: ReviewSettings, outcome: Outcome, response: dict[str, Any], report: Report) -> None:
    threshold = max(settings.fail_on, Severity.LOW)  # info findings never deny
    denying = [f for f in report.findings if f.severity >= threshold]
    counted = Counter((f.rule, f.severity.label) for f in report.findings)
    outcome.findings = [(rule, severity, count) for (rule, severity), count in sorted(counted.items())]
    if report.findings:
        outcome.verdict = WARNED
        response["warnings"] = [warning(f) for f in report.findings[:MAX_WARNINGS]]
        if len(report.findings) > MAX_WARNINGS:
            response["warnings"][-1] = _shorten(
                f"kubecheck: {len(report.findings) - MAX_WARNINGS + 1} more findings not shown"
            )
    if denying and not settings.warn_only:
        outcome.verdict = DENIED
        outcome.denied_by = sorted({f.rule for f in denying})
        response["allowed"] = False
        response["status"] = _status(403, "Forbidden", denial(denying))


def warning(finding: Finding) -> str:
    """The admission warning for a finding (kubectl prints each)."""
    return _shorten(f"kubecheck {finding.rule} ({finding.severity.label}) at {finding.path}: {finding.message}")


def denial(findings: list[Finding]) -> str:
    """The denial message: how many findings deny, and the first few."""
    shown = "; ".join(f"{f.rule}: {f.message}" for f in findings[:SHOWN_IN_DENIAL])
    more = f" (and {len(findings) - SHOWN_IN_DENIAL} more)" if len(findings) > SHOWN_IN_DENIAL else ""
    return f"kubecheck denied the request with {len(findings)} finding(s): {shown}{more}"


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_WARNING else text[: MAX_WARNING - 1] + "…"


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"code": code, "reason": reason, "message": message}


def _invalid(reason: str) -> Outcome:
    return Outcome(400, {"error": reason}, INVALID, reason=reason)


def _describe(outcome: Outcome, request: dict[str, Any]) -> None:
    """Kind, namespace and name of the request's object, for the logs (request fields first, as the API
    server fills them; then the object's own)."""
    found = request.get("object")
    obj: dict[str, Any] = found if isinstance(found, dict) else {}
    metadata: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    kind = request.get("kind")
    outcome.kind = _text(kind.get("kind")) if isinstance(kind, dict) else None
    outcome.kind = outcome.kind or _text(obj.get("kind"))
    outcome.namespace = _text(request.get("namespace")) or _text(metadata.get("namespace"))
    outcome.name = _text(request.get("name")) or _text(metadata.get("name"))
    if outcome.name is None and _text(metadata.get("generateName")):
        outcome.name = f"{metadata['generateName']}*"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
