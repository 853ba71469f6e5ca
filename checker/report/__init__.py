"""Output formats: one module per format, each with ``render(report, options) -> str``; the formats that
write as they go (text, json, sarif: a report of any size in little memory) also have ``write(report,
options, out)``, listed in WRITERS.

Adding a format is adding a module and one line in FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

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

Writer = Callable[[Report, RenderOptions, TextIO], None]
# formats written piece by piece as their findings are read; the others are rendered whole (junit groups
# findings by rule, github and gitlab are small, html counts findings many ways before its table)
WRITERS: dict[str, Writer] = {"text": text.write, "json": json_report.write, "sarif": sarif.write}


def write(name: str, report: Report, options: RenderOptions, out: TextIO) -> None:
    """Write the report in a format to out: as it goes where the format can, else rendered whole."""
    writer = WRITERS.get(name)
    if writer is not None:
        writer(report, options, out)
    else:
        out.write(FORMATS[name](report, options))
