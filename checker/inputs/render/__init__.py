"""Charts and overlays as inputs: find the Helm charts and kustomize overlays among the discovered files,
render them into ordinary documents (whose Source carries an origin that maps findings back), and leave the
files they consumed out of the raw inputs so that nothing is checked twice.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..documents import Document, InputError, LoadResult
from ..excludes import Excludes
from .cache import RenderCache, cached, chart_key, executable_identity, helm_sdk_identity, overlay_key
from .charts import ChartSettings, chart_roots, is_chart_file, loose_templates
from .helm import render_chart
from .kustomize import KUSTOMIZATION_NAMES, build_one, build_overlays, command_identity, overlay_roots


@dataclass(frozen=True)
class RenderOptions:
    """How charts and overlays are rendered: --values, --helm-set, --release-name, --namespace (None: the
    configuration's for the chart, else release-name and default); enabled is False for --no-render (every
    file read raw, as before). ``excludes`` (--exclude and the configuration's exclude:) apply whether or not
    charts are rendered. ``charts``: the configuration's per-chart settings, in file order."""

    enabled: bool = True
    values: tuple[str, ...] = ()
    helm_set: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str | None = None
    excludes: Excludes = field(default_factory=Excludes)
    charts: tuple[ChartSettings, ...] = ()

    def for_chart(self, chart: str) -> ChartSettings:
        """The settings a chart is rendered with: every configuration entry matching it, in file order (values
        files and assignments added, a later release name or namespace winning), then the command line's
        (values files and --helm-set after the configuration's, so they win; --release-name and --namespace
        replace the configuration's)."""
        values: tuple[str, ...] = ()
        helm_set: tuple[str, ...] = ()
        release, namespace = "release-name", "default"
        for entry in self.charts:
            if entry.matches(chart):
                values, helm_set = values + entry.values, helm_set + entry.helm_set
                release, namespace = entry.release_name or release, entry.namespace or namespace
        return ChartSettings(
            chart,
            ".",
            "",
            values + self.values,
            helm_set + self.helm_set,
            self.release_name or release,
            self.namespace or namespace,
        )


@dataclass
class Rendered:
    """The raw inputs left to read, what the charts and overlays rendered to, and notes for the report."""

    inputs: list[str]
    result: LoadResult = field(default_factory=LoadResult)
    notes: list[str] = field(default_factory=list)


def render_inputs(
    inputs: list[str],
    options: RenderOptions | None,
    cache: RenderCache | None = None,
    salt: str = "",
    jobs: int = 1,
    sink: Callable[[list[Document]], None] | None = None,
) -> Rendered:
    """Render the charts (a directory holding Chart.yaml) and overlays (a directory holding a kustomization)
    found among the inputs; their files are consumed, every other input is left to be read raw. ``cache``:
    where rendered charts and built overlays are kept between scans (cache.py), under keys that also hold
    ``salt`` (kubecheck's code hash); ``jobs``: overlays built at once (the same result for any number).
    ``sink``: given each chart's and each overlay's documents as soon as they are rendered, in the order
    they would have in the result, which then holds none (the caller keeps them as it likes: the scan
    packs them as they come instead of holding every rendered document at once)."""
    options = options or RenderOptions()
    if not options.enabled:
        return Rendered(list(inputs))
    rendered = Rendered([])
    take = sink or rendered.result.documents.extend
    charts = chart_roots(inputs)
    consumed: set[str] = set()
    for chart in charts:
        chosen = options.for_chart(chart)
        release, namespace = chosen.release_name or "release-name", chosen.namespace or "default"
        key = None
        if cache is not None:
            renderer = executable_identity(shutil.which("helm")) if shutil.which("helm") else helm_sdk_identity()
            key = chart_key(_salt(salt), renderer, chart, chosen.values, chosen.helm_set, release, namespace)
        part = cached(
            cache, key, functools.partial(render_chart, chart, chosen.values, chosen.helm_set, release, namespace)
        )
        take(part.documents)
        rendered.result.errors.extend(part.errors)
        rendered.result.inputs += 1
    outside = [name for name in inputs if name == "-" or not is_chart_file(name, charts)]
    overlays = overlay_roots(outside)
    if overlays:
        built = build_overlays(overlays, _cached_build(cache, salt) if cache is not None else None, jobs, take)
        rendered.result.errors.extend(built.result.errors)
        rendered.result.inputs += built.result.inputs
        consumed = built.consumed
    for name in outside:
        if name != "-" and os.path.realpath(name) in consumed:
            continue
        rendered.inputs.append(name)
    loose = loose_templates(rendered.inputs)
    for folder, files in loose.items():
        rendered.notes.append(
            f"{folder}: {len(files)} Helm template file(s) outside any chart (no Chart.yaml above them): "
            "not rendered and not checked (scan the chart, or leave them out with --exclude)"
        )
    skipped = {name for files in loose.values() for name in files}
    rendered.inputs = [name for name in rendered.inputs if name not in skipped]
    return rendered


def _salt(salt: str) -> str:
    return f"{salt}\0{os.getcwd()}"  # relative paths (charts, values files, overlays) name other files elsewhere


def _cached_build(cache: RenderCache, salt: str) -> Callable[[Any, list[str]], LoadResult]:
    builder = command_identity()

    def build(overlay: Any, folders: list[str]) -> LoadResult:
        key = overlay_key(_salt(salt), builder, overlay.root, folders)
        return cached(cache, key, functools.partial(build_one, overlay))

    return build


__all__ = [
    "KUSTOMIZATION_NAMES",
    "ChartSettings",
    "Excludes",
    "InputError",
    "RenderCache",
    "RenderOptions",
    "Rendered",
    "render_inputs",
]
