"""The review workers: a fixed number of worker processes, each with the rules compiled once, reviewing one
request at a time under a time budget, and holding the next one in its pipe so that it never waits for the
server between reviews. A review that runs past its budget is stopped by killing its worker (a replacement
starts at once; the request queued behind it goes to another worker) and answered by the --on-timeout
policy; a worker that dies is replaced and its review denied. The event loop never runs a review, so
/healthz and other requests keep being answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections import deque
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
# Requests a worker holds: the one it reviews and the next, so that it never waits for the server between them.
DEPTH = 2


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
    """A worker that exited, broke its stream or could not start; ``alive``: the worker is well, the review
    itself failed (a bug the worker reported), so it goes on serving."""

    def __init__(self, message: str, alive: bool = False) -> None:
        super().__init__(message)
        self.alive = alive


@dataclass(eq=False)
class _Pending:
    """One review on its way: queued for a worker, or sent to ``worker`` (and reviewed in the order sent)."""

    body: bytes
    answer: asyncio.Future[Answer]
    worker: _Worker | None = None


class _Worker:
    """One worker process, its pipes, and the requests sent to it that it has not answered yet (the first of
    them is the one it is reviewing)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self.requests: asyncio.StreamWriter = process.stdin
        self.answers: asyncio.StreamReader = process.stdout
        self.sent: deque[_Pending] = deque()
        self.retired = False  # killed or closed: its reader ends without replacing it
        self.reader: asyncio.Task[None] | None = None

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

    def send(self, pending: _Pending) -> None:
        """Queue the request in the worker's pipe (the transport writes it at once, or buffers it: at most
        DEPTH bodies, so no flow control is needed)."""
        pending.worker = self
        self.sent.append(pending)
        self.requests.write(frame(pending.body))

    async def answer(self) -> Answer:
        """The answer to the oldest request sent (one frame: the meta JSON, a newline, the response body);
        WorkerFailed when the worker is gone or its answer is broken (or, ``alive``, the review failed)."""
        message = await self._frame()
        header, _, payload = message.partition(b"\n")
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
        """End the worker: close its stdin (it answers what it was sent, then exits), kill it if it lingers
        past the grace time."""
        self.retired = True
        with contextlib.suppress(ConnectionError):
            self.requests.close()
        try:
            async with asyncio.timeout(grace):
                await self.process.wait()
        except TimeoutError:
            self.kill()
            await self.process.wait()


