"""A validating admission webhook: answers AdmissionReview requests by scanning request.object with the
chosen rules; findings at or above the failure threshold deny, the others return as warnings.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..api import Plan, scan_text
from ..findings import Finding, Severity

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
    except RecursionError:
        return 400, {"error": "request body nested too deeply"}
    request = request_review.get("request") if isinstance(request_review, dict) else None
    if not isinstance(request, dict) or request_review.get("kind") != "AdmissionReview":
        return 400, {"error": "expected an AdmissionReview with a request"}
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        return 400, {"error": "AdmissionReview request has no uid"}
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    if isinstance(request.get("object"), dict):
        try:
            report = scan_text(config.plan, "admission-request", body.decode("utf-8", "replace"))
        except RecursionError:
            return 400, {"error": "request body nested too deeply"}
        if report.errors:  # not checked: the API server's failurePolicy decides, never a silent allow
            return 400, {"error": _unchecked(report.errors[0].message)}
        denying = [f for f in report.findings if f.severity >= max(config.fail_on, Severity.LOW)]
        warnings = [_warning(f) for f in report.findings]
        if denying and not config.warn_only:
            response["allowed"] = False
            response["status"] = {"code": 403, "reason": "Forbidden", "message": _denial(denying)}
        if warnings:
            response["warnings"] = warnings[:MAX_WARNINGS]
    api_version = request_review.get("apiVersion") or "admission.k8s.io/v1"
    return 200, {"apiVersion": api_version, "kind": "AdmissionReview", "response": response}


def _unchecked(message: str) -> str:
    if message.startswith("nesting is too deep"):
        return "request body nested too deeply"
    return f"request object could not be checked: {message}"


def _warning(finding: Finding) -> str:
    text = f"kubecheck {finding.rule} ({finding.severity.label}) at {finding.path}: {finding.message}"
    return text if len(text) <= MAX_WARNING else text[: MAX_WARNING - 1] + "…"


def _denial(findings: list[Finding]) -> str:
    shown = "; ".join(f"{f.rule}: {f.message}" for f in findings[:5])
    more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
    return f"kubecheck denied the request with {len(findings)} finding(s): {shown}{more}"


def make_server(config: WebhookConfig, host: str, port: int, cert: str | None, key: str | None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = REQUEST_TIMEOUT  # a client that stalls (in the TLS handshake too) frees its thread

        def do_POST(self) -> None:
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not (declared.isascii() and declared.isdigit()):
                self._refuse(400, "bad Content-Length")
                return
            length = int(declared)
            if length > MAX_BODY:
                self._refuse(413, "request body too large")
                return
            status, payload = review(config, self.rfile.read(length))
            self._send(status, payload)

        def _refuse(self, status: int, error: str) -> None:
            """Answer without reading the body, and close: the unread body must not be taken for a request."""
            self.close_connection = True
            self._send(status, {"error": error}, close=True)

        def do_GET(self) -> None:
            if self.path in ("/healthz", "/readyz"):
                self._send(200, {"status": "ok"})
            else:
                self._send(404, {"error": "POST AdmissionReview requests to any path"})

        def _send(self, status: int, payload: dict[str, Any], close: bool = False) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"kubecheck webhook: {self.address_string()} {format % args}\n")

    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range (0 to 65535)")
    context = _tls_context(cert, key) if cert and key else None
    try:
        if context is None:
            return _Server((host, port), Handler)
        return _TLSServer((host, port), Handler, context)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


_PEM_MARKERS = {
    "certificate": re.compile(rb"-----BEGIN CERTIFICATE-----"),
    "key": re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
}
_PEM_LINES = {"certificate": "-----BEGIN CERTIFICATE-----", "key": "-----BEGIN ... PRIVATE KEY-----"}


def _tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server context with the certificate chain and key; a file that cannot be read, is not PEM or does not
    match is a one-line error naming it."""
    for path, what in ((cert, "certificate"), (key, "key")):
        try:
            with open(path, "rb") as handle:
                pem = handle.read(MAX_BODY)
        except OSError as exc:
            raise OSError(f"cannot read the TLS {what} {path}: {exc.strerror or exc}") from None
        if not _PEM_MARKERS[what].search(pem):
            raise ValueError(f"the TLS {what} {path} holds no PEM {what} (no '{_PEM_LINES[what]}' line)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2

    def no_password() -> str:
        raise ValueError(f"the TLS key {key} is encrypted; give an unencrypted key")

    try:
        context.load_cert_chain(cert, key, password=no_password)
    except ssl.SSLError as exc:
        reason = _ssl_reason(exc) if exc.reason else f"OpenSSL cannot read them ({_ssl_reason(exc)})"
        raise ValueError(f"cannot use the TLS certificate {cert} with the key {key}: {reason}") from None
    return context


def _ssl_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason in words: 'KEY_VALUES_MISMATCH' -> 'key values mismatch'; without a reason code,
    its message without the source place ('[SSL] PEM lib (_ssl.c:3905)' -> 'PEM lib')."""
    if exc.reason:
        return exc.reason.replace("_", " ").lower()
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", exc.strerror or str(exc))
    return re.sub(r"^\[\w+\]\s*", "", text) or "unknown error"


_HANDSHAKE_REASONS = {
    "HTTP_REQUEST": "plain HTTP sent to the HTTPS port",
    "UNSUPPORTED_PROTOCOL": "the client offers only TLS versions older than 1.2",
    "WRONG_VERSION_NUMBER": "not a TLS client",
    "UNEXPECTED_EOF_WHILE_READING": "the client closed the connection",
}


class _HandshakeFailed(Exception):
    """A TLS handshake that did not complete, with why."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause

    @property
    def reason(self) -> str:
        if isinstance(self.cause, ssl.SSLError):
            return _HANDSHAKE_REASONS.get(self.cause.reason or "") or _ssl_reason(self.cause)
        if isinstance(self.cause, TimeoutError):
            return f"no hello within {REQUEST_TIMEOUT:g} s"
        return (self.cause.strerror or str(self.cause)).lower()


class _Server(ThreadingHTTPServer):
    """The threading HTTP server, whose failed connections (a TLS handshake that fails, a client that
    resets) are one log line each instead of a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        where = _address(client_address)
        if isinstance(error, _HandshakeFailed):
            sys.stderr.write(f"kubecheck webhook: {where} TLS handshake failed: {error.reason}\n")
        elif isinstance(error, ssl.SSLError):
            sys.stderr.write(f"kubecheck webhook: {where} TLS error: {_ssl_reason(error)}\n")
        elif isinstance(error, (ConnectionError, TimeoutError)):
            sys.stderr.write(f"kubecheck webhook: {where} connection failed: {error.strerror or error}\n")
        else:
            super().handle_error(request, client_address)


def _address(client_address: Any) -> str:
    if not isinstance(client_address, tuple) or len(client_address) < 2:
        return str(client_address)
    host, port = client_address[:2]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


class _TLSServer(_Server):
    """HTTPS whose TLS handshake happens in the request's own thread: wrapping the listening socket would
    run every handshake in the accept loop, where one silent client stalls all others."""

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext
    ) -> None:
        super().__init__(address, handler)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except OSError as exc:  # ssl.SSLError, a timeout, a reset
            raise _HandshakeFailed(exc) from None
        super().finish_request(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        connection.settimeout(REQUEST_TIMEOUT)
        return self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address
