"""A validating admission webhook: answers AdmissionReview requests by scanning request.object with the
chosen rules; findings at or above the failure threshold deny, the others return as warnings.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .api import Plan, scan_text
from .findings import Finding, Severity

MAX_BODY = 8 * 1024 * 1024
MAX_WARNING = 256  # the API server may truncate longer warnings
MAX_WARNINGS = 50
REQUEST_TIMEOUT = 10.0  # seconds; the API server's own webhook timeout is at most 30


@dataclass(frozen=True)
class WebhookConfig:
    plan: Plan
    fail_on: Severity
    warn_only: bool = False


def review(config: WebhookConfig, body: bytes) -> tuple[int, dict[str, Any]]:
    """(HTTP status, response body) for one AdmissionReview request body."""
    try:
        request_review = json.loads(body)
    except ValueError as exc:
        return 400, {"error": f"not JSON: {exc}"}
    request = request_review.get("request") if isinstance(request_review, dict) else None
    if not isinstance(request, dict) or request_review.get("kind") != "AdmissionReview":
        return 400, {"error": "expected an AdmissionReview with a request"}
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": True}
    if isinstance(request.get("object"), dict):
        report = scan_text(config.plan, "admission-request", body.decode("utf-8", "replace"))
        denying = [f for f in report.findings if f.severity >= max(config.fail_on, Severity.LOW)]
        warnings = [_warning(f) for f in report.findings]
        if denying and not config.warn_only:
            response["allowed"] = False
            response["status"] = {"code": 403, "reason": "Forbidden", "message": _denial(denying)}
        if warnings:
            response["warnings"] = warnings[:MAX_WARNINGS]
    api_version = request_review.get("apiVersion") or "admission.k8s.io/v1"
    return 200, {"apiVersion": api_version, "kind": "AdmissionReview", "response": response}


def _warning(finding: Finding) -> str:
    text = f"kubecheck {finding.rule} ({finding.severity.label}) at {finding.path}: {finding.message}"
    return text if len(text) <= MAX_WARNING else text[:MAX_WARNING - 1] + "…"


def _denial(findings: list[Finding]) -> str:
    shown = "; ".join(f"{f.rule}: {f.message}" for f in findings[:5])
    more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
    return f"kubecheck denied the request with {len(findings)} finding(s): {shown}{more}"


def make_server(config: WebhookConfig, host: str, port: int, cert: str | None, key: str | None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = REQUEST_TIMEOUT  # a client that stalls (in the TLS handshake too) frees its thread

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self._send(400, {"error": "Content-Length is not a number"})
                return
            if length > MAX_BODY or length < 0:
                self._send(413, {"error": "request body too large"})
                return
            status, payload = review(config, self.rfile.read(length))
            self._send(status, payload)

        def do_GET(self) -> None:
            if self.path in ("/healthz", "/readyz"):
                self._send(200, {"status": "ok"})
            else:
                self._send(404, {"error": "POST AdmissionReview requests to any path"})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"kubecheck webhook: {self.address_string()} {format % args}\n")

    if not (cert and key):
        return ThreadingHTTPServer((host, port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return _TLSServer((host, port), Handler, context)


class _TLSServer(ThreadingHTTPServer):
    """HTTPS whose TLS handshake happens in the request's own thread: wrapping the listening socket would
    run every handshake in the accept loop, where one silent client stalls all others."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        connection.settimeout(REQUEST_TIMEOUT)
        return self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address