class ReviewPool:
    """Review workers fed from one FIFO queue of requests. ``on_event(event, fields)`` hears of restarts.

    Each worker is sent up to DEPTH requests: the one it reviews and the next, so that it starts the next
    review as soon as it has written an answer instead of waiting for the server (a busy event loop, or a
    server process waiting for a CPU) to send it. A request's budget covers its wait in the queue, in a
    worker's pipe and its review; when it runs out during the review, the worker is killed and the requests
    queued behind it go back to the front of the queue."""

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
        self._waiting: deque[_Pending] = deque()
        self._workers: list[_Worker] = []
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
        self._workers.append(worker)
        worker.reader = asyncio.create_task(self._read_answers(worker))
        self.on_ready_change(self.ready)
        self._dispatch()

    async def review(self, body: bytes, deadline: float) -> Answer:
        """The answer to one AdmissionReview body, by the loop time ``deadline``: the worker's, or the
        timeout policy's when the queue wait and the review take longer."""
        pending = _Pending(body, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        self._dispatch()
        try:
            async with asyncio.timeout_at(deadline):
                return await pending.answer
        except TimeoutError:
            self._abandon(pending, "timeout")
            return self._timed_out(body)
        except WorkerFailed as failure:
            return self._failed(body, str(failure))
        except BaseException:  # cancelled (the shutdown grace ran out)
            self._abandon(pending, "cancelled")
            raise

    def _dispatch(self) -> None:
        """Send queued requests, oldest first, to the workers with the fewest requests, up to DEPTH each."""
        waiting, workers = self._waiting, self._workers
        while waiting and workers:
            worker = min(workers, key=_load)
            if len(worker.sent) >= DEPTH:
                return
            pending = waiting.popleft()
            if not pending.answer.done():
                worker.send(pending)

    def _abandon(self, pending: _Pending, reason: str) -> None:
        """A request answered without its review: taken out of the queue; if its worker is reviewing it, the
        worker is killed (the computation really stops) and replaced. Queued behind another review in a
        worker's pipe, it is reviewed there and the answer dropped."""
        worker = pending.worker
        if worker is None:
            with contextlib.suppress(ValueError):
                self._waiting.remove(pending)
        elif worker.sent and worker.sent[0] is pending:
            worker.sent.popleft()
            self._replace(worker, reason)

    async def _read_answers(self, worker: _Worker) -> None:
        """Hand each of the worker's answers to its request, in order; replace the worker when it fails."""
        while True:
            try:
                answer = await worker.answer()
            except WorkerFailed as failure:
                if worker.retired:  # killed (its requests are queued again) or closed (the grace ran out)
                    for pending in worker.sent:
                        if not pending.answer.done():
                            pending.answer.set_exception(failure)
                    worker.sent.clear()
                    return
                if not failure.alive or not worker.sent:
                    head = worker.sent.popleft() if worker.sent else None
                    if head is not None and not head.answer.done():
                        head.answer.set_exception(failure)
                    self._replace(worker, "exited")
                    return
                head = worker.sent.popleft()
                if not head.answer.done():
                    head.answer.set_exception(failure)
            else:
                if not worker.sent:
                    self._replace(worker, "exited")  # an answer to no request: the stream is broken
                    return
                head = worker.sent.popleft()
                if not head.answer.done():
                    head.answer.set_result(answer)
            self._dispatch()

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
        """Kill the worker and start another; the requests sent to it and not begun go back to the front of
        the queue (the one it was reviewing has been taken off by the caller, who answers it)."""
        if worker.retired:
            return
        worker.retired = True
        worker.kill()
        if worker in self._workers:
            self._workers.remove(worker)
        unbegun = [pending for pending in worker.sent if not pending.answer.done()]
        worker.sent.clear()
        for pending in unbegun:
            pending.worker = None
        self._waiting.extendleft(reversed(unbegun))
        self.on_ready_change(self.ready)
        self.on_event("worker replaced", {"reason": reason, "pid": worker.process.pid})
        if not self._closing:
            task = asyncio.create_task(self._restart(worker, reason))
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)
        self._dispatch()

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
        """Stop every worker (the reviews sent to them have ``grace`` seconds) and any that is starting."""
        self._closing = True
        for task in list(self._starting):
            task.cancel()
        workers, self._workers = list(self._workers), []
        await asyncio.gather(*(w.close(grace) for w in workers), return_exceptions=True)
        for worker in workers:
            if worker.reader is not None:
                worker.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker.reader
        self.on_ready_change(0)


def _load(worker: _Worker) -> int:
    return len(worker.sent)


def _refused(verdict: str, reason: str) -> Answer:
    return Answer(400, json.dumps({"error": reason}).encode(), verdict, {"verdict": verdict, "reason": reason})


def default_workers() -> int:
    """One more than the CPUs this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (a
    container's CPU limit, rounded up), at least 1. The server relays between the workers and runs at
    SCHED_BATCH (scheduling.py), so a worker that has answered may wait for its next request; the spare
    worker keeps every CPU reviewing meanwhile. On 2 CPUs (bench/webhook_load.py, concurrency 32, medians
    of 3 runs, interleaved): 2 workers answered 1,930-2,060 reviews/s with p99 18.7-23.7 ms, 3 workers
    2,130-2,350/s with p99 17.7-20.0 ms, 4 workers p99 20.1 ms (reviews in flight preempted more often)."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
        if quota != "max":
            count = min(count, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, count) + 1
