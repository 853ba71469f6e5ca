"""Shared test helpers: paths to the repository's fixtures and to ../shared data, a scan shortcut, and how
many examples generated (fuzz-like) tests try."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from checker.api import plan, run_plan
from checker.inputs.render import RenderOptions

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = Path(os.environ.get("KUBECHECK_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "real"
PSS_CONFORMANCE = SHARED / "conformance" / "pod-security"
# KUBECHECK_LONG_TESTS=1 makes generated tests try many more examples (see docs/development.md).
LONG_TESTS = os.environ.get("KUBECHECK_LONG_TESTS", "") not in ("", "0")


def need_shared(path: Path) -> None:
    """Skip (with the reason) when ../shared data is absent, as in a user's clone; CI has it."""
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI; the shared data must sit beside the clone")
        pytest.skip(f"{path} is absent (it exists only beside the team's clone and in CI)")


def examples(default: int, long: int) -> int:
    """How many generated examples a test tries: `default` in the everyday suite, `long` in the long run."""
    return long if LONG_TESTS else default


RAW = RenderOptions(enabled=False)  # --no-render: chart and overlay folders read file by file


def scan(paths, include_hidden=False, render=None, **options):
    return run_plan(plan(**options), [str(p) for p in paths], include_hidden, render=render)


def load_tool(name: str) -> ModuleType:
    """The script tools/NAME.py as a module (the tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
