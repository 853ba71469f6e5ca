"""`kubecheck scan`'s output: the report rendered in each chosen format (to standard output, or FORMAT=PATH to
a file), input errors on stderr, and the exit code (0 nothing at or above the threshold, 1 such findings, 2
inputs that could not be read or a report that could not be written).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TextIO

from ..findings import Report, Severity, error_place
from ..inputs.documents import InputError
from ..report import FORMATS, RenderOptions, write
from ..report.escaping import visible
from ..suggest import did_you_mean

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Output:
    """One report to write: its format, and the file it goes to (None: standard output)."""

    format: str
    path: str | None = None


def parse_output(text: str) -> Output:
    """``FORMAT`` or ``FORMAT=PATH``; ValueError naming the formats when FORMAT is none of them."""
    name, sep, path = text.partition("=")
    name = name.strip()
    if name not in FORMATS:
        hint = did_you_mean(name, FORMATS)
        raise ValueError(f"{name!r} is not one of {', '.join(map(repr, FORMATS))}{hint} (write FORMAT or FORMAT=PATH)")
    if sep and not path.strip():
        raise ValueError(f"{text!r}: give the file after the =, as in {name}=report.{name}")
    return Output(name, path if sep else None)


def check_outputs(outputs: list[Output]) -> str | None:
    """What is wrong with a set of outputs (two to standard output, or two to one file), or None."""
    if sum(1 for o in outputs if o.path is None) > 1:
        return "only one --output can go to standard output; write the others to files with FORMAT=PATH"
    paths = [o.path for o in outputs if o.path is not None]
    twice = next((p for p in paths if paths.count(p) > 1), None)
    return f"two --output options write {twice}" if twice else None


def write_report(report: Report, outputs: list[Output], options: RenderOptions, out: TextIO, err: TextIO) -> bool:
    """Write the report in each format, to standard output or its file. Input errors go to stderr unless a text
    report on standard output lists them itself (a machine-readable report stays parseable). A file that cannot
    be written is named on stderr and the others are still written; False then."""
    ok = True
    for output in outputs:
        if output.path is None:
            write(output.format, report, options, out)
            continue
        try:
            with open(output.path, "w", encoding="utf-8", newline="") as handle:
                write(output.format, report, replace(options, color=False, destination=output.path), handle)
        except OSError as exc:
            err.write(f"error: cannot write the {output.format} report to {output.path}: {exc.strerror or exc}\n")
            ok = False
            continue
        err.write(f"kubecheck: {output.format} report written to {output.path}\n")
    if not any(o.path is None and o.format == "text" for o in outputs):
        write_errors(report.errors, err)
    return ok


def exit_code(report: Report, threshold: Severity) -> int:
    """2 when an input could not be read, else 1 when a finding is at or above the threshold (info
    findings never fail), else 0."""
    if report.errors:
        return EXIT_USAGE
    failing = report.count_at_or_above(max(threshold, Severity.LOW)) > 0
    return EXIT_FINDINGS if failing else EXIT_OK


def write_errors(errors: list[InputError], err: TextIO | Callable[[str], object]) -> None:
    """One line per input error: ``file:line: error: message``, control characters and undecodable bytes of
    file names shown as visible escapes."""
    for error in errors:
        line = f"{visible(error_place(error))}: error: {visible(error.message)}\n"
        if callable(err):
            err(line.rstrip("\n"))
        else:
            err.write(line)
