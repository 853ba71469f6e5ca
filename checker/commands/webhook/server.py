"""Start the webhook: the listening sockets (dual-stack by default, IPv4 alone where the node has no IPv6),
uvicorn serving the ASGI app over HTTPS with bounded connections, slow-client and TLS-handshake timeouts,
and a graceful SIGTERM (in-flight reviews are answered, then the workers stop).

uvicorn is the server: mature, HTTP/1.1 keep-alive (the API server reuses connections), a cap on connections
(limit_concurrency, answered 503), graceful shutdown, and a TLS context we own (ssl_context_factory), which is
what reloading the certificate in place needs.

Idle keep-alive connections stay open longer (--keep-alive-timeout, 120 s) than the idle timeout of Go's
default HTTP transport (net/http DefaultTransport: IdleConnTimeout 90 s), so the client closes them first: a
POST sent on a connection the server is closing fails, and the API server does not retry it
(https://github.com/kubernetes/kubernetes/issues/127335). A single asyncio server on ``::`` is IPv6-only
(asyncio sets IPV6_V6ONLY), so the dual-stack socket is bound here and handed to uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .app import Limits, WebhookApp
from .logs import configure, log
from .metrics import Metrics
from .pool import ReviewPool, WorkerSetup
from .scheduling import relay_at_batch
from .tls import Reloader, server_context

CLIENT_TIMEOUT = 10.0  # seconds for a request's headers, and then its body, to arrive
MAX_HEADER_BYTES = 64 * 1024  # a request whose headers are longer is refused (431)
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS handshake (asyncio's default is 60)
DUAL_STACK = None  # the default --host: every address of both families where the node has IPv6


class ServeError(Exception):
    """The webhook cannot start: a one-line reason."""


@dataclass(frozen=True)
class ServeOptions:
    setup: WorkerSetup
    rules: int  # how many rules the plan compiled (the start-up line says it)
    host: str | None
    port: int
    cert: str | None
    key: str | None
    workers: int
    budget: float
    allow_on_timeout: bool
    max_connections: int
    keep_alive: int
    reload_interval: float
    client_timeout: float = CLIENT_TIMEOUT


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with two guards it lacks: a request's headers must arrive within
    ``header_timeout`` of its first byte (or of the connection, for the first request), and be at most
    MAX_HEADER_BYTES long. A slow or silent client is cut off (408) instead of holding its connection open."""

    header_timeout = CLIENT_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None
    _awaiting_headers = False
    _header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def _await_headers(self) -> None:
        self._awaiting_headers, self._header_bytes = True, 0
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers and not self.transport.is_closing():
            self._header_bytes += len(data)  # still inside a request's headers after this chunk
            if self._header_bytes > MAX_HEADER_BYTES:
                self._refuse(431, "Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._awaiting_headers:
            self._await_headers()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport and self.scope["method"] != "HEAD":
            cycle.transport = _OneSendResponse(self.transport)  # type: ignore[assignment]

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._awaiting_headers = False  # idle until the next request: uvicorn's keep-alive timeout applies

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, phrase: str) -> None:
        self._awaiting_headers = False
        body = f'{{"error":"{phrase.lower()}"}}'.encode()
        head = f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        self.transport.write(head.encode() + b"connection: close\r\n\r\n" + body)
        self.transport.close()


class _OneSendResponse:
    """The connection's transport as one response sees it: the response head (its first write) is held and
    sent with the body's write, in one send. uvloop sends each write at once, so uvicorn's head and body
    would be two sends, each waking the client (and TCP_NODELAY sends them as two segments). A response to
    a request other than HEAD always writes its body (an empty one too); an interim "100 Continue" goes
    out at once."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is None:
            if data.startswith(b"HTTP/1.1 100 "):
                self._transport.write(data)
            else:
                self._head = data
            return
        if self._head:
            data, self._head = self._head + data, b""
        self._transport.write(data)

    def close(self) -> None:
        if self._head:
            self._transport.write(self._head)
            self._head = b""
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Server(uvicorn.Server):
    """uvicorn's server on sockets we bound, with a TLS handshake timeout (uvicorn leaves asyncio's 60 s)
    and the client timeout for request headers."""

    def __init__(self, config: uvicorn.Config, client_timeout: float) -> None:
        super().__init__(config)
        self.client_timeout = client_timeout

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT start the graceful shutdown (a second one forces it); after it the process
        exits 0. (uvicorn raises the signal again once it is done, which ends the process by the signal.)"""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            return  # the app said why (a worker could not start); serve() reports it
        config = self.config
        state = self.lifespan.state

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            protocol = GuardedHttpToolsProtocol(
                config=config, server_state=self.server_state, app_state=state, _loop=_loop
            )
            protocol.header_timeout = self.client_timeout
            return protocol

        loop = asyncio.get_running_loop()
        extra: dict[str, Any] = {"ssl_handshake_timeout": HANDSHAKE_TIMEOUT} if config.ssl else {}
        self.servers = [
            await loop.create_server(create_protocol, sock=sock, ssl=config.ssl, backlog=config.backlog, **extra)
            for sock in sockets or []
        ]
        self.started = True


