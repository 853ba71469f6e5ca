"""The validating webhook: real HTTP(S) requests on loopback with AdmissionReview bodies."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from checker.api import plan
from checker.findings import Severity
from checker.webhook import WebhookConfig, make_server, review

from .conftest import FIXTURES

REVIEW = (FIXTURES / "admission" / "review-create-deployment.json").read_bytes()


def _serve(config: WebhookConfig, cert: str | None = None, key: str | None = None):
    server = make_server(config, "127.0.0.1", 0, cert, key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def _post(url: str, body: bytes, context: ssl.SSLContext | None = None) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10, context=context) as answer:
        return json.loads(answer.read())


def test_denies_with_findings_at_the_threshold_and_warns() -> None:
    server = _serve(WebhookConfig(plan(packs=["network-hardening"]), Severity.HIGH))
    try:
        answer = _post(f"http://127.0.0.1:{server.server_address[1]}/validate", REVIEW)
    finally:
        server.shutdown()
    response = answer["response"]
    assert answer["kind"] == "AdmissionReview" and answer["apiVersion"] == "admission.k8s.io/v1"
    assert response["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert response["allowed"] is False and response["status"]["code"] == 403
    assert "drop-net-bind-service" in response["status"]["message"]
    assert response["warnings"] == [
        "kubecheck drop-net-bind-service (high) at spec.template.spec.containers[0].securityContext.capabilities."
        "drop: container nginx keeps NET_BIND_SERVICE: in the containerd runtime default set and not dropped"]


def test_warn_only_allows_and_deletes_pass() -> None:
    config = WebhookConfig(plan(packs=["network-hardening"]), Severity.HIGH, warn_only=True)
    status, answer = review(config, REVIEW)
    assert status == 200 and answer["response"]["allowed"] is True and answer["response"]["warnings"]
    delete = json.loads(REVIEW)
    delete["request"].update(operation="DELETE", object=None)
    status, answer = review(WebhookConfig(plan(), Severity.LOW), json.dumps(delete).encode())
    assert answer["response"] == {"uid": delete["request"]["uid"], "allowed": True}


def test_bad_requests_are_refused() -> None:
    config = WebhookConfig(plan(), Severity.LOW)
    assert review(config, b"not json")[0] == 400
    assert review(config, b'{"kind": "Pod"}')[0] == 400


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate")
def test_serves_https(tmp_path: Path) -> None:
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH), str(cert), str(key))
    try:
        context = ssl.create_default_context(cafile=str(cert))
        answer = _post(f"https://127.0.0.1:{server.server_address[1]}/validate", REVIEW, context)
    finally:
        server.shutdown()
    assert answer["response"]["allowed"] is True  # the kubectl-made Deployment meets baseline


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate")
def test_a_silent_client_does_not_stall_others(tmp_path: Path) -> None:
    """TLS handshakes run in each request's thread, not in the accept loop."""
    import socket

    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH), str(cert), str(key))
    port = server.server_address[1]
    silent = socket.create_connection(("127.0.0.1", port))  # connects, never says hello
    try:
        context = ssl.create_default_context(cafile=str(cert))
        answer = _post(f"https://127.0.0.1:{port}/validate", REVIEW, context)
        assert answer["response"]["allowed"] is True
    finally:
        silent.close()
        server.shutdown()


def test_a_bad_content_length_is_a_400() -> None:
    import http.client

    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH))
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        connection.putrequest("POST", "/validate")
        connection.putheader("Content-Length", "lots")
        connection.endheaders()
        assert connection.getresponse().status == 400
    finally:
        server.shutdown()
