"""The validating webhook: real HTTP(S) requests on loopback with AdmissionReview bodies."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import ssl
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from checker.api import plan
from checker.commands.webhook import WebhookConfig, make_server, review
from checker.findings import Severity

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


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


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
        "drop: container nginx keeps NET_BIND_SERVICE: in the containerd runtime default set and not dropped"
    ]


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


def _deep_review(levels: int) -> bytes:
    """The kubectl-made review with `levels` nested lists in the container's args."""
    return REVIEW.replace(b'"request": {', b'"request": {"deep": ' + b"[" * levels + b"]" * levels + b", ", 1)


def test_a_request_without_uid_is_refused() -> None:
    config = WebhookConfig(plan(), Severity.LOW)
    for uid in ("absent", "", 7):
        request_review = json.loads(REVIEW)
        if uid == "absent":
            del request_review["request"]["uid"]
        else:
            request_review["request"]["uid"] = uid
        assert review(config, json.dumps(request_review).encode()) == (
            400,
            {"error": "AdmissionReview request has no uid"},
        )


def test_a_deeply_nested_body_is_a_400() -> None:
    assert review(WebhookConfig(plan(), Severity.LOW), _deep_review(5000)) == (
        400,
        {"error": "request body nested too deeply"},
    )
    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH))
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(f"http://127.0.0.1:{server.server_address[1]}/validate", _deep_review(5000))
    finally:
        server.shutdown()
    assert refused.value.code == 400
    assert json.loads(refused.value.read()) == {"error": "request body nested too deeply"}


def test_an_object_the_scan_cannot_read_is_never_allowed(monkeypatch) -> None:
    """JSON the webhook reads but the scan cannot (nesting near the limit, read with a deeper stack) must not
    pass as an object without findings: the API server's failurePolicy decides."""
    import checker.commands.webhook as webhook
    from checker.findings import Report
    from checker.inputs.documents import InputError

    config = WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH)
    unread = Report(
        errors=[InputError("admission-request", 1, "nesting is too deep: more than 900 levels at column 9; refused")]
    )
    monkeypatch.setattr(webhook, "scan_text", lambda *args: unread)
    assert review(config, REVIEW) == (400, {"error": "request body nested too deeply"})

    def too_deep(*args):
        raise RecursionError

    monkeypatch.setattr(webhook, "scan_text", too_deep)
    assert review(config, REVIEW) == (400, {"error": "request body nested too deeply"})


def test_serves_https(tls_files) -> None:
    cert, key = tls_files
    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH), cert, key)
    try:
        context = ssl.create_default_context(cafile=cert)
        answer = _post(f"https://127.0.0.1:{server.server_address[1]}/validate", REVIEW, context)
    finally:
        server.shutdown()
    assert answer["response"]["allowed"] is True  # the kubectl-made Deployment meets baseline


def test_a_silent_client_does_not_stall_others(tls_files) -> None:
    """TLS handshakes run in each request's thread, not in the accept loop."""
    import socket

    cert, key = tls_files
    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH), cert, key)
    port = server.server_address[1]
    silent = socket.create_connection(("127.0.0.1", port))  # connects, never says hello
    try:
        context = ssl.create_default_context(cafile=cert)
        answer = _post(f"https://127.0.0.1:{port}/validate", REVIEW, context)
        assert answer["response"]["allowed"] is True
    finally:
        silent.close()
        server.shutdown()


@pytest.mark.parametrize("declared", ["lots", "-5", "5_0", "+5"])
def test_a_bad_content_length_is_a_400(declared: str) -> None:
    import http.client

    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH))
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        connection.putrequest("POST", "/validate")
        connection.putheader("Content-Length", declared)
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 400 and json.loads(answer.read()) == {"error": "bad Content-Length"}
        assert answer.getheader("Connection") == "close"  # the unread body is not taken for the next request
    finally:
        server.shutdown()


def _wait_for(capsys, text: str) -> str:
    import time

    seen = ""
    for _ in range(100):
        seen += capsys.readouterr().err
        if text in seen:
            break
        time.sleep(0.05)
    return seen


def test_failed_tls_handshakes_are_one_log_line_each(tls_files, capsys) -> None:
    import http.client
    import socket
    import warnings

    server = _serve(WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH), *tls_files)
    port = server.server_address[1]
    try:
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            plain.request("GET", "/healthz")
            plain.getresponse()
        log = _wait_for(capsys, "plain HTTP")
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version, old.maximum_version = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1
        with contextlib.suppress(ssl.SSLError):
            old.set_ciphers("ALL:@SECLEVEL=0")  # OpenSSL 3 offers no TLS 1.1 cipher at the default level
        try:
            with socket.create_connection(("127.0.0.1", port)) as raw, old.wrap_socket(raw):
                pass
        except ssl.SSLError as refused:
            if "PROTOCOL_VERSION" in str(refused):  # the server said no; otherwise this OpenSSL has no TLS 1.1
                log += _wait_for(capsys, "older than 1.2")
                assert "TLS handshake failed: the client offers only TLS versions older than 1.2" in log
    finally:
        server.shutdown()
    assert "Traceback" not in log and "SSLError" not in log
    assert re.search(
        r"^kubecheck webhook: 127\.0\.0\.1:\d+ TLS handshake failed: plain HTTP sent to the HTTPS port$",
        log,
        re.MULTILINE,
    )


def test_make_server_names_the_port_or_file_at_fault(tls_files, tmp_path) -> None:
    config = WebhookConfig(plan(packs=["pss-baseline"]), Severity.HIGH)
    cert, key = tls_files
    with pytest.raises(ValueError, match=r"^port 99999 is out of range \(0 to 65535\)$"):
        make_server(config, "127.0.0.1", 99999, None, None)
    with pytest.raises(OSError, match=f"^cannot read the TLS certificate {tmp_path}/nope.crt: No such file"):
        make_server(config, "127.0.0.1", 0, str(tmp_path / "nope.crt"), key)
    with pytest.raises(ValueError, match=f"^the TLS key {cert} holds no PEM key"):
        make_server(config, "127.0.0.1", 0, cert, cert)
    other_key = tmp_path / "other.key"
    subprocess.run(["openssl", "genrsa", "-out", str(other_key), "2048"], check=True, capture_output=True)
    with pytest.raises(
        ValueError, match=f"^cannot use the TLS certificate {cert} with the key {other_key}: key values mismatch$"
    ):
        make_server(config, "127.0.0.1", 0, cert, str(other_key))
    busy = make_server(config, "127.0.0.1", 0, None, None)
    try:
        port = busy.server_address[1]
        with pytest.raises(OSError, match=f"^cannot listen on 127.0.0.1:{port}: Address already in use$"):
            make_server(config, "127.0.0.1", port, None, None)
    finally:
        busy.server_close()
