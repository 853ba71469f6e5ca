"""Benchmark: load a running `kubecheck webhook` from this (second) process over keep-alive HTTP/1.1
connections on loopback, with AdmissionReviews of a typical Deployment from the corpus, and report
reviews/s, p50/p95/p99/max latency and errors per concurrency, then the server's resident memory over a
long run. Targets live here, not in tests.

usage: python bench/webhook_load.py [--seconds S] [--concurrency 1,8,32,64] [--runs N] [--memory-reviews N]
                                    [--tls] [--workers N] [--manifest FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("KUBECHECK_SHARED", ROOT.parent / "shared")) / "corpus" / "real"
DEFAULT_MANIFEST = CORPUS / "GoogleCloudPlatform__microservices-demo" / "kubernetes-manifests" / "frontend.yaml"
FALLBACK_MANIFEST = ROOT / "fixtures" / "kubectl" / "deployment-web.yaml"
PACKS = ["network-hardening", "pss-restricted"]
# Targets on 2 cores (issue 10): concurrency 32 gives at least 1,000 reviews/s with p99 under 20 ms and no
# error; resident memory does not grow over 100,000 reviews.
TARGET_RATE, TARGET_P99_MS, TARGET_GROWTH_MB = 1000.0, 20.0, 10.0


def deployment(manifest: Path) -> dict:
    with open(manifest, encoding="utf-8") as handle:
        for document in yaml.safe_load_all(handle):
            if isinstance(document, dict) and document.get("kind") == "Deployment":
                return document
    raise SystemExit(f"{manifest} holds no Deployment")


class Requests:
    """Pre-built HTTP/1.1 requests: the same Deployment, a distinct uid (and object name) in each, so no
    answer can be reused."""

    def __init__(self, obj: dict, host: str, count: int = 512) -> None:
        self.items: list[tuple[bytes, bytes]] = []
        for index in range(count):
            uid = f"bench-{index:06d}"
            named = json.loads(json.dumps(obj))
            named["metadata"]["name"] = f"{obj['metadata']['name']}-{index}"
            review = {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {
                    "uid": uid,
                    "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                    "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
                    "name": named["metadata"]["name"],
                    "namespace": "bench",
                    "operation": "CREATE",
                    "userInfo": {"username": "bench"},
                    "object": named,
                    "dryRun": False,
                },
            }
            body = json.dumps(review).encode()
            head = (
                f"POST /validate HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            self.items.append((head + body, f'"uid":"{uid}"'.encode()))


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length)
    return status, body


async def _connection(
    address: tuple[str, int],
    context: ssl.SSLContext | None,
    requests: Requests,
    start: int,
    until: float,
    limit: int | None,
    latencies: list[float],
    errors: list[str],
    done: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(
        *address, ssl=context, server_hostname="localhost" if context else None
    )
    index = start
    try:
        while time.perf_counter() < until and (limit is None or done[0] < limit):
            request, uid = requests.items[index % len(requests.items)]
            index += 1
            began = time.perf_counter()
            try:
                status, body = await _exchange(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection(
                    *address, ssl=context, server_hostname="localhost" if context else None
                )
                continue
            latencies.append(time.perf_counter() - began)
            done[0] += 1
            if status != 200 or uid not in body or b'"allowed":' not in body:
                errors.append(f"HTTP {status}: {body[:120]!r}")
    finally:
        writer.close()


async def load(
    address: tuple[str, int],
    context: ssl.SSLContext | None,
    requests: Requests,
    concurrency: int,
    seconds: float,
    limit: int | None = None,
) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    done = [0]
    began = time.perf_counter()
    until = began + seconds
    await asyncio.gather(
        *(
            _connection(address, context, requests, i * 7, until, limit, latencies, errors, done)
            for i in range(concurrency)
        )
    )
    return time.perf_counter() - began, latencies, errors


@dataclass
class Row:
    """One run at one concurrency: rate, latency percentiles (ms), errors, CPU and context switches."""

    rate: float
    p50: float
    p95: float
    p99: float
    worst: float
    errors: list[str]
    cpu: list[float]  # CPU ms per review of server, workers and client; switches per review of server, workers

    def line(self, label: str) -> str:
        cpu = self.cpu
        return (
            f"{label:>4} {self.rate:>10.0f} {self.p50:>8.2f} {self.p95:>8.2f} {self.p99:>8.2f} {self.worst:>8.2f} "
            f"{len(self.errors):>6}   {cpu[0]:>6.2f} {cpu[1]:>7.2f} {cpu[2]:>6.2f}   {cpu[3]:>22.2f} {cpu[4]:>7.2f}"
        )

    @staticmethod
    def median(rows: list[Row]) -> Row:
        """Each column's median over the runs (errors: every run's)."""
        middle = statistics.median
        return Row(
            middle([r.rate for r in rows]),
            middle([r.p50 for r in rows]),
            middle([r.p95 for r in rows]),
            middle([r.p99 for r in rows]),
            middle([r.worst for r in rows]),
            [error for r in rows for error in r.errors],
            [middle([r.cpu[i] for r in rows]) for i in range(len(rows[0].cpu))],
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def resident_mb(pid: int) -> float:
    """Resident memory of the server and its review workers (the process tree), in MB."""
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{child}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes, in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def context_switches(pids: list[int]) -> int:
    """Voluntary and involuntary context switches of the processes so far (each costs a review's worker its
    warm caches)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            found = [int(p) for p in handle.read().split()]
    except OSError:
        return []
    return [p for child in found for p in (child, *_children(child))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, workers: int | None, tls: tuple[str, str] | None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "checker.cli", "webhook", "--host", "127.0.0.1", "--port", str(port)]
    command += [arg for pack in PACKS for arg in ("--pack", pack)] + ["--set", "ipv6=disabled"]
    command += ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else ["--insecure"]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    context = ssl.create_default_context(cafile=tls[0]) if tls else None
    url = f"{'https' if tls else 'http'}://localhost:{port}/readyz"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the webhook did not become ready")


