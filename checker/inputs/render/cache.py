"""Rendered charts and built overlays kept between scans (--cache): an entry is keyed by the content of every
file the render can read, the render options and the renderer, so a changed template, values file, base or
option renders again and an unchanged chart or overlay is not rendered at all.

- a chart: every file under its folder (subcharts in charts/, .helmignore, files read by .Files included;
  Helm loads a chart folder whole: helm pkg/chart/loader/directory.go), each --values file, the --helm-set
  assignments, release name and namespace, and the renderer (the helm executable's path, size and
  modification time, or the helm-python-sdk version);
- an overlay: the path it is named by (the output names files by it), every file directly in the folder of
  each kustomization it includes (its own and its bases' and components', found through the kustomization
  files), every file any of those kustomization files names (any string value that is the path of a file:
  resources, patches, generators' files, configurations, ...), the folders' listings (a new file counts),
  and the builder (the kustomize or kubectl executable's path, size and modification time).
Keys also hold kubecheck's own code hash (given by the caller), as the rendered documents are parsed by it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import yaml

from ..documents import LoadResult
from .kustomize import kustomization_file

MAX_FILES = 20_000  # a chart or overlay reading more files than this is rendered without the cache


class RenderCache(Protocol):
    """Where rendered results are kept: scan_cache.ScanCache fits (get returns None for a miss)."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


class _Digest:
    """A hash of named parts; None once more than MAX_FILES files went in (too many to be worth it)."""

    def __init__(self, *parts: str) -> None:
        self.hash = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass"))
        self.files = 0

    def text(self, *parts: str) -> None:
        self.hash.update(("\0".join(parts) + "\n").encode("utf-8", "surrogatepass"))

    def file(self, path: str) -> None:
        self.files += 1
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            self.text("unreadable", path, type(exc).__name__)
            return
        self.text("file", path, str(len(data)))
        self.hash.update(data)

    def key(self) -> str | None:
        return self.hash.hexdigest() if self.files <= MAX_FILES else None


def executable_identity(path: str | None) -> str:
    """An executable as it is now: its path, size and modification time (a new version is a new file)."""
    if path is None:
        return "none"
    try:
        status = os.stat(path)
    except OSError:
        return f"{path} (unreadable)"
    return f"{path} {status.st_size} {status.st_mtime_ns}"


def helm_sdk_identity() -> str:
    try:
        from importlib.metadata import version

        return "helm-python-sdk " + version("helm-python-sdk")
    except Exception:
        return "helm-python-sdk unknown"


def chart_key(
    salt: str,
    renderer: str,
    chart: str,
    values: tuple[str, ...],
    helm_set: tuple[str, ...],
    release: str,
    namespace: str,
) -> str | None:
    """The key of a chart rendered with these options, or None when it holds too many files to hash."""
    digest = _Digest("chart", salt, renderer, chart, release, namespace, *helm_set)
    for name in values:
        digest.file(name)
    seen: set[str] = set()
    for folder, folders, files in os.walk(chart, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symlink loop: Helm's loader reports it; the key just stops there
            folders.clear()
            continue
        seen.add(real)
        folders.sort()
        digest.text("folder", os.path.relpath(folder, chart), *sorted(files))
        for name in sorted(files):
            digest.file(os.path.join(folder, name))
        if digest.files > MAX_FILES:
            return None
    return digest.key()


def overlay_key(salt: str, builder: str, root: str, closure: Iterable[str]) -> str | None:
    """The key of an overlay (named by ``root``) whose kustomization folders are ``closure`` (real paths,
    the overlay's own first), or None when they hold too many files to hash."""
    digest = _Digest("overlay", salt, builder, root)
    named: set[str] = set()
    for folder in closure:
        try:
            entries = sorted(os.listdir(folder))
        except OSError as exc:
            digest.text("unlistable", folder, type(exc).__name__)
            continue
        digest.text("folder", folder, *entries)
        for entry in entries:
            path = os.path.join(folder, entry)
            if os.path.isfile(path):
                digest.file(path)
        named |= _named_files(folder)
        if digest.files > MAX_FILES:
            return None
    for path in sorted(named):
        digest.file(path)
    return digest.key()


def _named_files(folder: str) -> set[str]:
    """Every file a kustomization names by any string value (relative to its folder), wherever it is."""
    file = kustomization_file(folder)
    if file is None:
        return set()
    try:
        with open(file, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=yaml.CSafeLoader)  # libyaml's safe loader: only paths are wanted
    except (OSError, yaml.YAMLError, RecursionError):
        return set()
    found: set[str] = set()
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and "\n" not in value and len(value) < 4096:
            for candidate in (value, value.split("=", 1)[-1]):
                path = os.path.normpath(os.path.join(folder, candidate))
                if os.path.isfile(path):
                    found.add(os.path.realpath(path))
    return found


def cached(cache: RenderCache | None, key: str | None, render: Callable[[], LoadResult]) -> LoadResult:
    """render(), or what it gave last time under this key."""
    if cache is None or key is None:
        return render()
    kept = cache.get(key)
    if isinstance(kept, LoadResult):
        return kept
    result = render()
    cache.put(key, result)
    return result