def listen_sockets(host: str | None, port: int) -> tuple[list[socket.socket], list[str]]:
    """The bound sockets and their addresses as text. The default (None) and ``::`` listen on IPv6 and IPv4
    (IPV6_V6ONLY off: IPv4 clients arrive as mapped addresses); where the node has no IPv6 (the family is
    missing, or no IPv6 address can be bound) the default falls back to IPv4 alone. A name listens on each
    address it resolves to, all on one port."""
    if not 0 <= port <= 65535:
        raise ServeError(f"port {port} is out of range (0 to 65535)")
    if host in (DUAL_STACK, "::"):
        try:
            sock = _bind(socket.AF_INET6, ("::", port), dual_stack=True)
            return [sock], [_shown(sock)]
        except OSError as exc:
            if host == "::" or exc.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT):
                raise ServeError(f"cannot listen on [::]:{port}: {exc.strerror or exc}") from None
        host = "0.0.0.0"
    assert host is not None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}: {exc.strerror}") from None
    addresses = list(dict.fromkeys((family, str(address[0])) for family, _, _, _, address in found))
    sockets: list[socket.socket] = []
    try:
        for family, address in addresses:
            where = f"[{address}]:{port}" if family == socket.AF_INET6 else f"{address}:{port}"
            try:
                sockets.append(_bind(family, (address, port), dual_stack=False))
            except OSError as exc:
                raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None
            port = port or sockets[-1].getsockname()[1]  # port 0: every address gets the first one's port
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets, [_shown(sock) for sock in sockets]


def _bind(family: int, address: tuple[str, int], dual_stack: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual_stack else 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _shown(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if sock.family == socket.AF_INET6 else f"{host}:{port}"


def raise_open_files(wanted: int) -> int:
    """Raise the soft limit of open files towards ``wanted`` (every connection is one), up to the hard
    limit; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return soft if soft != resource.RLIM_INFINITY else wanted


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """The serving context (CertificateError names the file at fault); failed handshakes are logged."""
    return server_context(cert, key, _handshake_failed)


def serve(
    options: ServeOptions, context: ssl.SSLContext | None, sockets: list[socket.socket], shown: list[str]
) -> None:
    """Run until SIGTERM or SIGINT: answer in-flight reviews, stop the workers, return. ServeError when the
    workers cannot start."""
    log_config = configure()
    metrics = Metrics()
    reloader: Reloader | None = None
    if context is not None and options.cert and options.key:
        reloader = Reloader(context, options.cert, options.key)

    def pool_event(event: str, fields: dict[str, Any]) -> None:
        log(logging.WARNING, event, **fields)
        if event == "worker replaced":
            metrics.worker_restarts.labels(fields["reason"]).inc()

    pool = ReviewPool(
        options.setup,
        options.workers,
        options.budget,
        options.allow_on_timeout,
        on_event=pool_event,
        on_ready_change=metrics.set_workers_ready,
    )
    limits = Limits(options.budget, options.client_timeout)
    app = WebhookApp(pool, metrics, limits, reloader, options.reload_interval)
    open_files = raise_open_files(options.max_connections + 64 + 4 * options.workers)
    max_connections = min(options.max_connections, max(16, open_files - 64 - 4 * options.workers))
    factory: Callable[..., ssl.SSLContext] | None = (lambda config, default: context) if context else None
    config = uvicorn.Config(
        app,
        http=GuardedHttpToolsProtocol,
        ws="none",
        lifespan="on",
        ssl_context_factory=factory,
        limit_concurrency=max_connections,
        timeout_keep_alive=options.keep_alive,
        timeout_graceful_shutdown=int(options.budget + 2 * options.client_timeout + 1),
        log_config=log_config,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    log(
        logging.INFO,
        "listening",
        addresses=shown,
        tls=context is not None,
        rules=options.rules,
        workers=options.workers,
        review_timeout_s=options.budget,
        on_timeout="allow" if options.allow_on_timeout else "deny",
        max_connections=max_connections,
    )
    try:
        relay_at_batch()  # its wake-ups no longer preempt reviews; the workers it starts go back to normal
    except OSError as error:
        log(logging.WARNING, "the server stays at the normal scheduling policy", error=str(error))
    server = _Server(config, options.client_timeout)
    server.run(sockets=sockets)
    if app.startup_error is not None:
        raise ServeError(app.startup_error)


def _handshake_failed(reason: str) -> None:
    log(logging.WARNING, "TLS handshake failed", reason=reason)
