"""The review workers: a fixed number of worker processes, each with the rules compiled once, reviewing one
request at a time under a time budget. A review that runs past its budget is stopped by killing its worker
(a replacement starts at once) and answered by the --on-timeout policy; a worker that dies is replaced and
its review denied. The event loop never runs a review, so /healthz and other requests keep being answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..admission import answer_without_review
from .frames import LENGTH, frame

START_TIMEOUT = 120.0  # seconds for a worker to import kubecheck and compile the rules
RESTART_DELAY = 1.0  # seconds between attempts when a replacement worker cannot start
TIMED_OUT_DENIED = "timeout_denied"
TIMED_OUT_ALLOWED = "timeout_allowed"
FAILED = "failed"


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker compiles: the plan's options (as `kubecheck webhook` resolved them with the
    configuration file) and how findings decide."""

    packs: list[str]
    rules: list[str]
    skip_rules: list[str]
    policy_dirs: list[str]
    settings: list[str]
    fail_on: str
    warn_only: bool
    frameworks: list[str] = field(default_factory=list)  # their rules run; verdicts per control are not sent
    config_file: str | None = None  # the configuration whose exemptions and non-bypassable rules apply

    def encoded(self) -> bytes:
        options = asdict(self)
        fail_on, warn_only = options.pop("fail_on"), options.pop("warn_only")
        return json.dumps({"plan": options, "fail_on": fail_on, "warn_only": warn_only}).encode()


@dataclass
class Answer:
    """What the server sends back for one review, and what its log line and metrics say."""

    status: int
    body: bytes
    verdict: str
    log: dict[str, Any] = field(default_factory=dict)
    findings: list[tuple[str, str, int]] = field(default_factory=list)  # (rule, severity, how many)
    denied_by: list[str] = field(default_factory=list)


