"""`kubecheck scan`'s output: the report rendered in the chosen format, input errors on stderr, and the exit
code (0 nothing at or above the threshold, 1 such findings, 2 inputs that could not be read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from ..findings import Report, Severity, error_place
from ..inputs.documents import InputError
from ..report import FORMATS, RenderOptions

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def write_report(report: Report, output: str, options: RenderOptions, out: TextIO, err: TextIO) -> None:
    """Write the report in the format; formats other than text (which lists errors itself) leave the input
    errors to stderr, so that the report stays parseable."""
    out.write(FORMATS[output](report, options))
    if output != "text":
        write_errors(report.errors, err)


def exit_code(report: Report, threshold: Severity) -> int:
    """2 when an input could not be read, else 1 when a finding is at or above the threshold (info
    findings never fail), else 0."""
    if report.errors:
        return EXIT_USAGE
    failing = report.count_at_or_above(max(threshold, Severity.LOW)) > 0
    return EXIT_FINDINGS if failing else EXIT_OK


def write_errors(errors: list[InputError], err: TextIO | Callable[[str], object]) -> None:
    """One line per input error: ``file:line: error: message``."""
    for error in errors:
        line = f"{error_place(error)}: error: {error.message}\n"
        if callable(err):
            err(line.rstrip("\n"))
        else:
            err.write(line)
