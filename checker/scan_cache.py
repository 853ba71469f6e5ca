"""The streamed scan's cache (--cache DIR, `cache:` in .kubecheck.yaml): what indexing and checking one input
gave, stored under a key of everything that result depends on, so an unchanged file is not parsed again.

- an index entry (the input's objects others look up) is keyed by the input's name and content hash and by
  kubecheck itself (its version and the hash of its code);
- a check entry (the input's findings, suppressions, errors and notes) is also keyed by the run's rules and
  parameters, its exemptions and non-bypassable rules, the day (expiries), and the scan-wide index: the
  name and content hash of every input that gave indexed objects, in order. An input's findings can use
  any of those objects (a Service selecting its pods, a ConfigMap it mounts), so when one changes, every
  check entry is checked again: conservative, never stale.
Rendered charts and overlays and stdin are not cached. Entries are pickles: keep the directory private
(it is created mode 0700); a cache is only as trustworthy as whoever can write to it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import hashlib
import json
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from .exemptions import Controls
from .policy.model import CompiledRule
from .policy.params import Params
from .version import __version__

PACKAGE = Path(__file__).resolve().parent


class CacheError(Exception):
    """The cache directory cannot be made or used."""


@cache
def code_hash() -> str:
    """The hash of kubecheck's own code and policies: a cache never outlives a change to either."""
    digest = hashlib.sha256(__version__.encode())
    for root in (PACKAGE, PACKAGE.parent / "policies", PACKAGE / "_policies"):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".yaml", ".yml") and path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def plan_hash(rules: list[CompiledRule], params: Params, controls: Controls, related: frozenset[str]) -> str:
    """The hash of what a run's check results depend on besides its inputs."""
    described = {
        "rules": [dataclasses.asdict(compiled.rule) for compiled in rules],
        "params": params.values,
        "data": params.data,
        "exemptions": [dataclasses.asdict(e) for e in controls.exemptions],
        "non_bypassable": controls.non_bypassable,
        "non_bypassable_at": controls.non_bypassable_at,
        "day": controls.day(),
        "related": sorted(related),
    }
    text = json.dumps(described, sort_keys=True, default=_plain)
    return hashlib.sha256((code_hash() + text).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return repr(value)


def content_hash(name: str, text: str) -> str:
    return hashlib.sha256(name.encode() + b"\0" + text.encode("utf-8", "surrogatepass")).hexdigest()


class ScanCache:
    """Entries in a directory: DIR/<2 hex>/<key>, each written whole (a temporary file renamed)."""

    def __init__(self, directory: str) -> None:
        self.root = Path(directory)
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise CacheError(f"--cache: cannot create {directory}: {exc.strerror or exc}") from None
        if not os.access(self.root, os.W_OK):
            raise CacheError(f"--cache: {directory} is not writable")

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def get(self, key: str) -> Any:
        """The entry, or None when absent or unreadable (a torn or foreign file is a miss)."""
        try:
            with open(self.root / key[:2] / key, "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Store an entry; a full disk or a race with another scan loses the entry, never the scan."""
        folder = self.root / key[:2]
        try:
            folder.mkdir(exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, folder / key)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            with contextlib.suppress(OSError):
                os.unlink(temporary)
