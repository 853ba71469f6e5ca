"""Render one Helm chart into documents: a `helm` executable on PATH (`helm template`), else the Helm Go SDK of
the helm-python-sdk wheel (offline; `lookup` returns nothing). Each template's output becomes a Source named by
the template file, whose HelmOrigin maps findings back to template lines and values-file keys.

The SDK returns {"<chart>/templates/x.yaml": text} without `# Source:` comments, with NOTES.txt and empty
outputs of disabled templates; crds/ are not rendered (Helm installs them as they are). Its Go runtime must not
be forked after it is loaded (research notes, /work/scratch/research/REPORT.md section 1).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import yaml

from ..documents import InputError, LoadResult, Source
from ..yaml_parser import parse_yaml
from .origin import HelmOrigin
from .values import deep_merge

INSTALL_HINT = "put a `helm` executable on PATH or install the Helm SDK: pip install 'kubecheck[helm]'"
SOURCE_COMMENT = re.compile(r"^# Source: (\S.*?)\s*$", re.MULTILINE)
# Helm splits a manifest on "---" even when text follows it on the line ("---# comment"), which YAML does not:
# its separator is the regex (?:^|\s*\n)---\s* (helm pkg/release/util/manifest.go, SplitManifests).
_GLUED_SEPARATOR = re.compile(r"^---(?=[^\s-])", re.MULTILINE)
_ERROR_PLACE = re.compile(r"([\w.-]+(?:/charts/[\w.-]+)*/templates/[^\s:()]+):(\d+)")


def render_chart(
    chart: str, values: tuple[str, ...], helm_set: tuple[str, ...], release: str, namespace: str
) -> LoadResult:
    """The documents of a chart directory rendered with the user's values, or input errors saying why not."""
    missing = missing_dependencies(chart)
    if missing:
        return _error(
            chart,
            "Chart.yaml",
            None,
            f"chart dependencies missing from charts/: {', '.join(missing)} (run `helm dependency build`)",
        )
    user_values: dict[str, Any] = {}
    value_files: list[str] = []
    for name in values:
        try:
            with open(name, encoding="utf-8") as handle:
                loaded = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as exc:
            return _error(chart, None, None, f"--values {name}: cannot read: {exc}")
        if not isinstance(loaded, dict):
            return _error(chart, None, None, f"--values {name}: not a mapping of values")
        deep_merge(user_values, loaded)
        value_files.append(name)
    executable = shutil.which("helm")
    if executable:
        outputs = _render_with_executable(executable, chart, value_files, helm_set, release, namespace)
    else:
        outputs = _render_with_sdk(chart, user_values, helm_set, release, namespace)
    if isinstance(outputs, InputError):
        return LoadResult(errors=[outputs], inputs=1)
    chart_values = os.path.join(chart, "values.yaml")
    origin_values = ([chart_values] if os.path.isfile(chart_values) else []) + value_files
    result = LoadResult(inputs=1)
    for key in sorted(outputs):
        text = outputs[key]
        relative = key.split("/", 1)[1] if "/" in key else key
        if os.path.basename(relative) == "NOTES.txt" or not text.strip():
            continue
        template = os.path.normpath(os.path.join(chart, relative))
        text = _GLUED_SEPARATOR.sub("--- ", text)
        origin = HelmOrigin(chart, template, text, tuple(origin_values), tuple(helm_set))
        parsed = parse_yaml(Source(template, text, origin=origin))
        result.documents.extend(parsed.documents)
        result.errors.extend(
            InputError(error.file, error.line, f"rendered output: {error.message}") for error in parsed.errors
        )
    return result