class WorkerFailed(Exception):
    """A worker that exited, broke its stream or could not start; ``unsent``: it died before it was sent
    the request (it died idle), so another worker may review it; ``alive``: the worker is well, the review
    itself failed (a bug the worker reported), so it goes on serving."""

    def __init__(self, message: str, unsent: bool = False, alive: bool = False) -> None:
        super().__init__(message)
        self.unsent, self.alive = unsent, alive


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self.requests: asyncio.StreamWriter = process.stdin
        self.answers: asyncio.StreamReader = process.stdout

    @classmethod
    async def start(cls, setup: WorkerSetup) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "checker.commands.webhook.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = cls(process)
        try:
            async with asyncio.timeout(START_TIMEOUT):
                worker.requests.write(frame(setup.encoded()))
                await worker.requests.drain()
                hello = json.loads(await worker._frame())
        except (TimeoutError, WorkerFailed, ValueError, ConnectionError) as exc:
            worker.kill()
            reason = "no answer" if isinstance(exc, TimeoutError) else str(exc)
            raise WorkerFailed(f"a review worker could not start: {reason}") from None
        except BaseException:
            worker.kill()
            raise
        if not hello.get("ready"):
            worker.kill()
            raise WorkerFailed(f"a review worker could not load the rules: {hello.get('error')}")
        return worker

    async def _frame(self) -> bytes:
        try:
            (size,) = LENGTH.unpack(await self.answers.readexactly(LENGTH.size))
            return await self.answers.readexactly(size)
        except asyncio.IncompleteReadError:
            code = await self.process.wait()
            raise WorkerFailed(f"the review worker exited (code {code})") from None

    async def ask(self, body: bytes) -> Answer:
        try:
            self.requests.write(frame(body))
            await self.requests.drain()
        except ConnectionError:
            code = await self.process.wait()
            raise WorkerFailed(f"the review worker exited (code {code})", unsent=True) from None
        header, payload = await self._frame(), await self._frame()
        try:
            meta = json.loads(header)
            if "failed" in meta:
                raise WorkerFailed(f"the review failed: {meta['failed']}", alive=True)
            findings = [(str(rule), str(severity), int(count)) for rule, severity, count in meta["findings"]]
            return Answer(meta["status"], payload, meta["verdict"], meta["log"], findings, meta["denied_by"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WorkerFailed(f"the review worker sent a broken answer ({exc})") from None

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    async def close(self, grace: float) -> None:
        """End the worker: close its stdin (it exits when idle), kill it if it lingers past the grace time."""
        with contextlib.suppress(ConnectionError):
            self.requests.close()
        try:
            async with asyncio.timeout(grace):
                await self.process.wait()
        except TimeoutError:
            self.kill()
            await self.process.wait()


class ReviewPool:
    """Review workers behind a queue of idle ones. ``on_event(event, fields)`` hears of restarts."""

    def __init__(
        self,
        setup: WorkerSetup,
        size: int,
        budget: float,
        allow_on_timeout: bool,
        on_event: Callable[[str, dict[str, Any]], None],
        on_ready_change: Callable[[int], None] = lambda ready: None,
    ) -> None:
        self.setup, self.size, self.budget, self.allow_on_timeout = setup, size, budget, allow_on_timeout
        self.on_event, self.on_ready_change = on_event, on_ready_change
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._starting: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def ready(self) -> int:
        """Workers alive with the rules loaded (idle or reviewing)."""
        return len(self._workers)

    async def start(self) -> None:
        """Start every worker, in parallel; WorkerFailed if one cannot start (the rules do not load)."""
        results = await asyncio.gather(*(_Worker.start(self.setup) for _ in range(self.size)), return_exceptions=True)
        for result in results:
            if isinstance(result, _Worker):
                self._adopt(result)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            await self.close(grace=1.0)
            raise failure

    def _adopt(self, worker: _Worker) -> None:
        self._workers.add(worker)
        self._idle.put_nowait(worker)
        self.on_ready_change(self.ready)

    async def review(self, body: bytes, deadline: float) -> Answer:
        """The answer to one AdmissionReview body, by the loop time ``deadline``: the worker's, or the
        timeout policy's when the queue wait and the review take longer."""
        worker: _Worker | None = None
        try:
            async with asyncio.timeout_at(deadline):
                while True:
                    worker = await self._idle.get()
                    try:
                        answer = await worker.ask(body)
                        break
                    except WorkerFailed as failure:
                        if not failure.unsent:
                            raise
                        self._replace(worker, "exited")  # it died while idle: another worker reviews it
                        worker = None
        except TimeoutError:
            if worker is not None:
                self._replace(worker, "timeout")
            return self._timed_out(body)
        except WorkerFailed as failure:
            assert worker is not None
            if failure.alive:
                self._idle.put_nowait(worker)
            else:
                self._replace(worker, "exited")
            return self._failed(body, str(failure))
        except BaseException:  # cancelled (the shutdown grace ran out): the worker's stream is mid-answer
            if worker is not None:
                self._replace(worker, "cancelled")
            raise
        self._idle.put_nowait(worker)
        return answer

    def _timed_out(self, body: bytes) -> Answer:
        allowed = self.allow_on_timeout
        message = f"the review did not finish within its budget of {self.budget:g} s"
        outcome = answer_without_review(body, allowed, 504, "Timeout", message)
        verdict = TIMED_OUT_ALLOWED if allowed else TIMED_OUT_DENIED
        if outcome is None:
            return _refused(verdict, f"{message}, and the body is not an AdmissionReview that can be answered")
        outcome.reason = message
        fields = {**outcome.log_fields(), "verdict": verdict, "reason": message}
        return Answer(200, outcome.encoded(), verdict, fields)

    def _failed(self, body: bytes, reason: str) -> Answer:
        outcome = answer_without_review(body, False, 500, "InternalError", f"the review failed ({reason})")
        if outcome is None:
            return _refused(FAILED, reason)
        return Answer(200, outcome.encoded(), FAILED, {**outcome.log_fields(), "verdict": FAILED, "reason": reason})

    def _replace(self, worker: _Worker, reason: str) -> None:
        worker.kill()
        self._workers.discard(worker)
        self.on_ready_change(self.ready)
        self.on_event("worker replaced", {"reason": reason, "pid": worker.process.pid})
        if not self._closing:
            task = asyncio.create_task(self._restart(worker, reason))
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _restart(self, old: _Worker, reason: str) -> None:
        await old.process.wait()
        while not self._closing:
            try:
                worker = await _Worker.start(self.setup)
            except WorkerFailed as failure:
                self.on_event("worker start failed", {"error": str(failure)})
                await asyncio.sleep(RESTART_DELAY)
                continue
            if self.closing():  # close() ran while it started
                await worker.close(grace=1.0)
            else:
                self._adopt(worker)
            return

    def closing(self) -> bool:
        return self._closing

    async def close(self, grace: float = 5.0) -> None:
        """Stop every worker (a review still running has ``grace`` seconds) and any that is starting."""
        self._closing = True
        for task in list(self._starting):
            task.cancel()
        await asyncio.gather(*(w.close(grace) for w in list(self._workers)), return_exceptions=True)
        self._workers.clear()
        self.on_ready_change(0)


def _refused(verdict: str, reason: str) -> Answer:
    return Answer(400, json.dumps({"error": reason}).encode(), verdict, {"verdict": verdict, "reason": reason})


def default_workers() -> int:
    """The CPUs this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (a container's CPU
    limit, rounded up), at least 1."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
        if quota != "max":
            count = min(count, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, count)
