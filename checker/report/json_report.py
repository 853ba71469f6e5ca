"""The JSON report: an object with findings, errors and summary (notes when the run has any: baseline counts,
hidden paths, ...; frameworks, per control, when a --framework was asked for); its keys are a contract.

Keys are written in a fixed order so that the same scan always gives the same bytes. The findings are written
one at a time as they are read (json_stream), so a report of any size needs no more memory than one finding.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, TextIO

from ..findings import Report
from .escaping import deep, valid_unicode
from .json_stream import Streamed, write_json

if TYPE_CHECKING:
    from . import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    out = io.StringIO()
    write(report, options, out)
    return out.getvalue()


def write(report: Report, options: RenderOptions, out: TextIO) -> None:
    document = {
        "findings": Streamed(finding.to_dict() for finding in report.findings),
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in report.errors],
        "summary": report.summary(),
    }
    if report.notes:  # absent without notes, so a report without any stays byte for byte as it was
        document["notes"] = list(report.notes)
    if options.show_suppressed:
        document["suppressed"] = [item.to_dict() for item in report.suppressed]
    if report.frameworks:
        document["frameworks"] = [framework.to_dict() for framework in report.frameworks]
    # valid UTF-8 whatever a file name holds; json.dumps escapes the control characters
    write_json(document, out, lambda piece: deep(piece, valid_unicode))