def missing_dependencies(chart: str) -> list[str]:
    """The dependencies Chart.yaml names that are not in charts/ (as a folder or a .tgz archive)."""
    try:
        with open(os.path.join(chart, "Chart.yaml"), encoding="utf-8") as handle:
            metadata = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError):
        return []  # the renderer reports a broken Chart.yaml with its own words
    missing: list[str] = []
    charts_dir = os.path.join(chart, "charts")
    present = os.listdir(charts_dir) if os.path.isdir(charts_dir) else []
    for dependency in metadata.get("dependencies") or [] if isinstance(metadata, dict) else []:
        name = dependency.get("name") if isinstance(dependency, dict) else None
        if not isinstance(name, str):
            continue
        if name in present or any(entry.startswith(f"{name}-") and entry.endswith(".tgz") for entry in present):
            continue
        missing.append(name)
    return missing


def _render_with_sdk(
    chart: str, values: dict[str, Any], helm_set: tuple[str, ...], release: str, namespace: str
) -> dict[str, str] | InputError:
    try:
        import helm_python
    except ImportError:
        return InputError(chart, None, f"a Helm chart, and no renderer: {INSTALL_HINT}")
    for assignment in helm_set:  # Helm's own --set parser
        try:
            deep_merge(values, helm_python.parse_set_string(assignment))
        except helm_python.HelmError as exc:
            return InputError(chart, None, f"--helm-set {assignment}: {' '.join(str(exc).split())}")
    try:
        with helm_python.Chart.load(chart) as loaded:
            outputs: dict[str, str] = loaded.render(values or None, name=release, namespace=namespace)
    except helm_python.HelmError as exc:
        return _helm_error(chart, str(exc))
    return outputs


def _render_with_executable(
    executable: str, chart: str, values: list[str], helm_set: tuple[str, ...], release: str, namespace: str
) -> dict[str, str] | InputError:
    command = [executable, "template", release, chart, "--namespace", namespace]
    for name in values:
        command += ["--values", name]
    for assignment in helm_set:
        command += ["--set", assignment]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return InputError(chart, None, f"helm template failed: {exc}")
    if done.returncode != 0:
        return _helm_error(chart, done.stderr.strip() or f"helm template exited {done.returncode}")
    return split_by_source(done.stdout)


def split_by_source(text: str) -> dict[str, str]:
    """The output of `helm template` per `# Source:` template path (documents of one template joined)."""
    outputs: dict[str, str] = {}
    for document in re.split(r"^---[ \t]*$", text, flags=re.MULTILINE):
        match = SOURCE_COMMENT.search(document)
        key = match.group(1) if match else ""
        outputs[key] = outputs.get(key, "") + ("---\n" if key in outputs else "") + document.strip("\n") + "\n"
    outputs.pop("", None)
    return outputs


def _helm_error(chart: str, message: str) -> InputError:
    """A rendering error at the template file and line Helm names (its paths start with the chart's name)."""
    message = " ".join(message.split())
    place = _ERROR_PLACE.search(message)
    if place:
        relative = place.group(1).split("/", 1)[1]
        return InputError(os.path.normpath(os.path.join(chart, relative)), int(place.group(2)), message)
    return InputError(chart, None, message)


def _error(chart: str, file: str | None, line: int | None, message: str) -> LoadResult:
    return LoadResult(errors=[InputError(os.path.join(chart, file) if file else chart, line, message)], inputs=1)


def rendered_stream(text: str, name: str) -> LoadResult:
    """The documents of `helm template`/post-renderer output: each template's documents as a source named by
    its `# Source:` path (as Helm writes it: chart name, then the template's path); documents before any
    `# Source:` comment keep the stream's own name."""
    result = LoadResult()
    chunks: dict[str, list[str]] = {}
    for document in re.split(r"^---[ \t]*$", _GLUED_SEPARATOR.sub("--- ", text), flags=re.MULTILINE):
        match = SOURCE_COMMENT.search(document)
        chunks.setdefault(match.group(1) if match else name, []).append(document.strip("\n"))
    result.inputs = len(chunks)
    for source_name, documents in chunks.items():
        body = "\n---\n".join(part for part in documents if part.strip()) + "\n"
        parsed = parse_yaml(Source(source_name, body))
        result.documents.extend(parsed.documents)
        result.errors.extend(parsed.errors)
    return result
