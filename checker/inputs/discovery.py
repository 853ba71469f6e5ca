"""Expand the paths a user names into the inputs to read: directories walked recursively for manifests,
symlinks followed once, each real file read once under its best path; what cannot be read is an InputError.
"""

from __future__ import annotations

import heapq
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .documents import STDIN_NAME, InputError
from .excludes import Excluded, Excludes

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Discovery:
    inputs: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    excluded: Excluded = field(default_factory=Excluded)


def discover(paths: Iterable[str], include_hidden: bool = False, excludes: Excludes | None = None) -> Discovery:
    """Expand the command-line paths into the list of inputs to read, in a stable order.

    Directories are walked recursively for manifest suffixes; hidden entries below a named directory
    are skipped (and listed) unless include_hidden, and symlinked directories are followed once (loops
    are cut). A file reached by several paths, under one named path or several, is read once: under its
    path with the fewest symlink hops (counting the links in the named path itself), then the path named
    first; it keeps that path's place in the order. A named directory without manifests, an unreadable
    directory, a broken symlink and a non-regular file are input errors. Files named explicitly are read
    whatever their suffix. "-" stands for stdin, which can be named once. ``excludes``: paths left out
    (folders not entered), each listed once in discovery.excluded; a named path that is excluded is not
    read either, and listed apart (excluded.named) so that the run can say so.
    """
    excludes = excludes or Excludes()
    discovery = Discovery()
    errors = discovery.errors
    named: list[list[_Candidate] | None] = []  # per path: its files, or None for stdin
    for raw in paths:
        if raw == "-":
            if None in named:
                errors.append(InputError(STDIN_NAME, None, "stdin is named twice"))
            else:
                named.append(None)
            continue
        path = Path(raw)
        try:
            status = os.stat(path)
        except OSError as exc:
            errors.append(InputError(str(path), None, _stat_error(str(path), exc)))
            continue
        hops = _symlinks_in(path)
        why = excludes.why(raw, None, stat.S_ISDIR(status.st_mode))
        if why is not None:
            discovery.excluded.named.append((raw, why))
            continue
        if stat.S_ISDIR(status.st_mode):
            walk = _walk(path, include_hidden, hops, excludes)
            discovery.hidden.extend(walk.hidden)
            discovery.excluded.listed.extend(walk.excluded)
            errors.extend(walk.errors)
            if not walk.files and not walk.errors:
                hints = (_HIDDEN_HINT if walk.hidden else "") + (_EXCLUDED_HINT if walk.excluded else "")
                errors.append(InputError(str(path), None, _NO_MANIFESTS + hints))
            named.append(walk.files)
        elif stat.S_ISREG(status.st_mode):
            named.append([_Candidate(str(path), os.path.realpath(path), hops)])
        else:
            errors.append(InputError(str(path), None, "not a regular file or directory"))
    best: dict[str, tuple[int, int]] = {}  # real path -> (hops, named index) of the path that keeps it
    for number, files in enumerate(named):
        for file in files or ():
            best[file.real] = min(best.get(file.real, (file.hops, number)), (file.hops, number))
    for number, files in enumerate(named):
        if files is None:
            discovery.inputs.append("-")
            continue
        for file in files:
            if best.get(file.real) == (file.hops, number):
                del best[file.real]  # the first of equals is kept
                discovery.inputs.append(file.path)
    discovery.hidden.sort()
    return discovery


def _stat_error(name: str, exc: OSError) -> str:
    """Why a path cannot be read, as the directory walk says it."""
    if isinstance(exc, FileNotFoundError) and os.path.islink(name):
        return f"broken symlink: its target {os.readlink(name)} does not exist"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    return f"cannot read: {exc.strerror or exc}"


def _symlinks_in(path: Path) -> int:
    """How many of the components of a named path are symlinks."""
    return sum(1 for prefix in (path, *path.parents) if prefix.name and prefix.is_symlink())


_NO_MANIFESTS = "no .yaml, .yml or .json files found"
_HIDDEN_HINT = "; hidden entries are skipped without --include-hidden"
_EXCLUDED_HINT = "; some were excluded by exclude patterns (see -v)"


