"""The Linux scheduling policies of the webhook's processes: the server (a relay that wakes for every
request and answer) at SCHED_BATCH, so that its wake-ups do not preempt a review; the review workers normal.

Under load every CPU runs a review worker. A normal task that wakes up preempts the task running on its
CPU; the server wakes for each request and each answer, so each wake-up cut a review short (a context
switch, and caches the review has to warm again). A SCHED_BATCH task does not preempt on wake-up: it waits
for the running task's time slice to end, or for a CPU to go idle, and then handles every event that has
arrived. It still gets its fair share of CPU; only its wake-ups stop preempting. Where a CPU is idle (low
load) it runs at once, as before. Sources: sched(7), "SCHED_BATCH: Scheduling batch processes"; Linux
kernel/sched/fair.c, check_preempt_wakeup_fair(): "Batch and idle tasks do not preempt non-idle tasks
(their preemption is driven by the tick)".

Workers inherit the policy of the process that starts them, so each sets itself back to the normal policy:
a worker that wakes for a request after waiting still starts its review at once. Changing between these two
policies needs no privilege (sched(7)); where the call does not exist (not Linux) nothing changes.
"""

from __future__ import annotations

import os


def relay_at_batch() -> None:
    """Put this process (the server) at SCHED_BATCH, where the platform has the policy; OSError when the
    kernel refuses (a seccomp profile that forbids the call)."""
    if hasattr(os, "SCHED_BATCH"):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def review_at_normal() -> None:
    """Put this process (a review worker) back at the normal policy if it inherited SCHED_BATCH; a refusal
    leaves it as it is (it still reviews, only its wake-ups wait for a time slice to end)."""
    if not hasattr(os, "SCHED_BATCH"):
        return
    try:
        if os.sched_getscheduler(0) == os.SCHED_BATCH:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except OSError:
        pass
