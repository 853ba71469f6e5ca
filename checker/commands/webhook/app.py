"""The webhook's ASGI app: POST (any path; /validate by convention) reviews an AdmissionReview, GET /healthz
(the event loop answers), /readyz (the rules are loaded) and /metrics (Prometheus text); the lifespan
starts and stops the review workers and the certificate reloader.

Request bodies are capped (413 past MAX_BODY, like the API server's own limit) and must arrive within the
body timeout (408); each review has its time budget (pool.py); every answer is logged as one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..admission import INVALID
from .logs import log
from .metrics import CONTENT_TYPE, Metrics
from .pool import Answer, ReviewPool, WorkerFailed
from .tls import CertificateError, Reloader

MAX_BODY = 3 * 1024 * 1024  # bytes: the API server's own request limit (3 MiB), so no real review is larger
TOO_LARGE = "too_large"
TIMED_OUT_BODY = "body_timeout"

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """How long a review may take, and how much and how slowly a client may send."""

    budget: float  # seconds per review, from its headers to its answer (below the webhook's timeoutSeconds)
    body_timeout: float = 10.0  # seconds for a request body to arrive
    max_body: int = MAX_BODY


class _Refusal(Exception):
    def __init__(self, status: int, verdict: str, error: str) -> None:
        super().__init__(error)
        self.status, self.verdict, self.error = status, verdict, error


class WebhookApp:
    """The ASGI application (uvicorn serves it)."""

    def __init__(
        self, pool: ReviewPool, metrics: Metrics, limits: Limits, reloader: Reloader | None, reload_interval: float
    ) -> None:
        self.pool, self.metrics, self.limits = pool, metrics, limits
        self.reloader, self.reload_interval = reloader, reload_interval
        self.started = self.stopping = False
        self.startup_error: str | None = None
        self._watch: asyncio.Task[None] | None = None
        if reloader is not None:
            metrics.certificate_expiry = reloader.expiry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    # --- lifespan -----------------------------------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        try:
            await self.pool.start()
        except WorkerFailed as failure:
            self.startup_error = str(failure)
            await send({"type": "lifespan.startup.failed", "message": str(failure)})
            return
        self.started = True
        if self.reloader is not None:
            self._watch = asyncio.create_task(self._watch_certificate(self.reloader))
        gc.collect()
        gc.freeze()  # what start-up made lives until the end: later collections need not walk it
        log(logging.INFO, "ready", workers=self.pool.ready)
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown: uvicorn has answered every request it accepted
        self.stopping = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self.pool.close()
        await send({"type": "lifespan.shutdown.complete"})

    async def _watch_certificate(self, reloader: Reloader) -> None:
        while True:
            await asyncio.sleep(self.reload_interval)
            try:
                if reloader.check():
                    self.metrics.certificate_reloads.labels("loaded").inc()
                    self.metrics.certificate_expiry = reloader.expiry
                    log(logging.INFO, "certificate reloaded", file=reloader.cert, expiry=_utc(reloader.expiry))
            except CertificateError as error:
                self.metrics.certificate_reloads.labels("failed").inc()
                log(logging.ERROR, "certificate not reloaded; the previous one stays in use", error=str(error))

    # --- requests -----------------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if method in ("GET", "HEAD"):
            if path == "/healthz":
                await _send(send, 200, b'{"status":"ok"}')
            elif path == "/readyz":
                # Ready once the rules are loaded; a worker being replaced does not make the pod unready
                # (reviews wait for it within their budget) or endpoints would flap.
                ready = self.started and not self.stopping
                body = json.dumps({"status": "ok" if ready else "not ready", "workers": self.pool.ready}).encode()
                await _send(send, 200 if ready else 503, body)
            elif path == "/metrics":
                await _send(send, 200, self.metrics.exposition(), CONTENT_TYPE.encode())
            else:
                error = "not found: POST AdmissionReview requests to /validate; GET /healthz, /readyz or /metrics"
                await _send(send, 404, _error(error))
            return
        if method != "POST":
            await _send(send, 405, _error(f"method {method} not allowed"), extra=((b"allow", b"GET, POST"),))
            return
        await self._review(scope, receive, send)

    async def _review(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.monotonic()
        loop_started = asyncio.get_running_loop().time()
        self.metrics.in_flight += 1
        try:
            try:
                body = await self._body(scope, receive, loop_started)
            except _Refusal as refusal:
                answer = Answer(refusal.status, _error(refusal.error), refusal.verdict, {"reason": refusal.error})
                await _send(send, answer.status, answer.body, close=True)  # the rest of the body is not read
            else:
                answer = await self.pool.review(body, loop_started + self.limits.budget)
                await _send(send, answer.status, answer.body)
        finally:
            self.metrics.in_flight -= 1
        seconds = time.monotonic() - started
        self.metrics.observe(answer.verdict, seconds, answer.findings, answer.denied_by)
        client = scope.get("client")
        fields = {**answer.log, "verdict": answer.verdict, "duration_ms": round(seconds * 1000, 2)}
        if answer.status != 200 and client:
            fields["client"] = _address(client)
        log(logging.INFO if answer.status == 200 else logging.WARNING, "review", **fields)

    async def _body(self, scope: Scope, receive: Receive, started: float) -> bytes:
        limit = self.limits.max_body
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                raise _Refusal(400, INVALID, "bad Content-Length")
            if int(declared) > limit:
                raise _Refusal(413, TOO_LARGE, f"request body too large: over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout_at(started + self.limits.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Refusal(400, INVALID, "the client closed the connection before the body ended")
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _Refusal(413, TOO_LARGE, f"request body too large: over {limit} bytes")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _Refusal(
                408, TIMED_OUT_BODY, f"the request body did not arrive within {self.limits.body_timeout:g} s"
            ) from None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1").strip())
    return None


async def _send(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    close: bool = False,
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def _address(client: Any) -> str:
    """host:port, [v6]:port; an IPv4 client of the dual-stack socket (::ffff:10.0.0.1) as plain IPv4."""
    host, port = str(client[0]), client[1]
    with contextlib.suppress(ValueError):
        mapped = ipaddress.ip_address(host.split("%")[0])
        if isinstance(mapped, ipaddress.IPv6Address) and mapped.ipv4_mapped is not None:
            host = str(mapped.ipv4_mapped)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _utc(seconds: float | None) -> str | None:
    return None if seconds is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
