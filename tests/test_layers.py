"""The package's layers: every module of checker/ belongs to one layer, and no module imports from a higher
layer (imports inside functions and under TYPE_CHECKING count too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "checker"

# Lowest first. A module may import from its own layer and the layers before it, never from those after.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("version", ("checker.version", "checker.suggest")),
    ("inputs", ("checker.inputs",)),
    ("findings", ("checker.findings",)),
    ("workloads", ("checker.workloads",)),
    ("semantics", ("checker.semantics",)),
    ("facts", ("checker.facts",)),
    ("policy", ("checker.policy",)),
    ("engine", ("checker.engine",)),
    ("finalise", ("checker.exemptions", "checker.suppress", "checker.baseline", "checker.finalise")),
    (
        "api",
        (
            "checker.api",
            "checker.scanning",
            "checker.scan_cache",
            "checker.scan_units",
            "checker.compliance",
            "checker.config",
            "checker.report",
        ),
    ),
    ("commands", ("checker.commands", "checker.progress")),
    ("cli", ("checker.cli", "checker.__main__", "checker")),
]


def layer_of(module: str) -> int:
    """The rank of a module's layer: the longest prefix in LAYERS that names it or a package holding it."""
    best: tuple[int, int] | None = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS in {__file__}"
    return best[0]


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module) for every import of a checker module in the file, wherever it is written."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "checker"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif (node.module or "").split(".")[0] == "checker":
                target = node.module or ""
            else:
                continue
            for alias in node.names:  # `from . import suppress` imports the module checker.suppress
                candidate = f"{target}.{alias.name}"
                is_module = (root.parent / Path(*candidate.split("."))).with_suffix(".py").is_file() or (
                    root.parent / Path(*candidate.split(".")) / "__init__.py"
                ).is_file()
                found.append((node.lineno, candidate if is_module else target))
    return found


def test_every_module_has_a_layer() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        layer_of(module_name(path))


def upward_imports(root: Path = PACKAGE) -> list[str]:
    """``file:line: importer (layer) imports module (layer)`` for every import from a higher layer."""
    upward = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        for line, imported in imported_modules(path, root):
            if layer_of(imported) > layer_of(importer):
                upward.append(
                    f"{path.relative_to(root.parent)}:{line}: {importer} ({LAYERS[layer_of(importer)][0]}) "
                    f"imports {imported} ({LAYERS[layer_of(imported)][0]})"
                )
    return upward


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = upward_imports()
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_an_upward_import_is_found_wherever_it_is_written(tmp_path: Path) -> None:
    """A semantics module that imports the engine (in a function, and under TYPE_CHECKING) is caught; a
    downward import is not."""
    root = tmp_path / "checker"
    (root / "semantics").mkdir(parents=True)
    for name in ("__init__.py", "engine.py", "semantics/__init__.py", "inputs.py"):
        (root / name).write_text("")
    (root / "semantics" / "bad.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from .. import inputs\n"
        "if TYPE_CHECKING:\n    from ..engine import evaluate\n"
        "def late():\n    import checker.engine\n"
    )
    assert upward_imports(root) == [
        "checker/semantics/bad.py:4: checker.semantics.bad (semantics) imports checker.engine (engine)",
        "checker/semantics/bad.py:6: checker.semantics.bad (semantics) imports checker.engine (engine)",
    ]
