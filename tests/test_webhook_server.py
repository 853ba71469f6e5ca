"""Start-up pieces of the webhook server: the listening sockets (dual-stack by default, IPv4 alone where
IPv6 is missing), the open-files limit, and the worker count."""

from __future__ import annotations

import errno
import socket

import pytest

from checker.commands.webhook import server
from checker.commands.webhook.pool import default_workers

from .webhook_server import has_ipv6_loopback


def test_the_default_is_one_dual_stack_socket() -> None:
    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6")
    sockets, shown = server.listen_sockets(None, 0)
    try:
        [sock] = sockets
        assert sock.family == socket.AF_INET6
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert shown == [f"[::]:{sock.getsockname()[1]}"]
    finally:
        for sock in sockets:
            sock.close()


def test_without_ipv6_the_default_listens_on_ipv4(monkeypatch) -> None:
    """A node booted with ipv6.disable=1 has no AF_INET6 sockets: the default must not fail at start."""
    real_bind = server._bind

    def no_ipv6(family, address, dual_stack):
        if family == socket.AF_INET6:
            raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")
        return real_bind(family, address, dual_stack)

    monkeypatch.setattr(server, "_bind", no_ipv6)
    sockets, shown = server.listen_sockets(None, 0)
    try:
        assert [sock.family for sock in sockets] == [socket.AF_INET]
        assert shown == [f"0.0.0.0:{sockets[0].getsockname()[1]}"]
    finally:
        for sock in sockets:
            sock.close()
    with pytest.raises(server.ServeError, match=r"^cannot listen on \[::\]:0: Address family not supported"):
        server.listen_sockets("::", 0)  # asked for by name: no fallback


def test_an_ipv6_address_is_ipv6_only() -> None:
    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6")
    sockets, shown = server.listen_sockets("::1", 0)
    try:
        assert sockets[0].getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
        assert shown == [f"[::1]:{sockets[0].getsockname()[1]}"]
    finally:
        for sock in sockets:
            sock.close()


def test_listen_mistakes_name_the_address() -> None:
    with pytest.raises(server.ServeError, match=r"^port 99999 is out of range \(0 to 65535\)$"):
        server.listen_sockets("127.0.0.1", 99999)
    with pytest.raises(server.ServeError, match=r"^cannot listen on no-such-host\.invalid: "):
        server.listen_sockets("no-such-host.invalid", 0)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(server.ServeError, match=f"^cannot listen on 127.0.0.1:{port}: Address already in use$"):
            server.listen_sockets("127.0.0.1", port)


def test_open_files_are_raised_for_the_connections() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        wanted = 2048 if hard == resource.RLIM_INFINITY else min(2048, hard)
        assert server.raise_open_files(2048) == wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == wanted
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_default_workers_follow_the_cpus_and_the_cgroup_quota(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == "/sys/fs/cgroup/cpu.max":
            return real_open(tmp_path / "cpu.max", *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # a limit of 1.5 CPUs
    assert default_workers() == 3  # one per CPU of the limit, and one more
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert default_workers() == 5


class _Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_a_response_head_and_body_go_out_in_one_send() -> None:
    transport = _Transport()
    response = server._OneSendResponse(transport)  # type: ignore[arg-type]
    response.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # an interim answer is not held
    response.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert transport.sent == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    response.write(b"{}")
    assert transport.sent[1:] == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert not response.is_closing()  # everything else is the transport's


def test_a_held_head_is_sent_before_the_connection_closes() -> None:
    transport = _Transport()
    response = server._OneSendResponse(transport)  # type: ignore[arg-type]
    response.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    response.close()
    assert transport.sent == [b"HTTP/1.1 500 Internal Server Error\r\n\r\n"] and transport.closed
