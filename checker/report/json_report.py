"""The JSON report: an object with findings, errors and summary (notes when the run has any: baseline counts,
hidden paths, ...; frameworks, per control, when a --framework was asked for); its keys are a contract.

Keys are written in a fixed order so that the same scan always gives the same bytes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..findings import Report
from .escaping import deep, valid_unicode

if TYPE_CHECKING:
    from . import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    document = {
        "findings": [finding.to_dict() for finding in report.findings],
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
    return json.dumps(deep(document, valid_unicode), indent=2, ensure_ascii=False) + "\n"
