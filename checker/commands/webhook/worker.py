"""A review worker process (``python -m checker.commands.webhook.worker``): compiles the rules once, then
answers the AdmissionReview bodies framed on its stdin with admission.review(), one at a time, framed on
its stdout. The server kills it when a review runs past its budget, and it exits when its stdin closes.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
from typing import Any, BinaryIO

from ...api import UsageError, plan
from ...config import ConfigError, load_config
from ...findings import Severity
from ..admission import ReviewSettings, review
from .frames import BrokenFrames, frame, read_frame
from .scheduling import review_at_normal

# The garbage collector runs between reviews, not during them: a review's objects die with it (reference
# counting frees nearly all; a collection of the young generation after each answer frees the cycles), and
# automatic collections inside a big review walk its live objects again and again (a 3,000-container pod
# spent a third of its time there, and a typical review had pauses of 100 ms with large thresholds).
FULL_COLLECTION_EVERY = 1000  # reviews; for the few objects that outlive a review (caches) and die later


def settings_of(setup: dict[str, Any]) -> ReviewSettings:
    """The review settings a setup frame describes (the server built the same plan already, so it is valid)."""
    keys = ("packs", "rules", "skip_rules", "policy_dirs", "settings", "frameworks")
    config_file = setup["plan"].get("config_file")
    controls = load_config(config_file).controls if config_file else None
    chosen = plan(**{key: setup["plan"][key] for key in keys}, controls=controls)
    return ReviewSettings(chosen, Severity.parse(setup["fail_on"]), bool(setup["warn_only"]))


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Read the setup frame, say ready (or why not), then answer every request frame until the end."""
    review_at_normal()  # the server runs at SCHED_BATCH, which it started this process with
    setup = read_frame(requests)
    if setup is None:
        return
    try:
        settings = settings_of(json.loads(setup))
    except (UsageError, ConfigError, ValueError, KeyError) as exc:
        _send(answers, frame(json.dumps({"error": str(exc)}).encode()))
        return
    gc.collect()
    gc.freeze()  # the compiled rules live as long as the process: keep them out of every collection
    gc.disable()
    _send(answers, frame(json.dumps({"ready": True, "rules": len(settings.plan.rules), "pid": os.getpid()}).encode()))
    reviews = 0
    while (body := read_frame(requests)) is not None:
        try:
            outcome = review(settings, body)
        except Exception as exc:  # a bug: the server answers it as a failed review, and logs why
            _send(answers, frame(json.dumps({"failed": f"{type(exc).__name__}: {exc}"}).encode() + b"\n"))
            continue
        finally:
            body = b""
        meta = {
            "status": outcome.status,
            "verdict": outcome.verdict,
            "log": outcome.log_fields(),
            "findings": outcome.findings,
            "denied_by": outcome.denied_by,
        }
        _send(answers, frame(json.dumps(meta).encode() + b"\n" + outcome.encoded()))
        del outcome
        reviews += 1
        gc.collect(2 if reviews % FULL_COLLECTION_EVERY == 0 else 0)  # the answer is sent: off its path


def _send(answers: BinaryIO, data: bytes) -> None:
    answers.write(data)
    answers.flush()


def main() -> None:
    # The server decides when a worker ends: Ctrl-C in a terminal (sent to the whole process group) or a
    # SIGTERM to the group must not cut a review short; the server closes stdin once its reviews are done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the frames
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin.buffer, answers)
    except (BrokenFrames, BrokenPipeError):
        pass  # the server is gone or broke the stream: nothing to answer
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