def _better(one: tuple[int, str], other: tuple[int, str]) -> tuple[int, str]:
    """Of two paths to the same file, (symlink hops, path): the one with fewer hops, then the first in path order."""
    return min(one, other, key=lambda found: (found[0], _order_key(found[1])))


def _order_key(path: str) -> str:
    """A key that orders the paths found under one named directory as their parts (Path(path).parts) do,
    without a tuple of parts per file: "/" made the lowest
    character, a component that is a prefix of another sorts first, as a shorter tuple does. The paths
    are the walk's own (os.path.join of a normalised root and entry names): no "." or doubled "/" in them."""
    return path.replace("/", "\0")


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A file found under a named path: the path to read it by, its real path, and the symlinks on the way."""

    path: str
    real: str
    hops: int


@dataclass
class _Walk:
    files: list[_Candidate] = field(default_factory=list)  # one per real file, sorted by path
    errors: list[InputError] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (file, or folder with a trailing /; why)


def _walk(root: Path, include_hidden: bool, root_hops: int = 0, excludes: Excludes | None = None) -> _Walk:
    """Walk a directory tree, directories in order of symlink hops (then path), so that each real directory
    is entered by its path with the fewest symlinked components, and each real file keeps its best path.
    Excluded folders are not entered; excluded folders and manifest files are listed once."""
    excludes = excludes or Excludes()
    walk = _Walk()
    best: dict[str, tuple[int, str]] = {}  # real file -> (hops, path) of its best path (_better)
    visited_dirs: set[str] = set()
    queue: list[tuple[int, tuple[str, ...], str]] = [(root_hops, root.parts, str(root))]
    while queue:
        hops, _, directory = heapq.heappop(queue)
        real = os.path.realpath(directory)
        if real in visited_dirs:
            continue
        visited_dirs.add(real)
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            walk.errors.append(InputError(directory, None, f"cannot read directory: {exc.strerror or exc}"))
            continue
        for entry in entries:
            if entry.name.startswith(".") and not include_hidden:
                walk.hidden.append(entry.path)
                continue
            try:
                entry_hops = hops + (1 if entry.is_symlink() else 0)
                is_dir = entry.is_dir()
                if excludes:
                    why = excludes.why(entry.path, str(root), is_dir)
                    if why is not None:
                        if is_dir or entry.name.lower().endswith(MANIFEST_SUFFIXES):
                            walk.excluded.append((entry.path + ("/" if is_dir else ""), why))
                        continue
                if is_dir:
                    heapq.heappush(queue, (entry_hops, Path(entry.path).parts, entry.path))
                elif entry.is_file():
                    if entry.name.lower().endswith(MANIFEST_SUFFIXES):
                        path = entry.path
                        best_real = os.path.realpath(path)
                        best_real = path if best_real == path else best_real  # one string, not two
                        known = best.get(best_real)
                        best[best_real] = (entry_hops, path) if known is None else _better(known, (entry_hops, path))
                elif _may_be_input(entry.name):
                    problem = _not_readable(entry)
                    if problem:
                        walk.errors.append(InputError(entry.path, None, problem))
            except OSError as exc:
                if _may_be_input(entry.name):
                    walk.errors.append(InputError(entry.path, None, f"cannot read: {exc.strerror or exc}"))
    chosen = sorted(best.items(), key=lambda item: _order_key(item[1][1]))
    walk.files = [_Candidate(path, real, hops) for real, (hops, path) in chosen]
    return walk


def _not_readable(entry: os.DirEntry[str]) -> str | None:
    """Why an entry that is neither a directory nor a regular file is not read: a broken symlink, or
    something else (a FIFO, a socket, a device) with a manifest suffix. None for what would not be read."""
    try:
        entry.stat()
    except FileNotFoundError:
        if entry.is_symlink():
            return f"broken symlink: its target {os.readlink(entry.path)} does not exist"
        return None  # gone since the listing
    if entry.name.lower().endswith(MANIFEST_SUFFIXES):
        return "not a regular file"
    return None


def _may_be_input(name: str) -> bool:
    """Whether an entry that cannot be resolved would have been read: a manifest suffix, or no suffix (a folder?)."""
    suffix = os.path.splitext(name)[1].lower()
    return suffix in MANIFEST_SUFFIXES or not suffix
