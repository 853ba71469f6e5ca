"""Output formats: one module per format, each with ``render(report, options) -> str``.

Adding a format is adding a module and one line in FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..findings import Report
from . import github, gitlab, html, json_report, junit, sarif, text


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    verbose: bool = False
    show_suppressed: bool = False
    destination: str | None = None  # the file the report is written to (None: standard output)
    width: int | None = None  # the terminal's width, to wrap text output to (None: no wrapping)


FORMATS: dict[str, Callable[[Report, RenderOptions], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "gitlab": gitlab.render,
    "html": html.render,
}
