"""The review pool's bookkeeping, with stand-in workers (the real ones are started in test_webhook): a
review a worker reports as failed is denied and the worker kept; a broken answer or a queue that stays empty
past the budget is answered by policy; workers that are replaced are counted."""

from __future__ import annotations

import asyncio
import json

import pytest

from checker.commands.webhook import pool as pool_module
from checker.commands.webhook.frames import frame
from checker.commands.webhook.pool import DEPTH, ReviewPool, WorkerFailed, WorkerSetup, _Pending, _Worker

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


def _busy(worker: _Worker) -> None:
    """Fill the worker's pipe with requests that are never answered: it is busy elsewhere."""
    for _ in range(DEPTH):
        worker.sent.append(_Pending(b"{}", asyncio.get_running_loop().create_future(), worker))


@pytest.fixture(autouse=True)
def no_real_workers(monkeypatch):
    async def cannot_start(setup):
        raise WorkerFailed("no worker in this test")

    monkeypatch.setattr(_Worker, "start", cannot_start)
    monkeypatch.setattr(pool_module, "RESTART_DELAY", 0.01)


def test_a_failed_review_is_denied_and_the_worker_kept() -> None:
    async def scenario():
        events: list = []
        pool, worker = _pool(frame(b'{"failed": "KeyError: x"}\n'), events)
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
        pool, worker = _pool(frame(b"not json\n"), events)
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
        _busy(worker)
        answer = await pool.review(REVIEW, asyncio.get_running_loop().time() + 0.2)
        assert not worker.process.killed and events == []  # nobody to stop: it never started this review
        await pool.close()
        return answer

    answer = asyncio.run(scenario())
    response = json.loads(answer.body)["response"]
    assert answer.verdict == "timeout_denied" and response["status"]["code"] == 504


def test_a_timeout_answer_to_a_body_without_uid_is_a_400() -> None:
    async def scenario():
        pool, worker = _pool(b"", [], budget=0.1)
        _busy(worker)
        answer = await pool.review(b'{"kind": "AdmissionReview"}', asyncio.get_running_loop().time() + 0.1)
        await pool.close()
        return answer

    answer = asyncio.run(scenario())
    assert answer.status == 400 and answer.verdict == "timeout_denied"
    assert json.loads(answer.body)["error"].endswith("and the body is not an AdmissionReview that can be answered")


def _answer(body: bytes) -> bytes:
    meta = {"status": 200, "verdict": "allowed", "log": {}, "findings": [], "denied_by": []}
    return frame(json.dumps(meta).encode() + b"\n" + body)


def test_a_worker_is_sent_its_next_review_before_it_answers_and_answers_in_order() -> None:
    async def scenario():
        pool, worker = _pool(b"", [])
        deadline = asyncio.get_running_loop().time() + 5
        first = asyncio.create_task(pool.review(b"first", deadline))
        second = asyncio.create_task(pool.review(b"second", deadline))
        await asyncio.sleep(0)
        assert worker.requests.written == frame(b"first") + frame(b"second")  # type: ignore[attr-defined]
        worker.answers.feed_data(_answer(b"answer 1") + _answer(b"answer 2"))
        answers = await asyncio.gather(first, second)
        await pool.close()
        return answers

    first, second = asyncio.run(scenario())
    assert (first.body, second.body) == (b"answer 1", b"answer 2")


def test_a_review_past_its_budget_stops_its_worker_and_the_review_queued_behind_it_goes_to_another() -> None:
    async def scenario():
        events: list = []
        pool, stalled = _pool(b"", events)
        other = _Worker(_Process(b""))  # type: ignore[arg-type]
        _busy(other)
        pool._adopt(other)
        now = asyncio.get_running_loop().time()
        late = asyncio.create_task(pool.review(REVIEW, now + 0.2))
        queued = asyncio.create_task(pool.review(b"queued", now + 5))
        await asyncio.sleep(0)
        assert stalled.requests.written == frame(REVIEW) + frame(b"queued")  # type: ignore[attr-defined]
        timed_out = await late
        assert stalled.process.killed and events[0] == ("worker replaced", {"reason": "timeout", "pid": 4242})
        other.answers.feed_data(_answer(b"") * DEPTH + _answer(b"queued answer"))  # it ends its reviews
        answer = await queued
        assert other.requests.written == frame(b"queued")  # type: ignore[attr-defined]
        await pool.close()
        return timed_out, answer

    timed_out, answer = asyncio.run(scenario())
    assert timed_out.verdict == "timeout_denied" and answer.body == b"queued answer"
