"""Run `kubecheck webhook` for tests: a real server process on loopback (its port read from its
"listening" log line), HTTPS with a throwaway self-signed certificate, and small HTTP helpers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import ROOT

STARTUP_SECONDS = 60.0


def make_certificate(folder: Path, name: str = "tls", common_name: str = "localhost") -> tuple[str, str]:
    """A self-signed certificate for localhost, 127.0.0.1 and ::1, and its key (ECDSA P-256, as cert-manager
    makes them in deploy/)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    names = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    command += ["-days", "2", "-subj", f"/CN={common_name}"]
    subprocess.run(
        [*command, "-addext", names, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@dataclass
class Webhook:
    """A running webhook process: where it listens, its CA for clients, its log so far."""

    process: subprocess.Popen[bytes]
    log_file: Path
    addresses: list[str] = field(default_factory=list)
    cafile: str | None = None

    @property
    def port(self) -> int:
        return int(self.addresses[0].rsplit(":", 1)[1])

    def log(self) -> list[dict]:
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def raw_log(self) -> str:
        return self.log_file.read_text(encoding="utf-8")

    def context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.cafile) if self.cafile else None

    def connect(self, host: str = "127.0.0.1", timeout: float = 30.0) -> http.client.HTTPConnection:
        if self.cafile:
            return http.client.HTTPSConnection(host, self.port, timeout=timeout, context=self.context())
        return http.client.HTTPConnection(host, self.port, timeout=timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, host: str = "127.0.0.1", timeout: float = 30.0
    ) -> tuple[int, dict[str, str], bytes]:
        connection = self.connect(host, timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            connection.close()

    def review(self, body: bytes, host: str = "127.0.0.1", timeout: float = 30.0) -> tuple[int, dict]:
        status, _, data = self.request("POST", "/validate", body, host, timeout)
        return status, json.loads(data)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def wait_for_log(self, event: str, timeout: float = 10.0, **fields: object) -> dict:
        """The latest log entry of the event with these fields (a line is written after its answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in reversed(self.log()):
                if entry.get("event") == event and all(entry.get(k) == v for k, v in fields.items()):
                    return entry
            time.sleep(0.05)
        raise AssertionError(f"no {event!r} with {fields} in the webhook's log:\n{self.raw_log()}")


def webhook_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "checker.cli", "webhook", *args]


def start_webhook(
    *args: str, tls: tuple[str, str] | None = None, host: str | None = "127.0.0.1", port: int = 0
) -> Webhook:
    """Start `kubecheck webhook ARGS` and wait until /readyz answers 200."""
    command = webhook_command(*args, "--port", str(port))
    if host is not None:
        command += ["--host", host]
    command += ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else ["--insecure"]
    log_file = Path(tempfile.mkstemp(prefix="kubecheck-webhook-", suffix=".log")[1])
    with open(log_file, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    webhook = Webhook(process, log_file, cafile=tls[0] if tls else None)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the webhook exited with {process.returncode}:\n{webhook.raw_log()}")
        listening = [entry for entry in webhook.log() if entry.get("event") == "listening"]
        if listening and any(entry.get("event") == "ready" for entry in webhook.log()):
            webhook.addresses = listening[0]["addresses"]
            return webhook
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the webhook did not start:\n{webhook.raw_log()}")


@contextlib.contextmanager
def running(*args: str, **options: object) -> Iterator[Webhook]:
    webhook = start_webhook(*args, **options)  # type: ignore[arg-type]
    try:
        yield webhook
    finally:
        if webhook.process.poll() is None:
            webhook.process.kill()
            webhook.process.wait()
        with contextlib.suppress(OSError):
            os.unlink(webhook.log_file)


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False
