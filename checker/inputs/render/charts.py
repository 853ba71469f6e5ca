"""Which inputs belong to a Helm chart: a directory holding Chart.yaml is a chart (subcharts under its
charts/ folder are rendered with it); files of a templates/ folder with no Chart.yaml above are loose templates.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pathspec import GitIgnoreSpec

CHART_FILE = "Chart.yaml"
_DIRECTIVE = re.compile(r"\{\{-?\s")


@dataclass(frozen=True)
class ChartSettings:
    """Render settings the configuration gives the charts a path pattern matches (gitignore-style, relative
    to ``base``, the configuration file's folder): values files (paths as the run opens them), --set
    assignments, release name and namespace (None: not set here). ``place``: FILE:LINE of the entry."""

    pattern: str
    base: str
    place: str
    values: tuple[str, ...] = ()
    helm_set: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str | None = None

    def matches(self, chart: str) -> bool:
        relative = os.path.relpath(os.path.abspath(chart), os.path.abspath(self.base))
        if relative.startswith(os.pardir):
            return False
        if relative == os.curdir:
            return self.pattern.strip("/") in ("", ".")
        spec = GitIgnoreSpec.from_lines([self.pattern.rstrip("/") + "/"])
        return spec.match_file(relative.replace(os.sep, "/") + "/")


def chart_roots(inputs: list[str]) -> list[str]:
    """The outermost chart directories among the inputs (a chart's Chart.yaml is itself an input), in order."""
    roots = [os.path.dirname(name) or "." for name in inputs if os.path.basename(name) == CHART_FILE]
    outermost = [root for root in roots if not any(_inside(root, other) for other in roots if other != root)]
    return list(dict.fromkeys(outermost))


def is_chart_file(name: str, roots: list[str]) -> bool:
    """Whether an input is one of a chart's own files (rendered through the chart). Files under crds/ stay
    plain inputs: Helm installs them as they are, unrendered."""
    for root in roots:
        if _inside(name, root):
            parts = os.path.relpath(name, root).split(os.sep)
            return "crds" not in parts[:-1]
    return False


def loose_templates(inputs: list[str]) -> dict[str, list[str]]:
    """Files under a templates/ folder that hold Helm directives ({{ ... }}), with no Chart.yaml in any
    folder above: a chart's templates copied without the chart, which cannot be rendered. Keyed by the
    templates/ folder."""
    found: dict[str, list[str]] = {}
    for name in inputs:
        if name == "-":
            continue
        parts = name.split(os.sep)
        if "templates" not in parts[:-1]:
            continue
        last = max(i for i, part in enumerate(parts[:-1]) if part == "templates")
        folder = os.sep.join(parts[: last + 1])
        if _has_chart_above(folder) or not _has_directive(name):
            continue
        found.setdefault(folder, []).append(name)
    return found


def _has_chart_above(folder: str) -> bool:
    current = os.path.abspath(folder)
    while True:
        if os.path.isfile(os.path.join(current, CHART_FILE)):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def _has_directive(name: str) -> bool:
    try:
        with open(name, encoding="utf-8", errors="replace") as handle:
            return bool(_DIRECTIVE.search(handle.read()))
    except OSError:
        return False


def _inside(path: str, root: str) -> bool:
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return relative != "." and not relative.startswith("..")
