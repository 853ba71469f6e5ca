"""`kubecheck helm-post-render`: a Helm post-renderer (`helm install --post-renderer`) that passes the rendered
manifests through unchanged when they pass, and fails the release with the findings when they do not.

Helm runs the post-renderer with the rendered manifests on stdin and installs what it prints on stdout; a
non-zero exit stops the install (https://helm.sh/docs/topics/advanced/#post-rendering).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api import Plan, run
from ..findings import Severity
from ..inputs.documents import STDIN_NAME
from ..inputs.excludes import Excludes
from ..inputs.render.helm import rendered_stream
from ..report import FORMATS, RenderOptions
from .scan import exit_code


@dataclass
class PostRendered:
    stdout: str
    stderr: str
    code: int


def post_render(chosen: Plan, text: str, threshold: Severity, excludes: Excludes | None = None) -> PostRendered:
    """Check Helm's rendered output: the text itself on stdout when it passes, else the findings (named by the
    templates of the `# Source:` comments) on stderr and exit 1 (2 for input errors). ``excludes`` leave out
    the documents of templates whose `# Source:` path they match, as written (`demo/templates/x.yaml`) or
    relative to the chart (`templates/x.yaml`, as a scan of the chart's folder matches it: `--exclude
    templates/tests/` leaves out helm test hooks); the output stays the whole input."""
    loaded = rendered_stream(text, STDIN_NAME)
    if excludes:
        loaded.documents = [document for document in loaded.documents if not _excluded(document.source.name, excludes)]
    report = run(chosen, loaded).report()
    code = exit_code(report, threshold)
    if code == 0:
        return PostRendered(text, "", 0)
    return PostRendered("", FORMATS["text"](report, RenderOptions(color=False)), code)


def _excluded(name: str, excludes: Excludes) -> bool:
    if name == STDIN_NAME:
        return False
    in_chart = name.split("/", 1)[1] if "/" in name else name
    return excludes.why(name, None) is not None or excludes.why(in_chart, None) is not None