def certificate(folder: str) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        raise SystemExit("--tls needs the openssl command")
    cert, key = os.path.join(folder, "tls.crt"), os.path.join(folder, "tls.key")
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        [*command, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    return cert, key


def run_concurrency(
    address: tuple[str, int],
    context: ssl.SSLContext | None,
    requests: Requests,
    server: int,
    concurrency: int,
    seconds: float,
) -> tuple[float, list[float], list[str], list[float]]:
    """One run: reviews/s, latencies, errors, CPU milliseconds per review of server, workers and client, and
    context switches per review of server and workers."""
    workers = _children(server)
    before = [cpu_seconds([server]), cpu_seconds(workers), time.process_time()]
    switched = [context_switches([server]), context_switches(workers)]
    elapsed, latencies, errors = asyncio.run(load(address, context, requests, concurrency, seconds))
    after = [cpu_seconds([server]), cpu_seconds(workers), time.process_time()]
    switched = [context_switches([server]) - switched[0], context_switches(workers) - switched[1]]
    reviews = max(1, len(latencies))
    per_review = [(a - b) * 1000 / reviews for a, b in zip(after, before, strict=True)]
    per_review += [count / reviews for count in switched]
    return len(latencies) / elapsed, latencies, errors, per_review


def memory_run(
    address: tuple[str, int], context: ssl.SSLContext | None, requests: Requests, server: int, reviews: int
) -> str:
    """Resident memory of the server and its workers while it answers ``reviews`` at concurrency 32."""
    print(f"memory over {reviews} reviews at concurrency 32 (server and workers, RSS):")
    step = max(1, reviews // 5)
    samples = [resident_mb(server)]
    errors_total = 0
    for done in range(0, reviews, step):
        count = min(step, reviews - done)
        _, _, errors = asyncio.run(load(address, context, requests, 32, 3600.0, count))
        errors_total += len(errors)
        samples.append(resident_mb(server))
        print(f"  after {done + count:>7} reviews: {samples[-1]:.1f} MB")
    growth = samples[-1] - samples[1]
    return (
        f"memory: {samples[0]:.1f} MB at start, {samples[1]:.1f} MB after the first {step} reviews, "
        f"{samples[-1]:.1f} MB at the end ({growth:+.1f} MB after warm-up; target under {TARGET_GROWTH_MB:.0f}), "
        f"{errors_total} errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each concurrency run")
    parser.add_argument("--concurrency", default="1,8,32,64", help="comma-separated connection counts")
    parser.add_argument("--runs", type=int, default=1, help="runs per concurrency; more than 1 adds their medians")
    parser.add_argument("--memory-reviews", type=int, default=100_000, help="reviews of the memory run (0: none)")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a self-signed certificate")
    parser.add_argument("--workers", type=int, default=None, help="the webhook's --workers (default: its own)")
    parser.add_argument("--manifest", type=Path, default=None, help="a file holding the Deployment to send")
    options = parser.parse_args()
    manifest = options.manifest or (DEFAULT_MANIFEST if DEFAULT_MANIFEST.exists() else FALLBACK_MANIFEST)
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    with tempfile.TemporaryDirectory() as folder:
        tls = certificate(folder) if options.tls else None
        port = free_port()
        server = start_server(port, options.workers, tls)
        context = ssl.create_default_context(cafile=tls[0]) if tls else None
        address = ("127.0.0.1", port)
        try:
            requests = Requests(deployment(manifest), f"localhost:{port}")
            cpus, load_now = len(os.sched_getaffinity(0)), os.getloadavg()[0]
            print(f"webhook on 127.0.0.1:{port} ({'https' if tls else 'http'}), {cpus} CPUs, load {load_now:.2f}")
            print(f"review: the Deployment in {manifest}")
            print(
                f"{'conc':>4} {'reviews/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}",
                end="",
            )
            print("   CPU ms/review: server workers client   switches/review: server workers")
            asyncio.run(load(address, context, requests, 8, 2.0))  # warm-up
            verdicts = []
            for concurrency in (int(c) for c in options.concurrency.split(",")):
                rows = []
                for _ in range(options.runs):
                    rate, latencies, errors, cpu = run_concurrency(
                        address, context, requests, server.pid, concurrency, options.seconds
                    )
                    ms = [v * 1000 for v in latencies]
                    p50, p95, p99 = (percentile(ms, share) for share in (0.5, 0.95, 0.99))
                    rows.append(Row(rate, p50, p95, p99, max(ms), errors, cpu))
                    print(rows[-1].line(str(concurrency)))
                    for error in sorted(set(errors))[:3]:
                        print(f"     error: {error}")
                decided = rows[0] if len(rows) == 1 else Row.median(rows)
                if len(rows) > 1:
                    print(decided.line("med"))
                if concurrency == 32:
                    runs = f" (median of {len(rows)} runs)" if len(rows) > 1 else ""
                    verdicts.append(
                        f"concurrency 32{runs}: {decided.rate:.0f} reviews/s (target {TARGET_RATE:.0f}), p99 "
                        f"{decided.p99:.1f} ms (target < {TARGET_P99_MS:.0f}), {len(decided.errors)} errors"
                    )
            if options.memory_reviews:
                verdicts.append(memory_run(address, context, requests, server.pid, options.memory_reviews))
            for verdict in verdicts:
                print(verdict)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
