"""The progress bar a long scan shows on stderr: files read, objects checked, and the rate of each; drawn only
when stderr is a terminal and the scan has run for about a second, and erased when the scan ends.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

DELAY_SECONDS = 1.0  # a scan faster than this shows no bar at all


class ScanProgress:
    """Callbacks for api.run_plan (``reading``, ``checking``) that drive a transient rich progress bar."""

    def __init__(self, stream: TextIO, enabled: bool, delay: float = DELAY_SECONDS) -> None:
        self.enabled = enabled
        self._delay = delay
        self._started_at = time.monotonic()
        self._bar: Progress | None = None
        self._stream = stream
        self._tasks: dict[str, TaskID] = {}
        self._done: dict[str, int] = {}
        self._since: dict[str, float] = {}  # when each unit's first report came (its rate counts from there)

    def reading(self, done: int, total: int) -> object:
        self._advance("files", "reading", done, total)
        return None

    def checking(self, done: int, total: int) -> object:
        self._advance("objects", "checking", done, total)
        return None

    def _advance(self, unit: str, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        self._done[unit] = self._done.get(unit, 0) + done
        self._since.setdefault(unit, self._started_at if not self._since else time.monotonic())
        if self._bar is None:
            if time.monotonic() - self._started_at < self._delay:
                return
            self._bar = Progress(
                TextColumn("{task.description:<8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._bar.start()
        if unit not in self._tasks:
            self._tasks[unit] = self._bar.add_task(label, total=total, unit=unit, rate="")
        elapsed = max(time.monotonic() - self._since[unit], 1e-6)
        rate = f"{self._done[unit] / elapsed:,.0f}/s"
        self._bar.update(self._tasks[unit], completed=self._done[unit], total=total, rate=rate)

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def __enter__(self) -> ScanProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
