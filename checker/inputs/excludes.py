"""Path excludes (--exclude GLOB and `exclude:` in .kubecheck.yaml) with gitignore semantics: which walked or
named path is left out, and by which pattern, so that -v can say so.

Matching is pathspec's GitIgnoreSpec (the library black and mypy use for .gitignore files): `**`, a trailing
`/` for folders only, a pattern without a `/` (other than a trailing one) matching a name at any depth, a
leading `/` anchoring it, and `!` re-including (git's rules, https://git-scm.com/docs/gitignore#_pattern_format).
Command-line patterns are relative to each directory named on the command line (the scan root; a named file:
the working directory); configuration patterns are relative to the configuration file's folder. The
command line is applied after the configuration, so `--exclude '!x'` re-includes what the file left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pathspec import GitIgnoreSpec

COMMAND_LINE = "--exclude"


class ExcludeError(ValueError):
    """A pattern that is not a valid gitignore pattern."""


@dataclass(frozen=True)
class PatternGroup:
    """Patterns that share a base: ``base`` is the folder they are relative to (None: each scan root);
    ``places`` says where each pattern was written (``--exclude`` or ``FILE:LINE``)."""

    patterns: tuple[str, ...]
    places: tuple[str, ...]
    base: str | None = None

    def __post_init__(self) -> None:
        for pattern, place in zip(self.patterns, self.places, strict=True):
            if not pattern.strip() or pattern.startswith("#") or pattern.strip() == "/":
                raise ExcludeError(f"{place}: exclude pattern '{pattern}' matches nothing")
            try:
                GitIgnoreSpec.from_lines([pattern])
            except ValueError as exc:  # pathspec's GitIgnorePatternError
                raise ExcludeError(f"{place}: exclude pattern '{pattern}': {exc}") from None

    def spec(self) -> GitIgnoreSpec:
        return _compiled(self.patterns)


_SPECS: dict[tuple[str, ...], GitIgnoreSpec] = {}


def _compiled(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    spec = _SPECS.get(patterns)
    if spec is None:
        spec = _SPECS[patterns] = GitIgnoreSpec.from_lines(list(patterns))
    return spec


@dataclass(frozen=True)
class Excludes:
    """The exclude patterns of a run: the configuration's, then the command line's (which win)."""

    config: PatternGroup | None = None
    command_line: tuple[str, ...] = ()
    _cli: PatternGroup = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cli = PatternGroup(self.command_line, (COMMAND_LINE,) * len(self.command_line))  # validates them
        object.__setattr__(self, "_cli", cli)

    def __bool__(self) -> bool:
        return bool(self.command_line) or bool(self.config and self.config.patterns)

    def why(self, path: str, root: str | None, is_dir: bool = False) -> str | None:
        """Why ``path`` is excluded (``PATH excluded by PLACE 'PATTERN'``'s tail: ``PLACE 'PATTERN'``), or None.
        ``root``: the scan root the command-line patterns are relative to (None: the working directory)."""
        if not self:
            return None
        verdict: str | None = None
        for group, base in self._groups(root):
            relative = _relative(path, base)
            if relative is None:
                continue
            result = group.spec().check_file(relative + ("/" if is_dir else ""))
            if result.include is True and result.index is not None:
                verdict = f"{group.places[result.index]} '{group.patterns[result.index]}'"
            elif result.include is False:
                verdict = None
        return verdict

    def _groups(self, root: str | None) -> list[tuple[PatternGroup, str | None]]:
        groups: list[tuple[PatternGroup, str | None]] = []
        if self.config and self.config.patterns:
            groups.append((self.config, self.config.base))
        if self.command_line:
            groups.append((self._cli, root))
        return groups


def _relative(path: str, base: str | None) -> str | None:
    """``path`` relative to ``base`` (the working directory when None) in `/` form; a path outside the base
    is matched as written (without a leading `/` or `./`) when base is None, and not at all otherwise."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(base or os.curdir))
    if relative == os.curdir:
        return None  # the root itself is never excluded by its own patterns
    if relative.startswith(os.pardir + os.sep) or relative == os.pardir:
        if base is not None:
            return None
        relative = os.path.normpath(path).lstrip(os.sep)
    return relative.replace(os.sep, "/")


@dataclass
class Excluded:
    """The paths a run left out: ``listed`` (path, why) once per excluded file or folder, in walk order;
    ``named`` the ones named on the command line."""

    listed: list[tuple[str, str]] = field(default_factory=list)
    named: list[tuple[str, str]] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [f"{path}: excluded by {why}, not scanned" for path, why in self.listed]

    def warnings(self) -> list[str]:
        return [f"{path}: named on the command line but excluded by {why}; not scanned" for path, why in self.named]

    def covers(self, name: str) -> bool:
        """Whether a file (a rendered template, an overlay's origin file) is, or lies under, an excluded path."""
        target = os.path.abspath(name)
        for path, _ in (*self.listed, *self.named):
            excluded = os.path.abspath(path.rstrip("/"))
            if target == excluded or target.startswith(excluded + os.sep):
                return True
        return False
