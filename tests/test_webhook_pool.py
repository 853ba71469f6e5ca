"""The review pool's bookkeeping, with stand-in workers (the real ones are started in test_webhook): a
review a worker reports as failed is denied and the worker kept; a broken answer or a queue that stays empty
past the budget is answered by policy; workers that are replaced are counted."""

from __future__ import annotations

import asyncio
import json

import pytest

from checker.commands.webhook import pool as pool_module
from checker.commands.webhook.frames import frame
from checker.commands.webhook.pool import ReviewPool, WorkerFailed, WorkerSetup, _Worker

from .conftest import FIXTURES

REVIEW = (FIXTURES / "admission" / "review-create-deployment.json").read_bytes()
SETUP = WorkerSetup([], [], [], [], [], "high", False)


class _Pipe:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Process:
    def __init__(self, answers: bytes) -> None:
        self.stdin = _Pipe()
        self.stdout = asyncio.StreamReader()
        self.stdout.feed_data(answers)
        self.pid, self.returncode, self.killed = 4242, None, False

    def kill(self) -> None:
        self.killed, self.returncode = True, -9

    async def wait(self) -> int:
        return self.returncode or 0


def _pool(answers: bytes, events: list, budget: float = 1.0) -> tuple[ReviewPool, _Worker]:
    pool = ReviewPool(SETUP, 1, budget, False, on_event=lambda event, fields: events.append((event, fields)))
    worker = _Worker(_Process(answers))  # type: ignore[arg-type]
    pool._adopt(worker)
    return pool, worker


@pytest.fixture(autouse=True)
def no_real_workers(monkeypatch):
    async def cannot_start(setup):
        raise WorkerFailed("no worker in this test")

    monkeypatch.setattr(_Worker, "start", cannot_start)
    monkeypatch.setattr(pool_module, "RESTART_DELAY", 0.01)


def test_a_failed_review_is_denied_and_the_worker_kept() -> None:
    async def scenario():
        events: list = []
        pool, worker = _pool(frame(b'{"failed": "KeyError: x"}') + frame(b""), events)
        answer = await pool.review(REVIEW, asyncio.get_running_loop().time() + 1)
        assert pool.ready == 1 and not worker.process.killed and events == []
        assert worker.requests.written == frame(REVIEW)  # type: ignore[attr-defined]
        await pool.close()
        return answer

    answer = asyncio.run(scenario())
    response = json.loads(answer.body)["response"]
    assert answer.status == 200 and answer.verdict == "failed" and response["allowed"] is False
    assert response["status"]["code"] == 500
    assert response["status"]["message"] == "kubecheck: the review failed (the review failed: KeyError: x)"


def test_a_broken_answer_replaces_the_worker() -> None:
    async def scenario():
        events: list = []
        pool, worker = _pool(frame(b"not json") + frame(b""), events)
        answer = await pool.review(REVIEW, asyncio.get_running_loop().time() + 1)
        assert worker.process.killed and pool.ready == 0
        assert events[0] == ("worker replaced", {"reason": "exited", "pid": 4242})
        await asyncio.sleep(0.05)  # the replacement is tried (and fails here), and tried again
        assert ("worker start failed", {"error": "no worker in this test"}) in events
        await pool.close()
        return answer

    answer = asyncio.run(scenario())
    assert answer.verdict == "failed" and "broken answer" in json.loads(answer.body)["response"]["status"]["message"]


def test_no_idle_worker_until_the_deadline_is_a_timeout_answer() -> None:
    async def scenario():
        events: list = []
        pool, worker = _pool(b"", events, budget=0.2)
        await pool._idle.get()  # the only worker is busy elsewhere
        answer = await pool.review(REVIEW, asyncio.get_running_loop().time() + 0.2)
        assert not worker.process.killed and events == []  # nobody to stop: it never started this review
        await pool.close()
        return answer

    answer = asyncio.run(scenario())
    response = json.loads(answer.body)["response"]
    assert answer.verdict == "timeout_denied" and response["status"]["code"] == 504


def test_a_timeout_answer_to_a_body_without_uid_is_a_400() -> None:
    async def scenario():
        pool, _ = _pool(b"", [], budget=0.1)
        await pool._idle.get()
        answer = await pool.review(b'{"kind": "AdmissionReview"}', asyncio.get_running_loop().time() + 0.1)
        await pool.close()
        return answer

    answer = asyncio.run(scenario())
    assert answer.status == 400 and answer.verdict == "timeout_denied"
    assert json.loads(answer.body)["error"].endswith("and the body is not an AdmissionReview that can be answered")
