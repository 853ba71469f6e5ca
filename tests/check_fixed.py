"""Check files rewritten by `kubecheck fix --write` against their originals, independently of the fix code:
the same documents, every value equal except the fields the rules' `fix:` operations name, every line and
comment kept, and no comment parted from the line below it.

    python tests/check_fixed.py ORIGINAL_DIR FIXED_DIR    # exit 0 when every file passes, 1 otherwise
"""

from __future__ import annotations

import codecs
import difflib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The pod spec fields a SparkApplication's driver and executor write under other names
# (checker/workloads/spark.py, from the spark-operator's v1beta2 API).
SPARK_POD_FIELDS = {"securityContext": "podSecurityContext"}
POLICIES = Path(__file__).resolve().parent.parent / "policies"
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF8, "utf-8-sig"),
)


@dataclass
class Outcome:
    compared: int = 0
    unchanged: int = 0
    fixed: int = 0
    problems: list[str] = field(default_factory=list)


def fix_fields(policies: Path = POLICIES) -> dict[tuple[str, ...], set[Any]]:
    """The field paths the rules' fix operations write (a leading ``spec`` dropped: a pod-level path lands
    in the pod spec wherever the kind keeps it) and the values they may write there."""
    fields: dict[tuple[str, ...], set[Any]] = {}
    for file in sorted(policies.rglob("*.yaml")):
        rule = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(rule, dict):
            continue
        for operation in rule.get("fix") or []:
            path = tuple(operation["path"].split("."))
            if path[0] == "spec":  # a pod-level field; a SparkApplication's driver and executor name it differently
                path = path[1:]
                spark = tuple(SPARK_POD_FIELDS.get(step, step) for step in path)
                fields.setdefault(spark, set()).add(operation["value"])
            fields.setdefault(path, set()).add(operation["value"])
    return fields


def decode(raw: bytes) -> str:
    codec = next((name for mark, name in _MARKS if raw.startswith(mark)), "utf-8")
    return raw.decode(codec)


def check_pair(original: str, fixed: str, fields: dict[tuple[str, ...], set[Any]]) -> list[str]:
    """What differs between the original and the fixed text beyond the fix fields (empty when nothing)."""
    old_docs = list(yaml.load_all(original, Loader=yaml.CSafeLoader))
    new_docs = list(yaml.load_all(fixed, Loader=yaml.CSafeLoader))
    if len(old_docs) != len(new_docs):
        return [f"{len(old_docs)} documents became {len(new_docs)}"]
    problems: list[str] = []
    for index, (old, new) in enumerate(zip(old_docs, new_docs, strict=True)):
        problems += [f"document {index + 1}: {p}" for p in _tree_problems(old, new, (), fields)]
    return problems + _line_problems(original, fixed)


def _ends_with_fix_field(path: tuple[Any, ...], fields: dict[tuple[str, ...], set[Any]]) -> tuple[str, ...] | None:
    return next((f for f in fields if len(path) >= len(f) and path[-len(f) :] == f), None)


def _leaves(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    else:
        yield path, value


def _added_ok(path: tuple[Any, ...], value: Any, fields: dict[tuple[str, ...], set[Any]]) -> bool:
    for leaf, item in _leaves(value, path):
        field_path = _ends_with_fix_field(leaf, fields)
        if field_path is None:
            return False
        allowed = fields[field_path]
        items = item if isinstance(item, list) else [item]
        if not items or any(i not in allowed or isinstance(i, (dict, list)) for i in items):
            return False
    return True


def _tree_problems(old: Any, new: Any, path: tuple[Any, ...], fields: dict[tuple[str, ...], set[Any]]) -> list[str]:
    where = ".".join(str(p) for p in path) or "(document)"
    if type(old) is type(new) and isinstance(old, dict):
        problems = [f"{where}.{key}: removed" for key in old if key not in new]
        for key, value in new.items():
            if key not in old:
                if not _added_ok((*path, key), value, fields):
                    problems.append(f"{where}.{key}: added, not a fix field")
            else:
                problems += _tree_problems(old[key], value, (*path, key), fields)
        return problems
    if type(old) is type(new) and isinstance(old, list):
        field_path = _ends_with_fix_field(path, fields)
        if field_path is not None and new[: len(old)] == old and len(new) > len(old):
            return [] if _added_ok(path, new[len(old) :], fields) else [f"{where}: appended values not a fix's"]
        if len(old) != len(new):
            return [f"{where}: {len(old)} items became {len(new)}"]
        pairs = enumerate(zip(old, new, strict=True))
        return [p for i, (a, b) in pairs for p in _tree_problems(a, b, (*path, i), fields)]
    if type(old) is type(new) and old == new:
        return []
    if (old is None or not isinstance(old, (dict, list))) and _added_ok(path, new, fields):
        return []
    return [f"{where}: {old!r} became {new!r}"]


def _comment(line: str) -> str:
    """The end-of-line comment of a line, roughly: from the last ' #' on (enough for a same-comment check)."""
    _, mark, tail = line.rpartition(" #")
    return mark + tail if mark else ""


def _same_but_value(old: str, new: str) -> bool:
    """The same key (and indentation) and the same end-of-line comment: only the value changed."""
    return ":" in old and old.split(":", 1)[0] == new.split(":", 1)[0] and _comment(old) == _comment(new)


def _only_inserted(old: str, new: str) -> bool:
    """The new line is the old one with text inserted (items added to flow collections): every character of
    the old line is there, in order."""
    rest = iter(new)
    return len(new) > len(old) and all(char in rest for char in old)


def _line_problems(original: str, fixed: str) -> list[str]:
    old, new = original.split("\n"), fixed.split("\n")
    problems = []
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "delete":
            problems.append(f"line {i1 + 1} lost: {old[i1]!r}")
        elif tag == "replace":
            for line in old[i1:i2]:
                if not any(_same_but_value(line, n) or _only_inserted(line, n) for n in new[j1:j2]):
                    problems.append(f"line {i1 + 1} changed beyond its value: {line!r}")
        elif tag == "insert":
            above = i1 - 1
            while above >= 0 and not old[above].strip():
                above -= 1
            if above >= 0 and old[above].lstrip().startswith("#") and i1 < len(old):
                below = next((line for line in old[i1:] if line.strip() and not line.lstrip().startswith("#")), None)
                if below is not None and _indent(old[above]) <= _indent(below):
                    problems.append(f"lines inserted between the comment at line {above + 1} and {below.strip()!r}")
    return problems


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def check_trees(original_root: Path, fixed_root: Path) -> Outcome:
    fields = fix_fields()
    outcome = Outcome()
    for fixed_file in sorted(p for p in fixed_root.rglob("*") if p.is_file()):
        original_file = original_root / fixed_file.relative_to(fixed_root)
        if not original_file.is_file():
            outcome.problems.append(f"{fixed_file}: no original")
            continue
        outcome.compared += 1
        before, after = original_file.read_bytes(), fixed_file.read_bytes()
        if before == after:
            outcome.unchanged += 1
            continue
        try:
            problems = check_pair(decode(before), decode(after), fields)
        except (yaml.YAMLError, UnicodeError) as exc:
            problems = [f"cannot compare: {' '.join(str(exc).split())}"]
        if problems:
            outcome.problems += [f"{fixed_file}: {p}" for p in problems]
        else:
            outcome.fixed += 1
    missing = {p.relative_to(original_root) for p in original_root.rglob("*") if p.is_file()} - {
        p.relative_to(fixed_root) for p in fixed_root.rglob("*") if p.is_file()
    }
    outcome.problems += [f"{fixed_root / name}: missing" for name in sorted(missing)]
    return outcome


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    outcome = check_trees(Path(argv[0]), Path(argv[1]))
    for problem in outcome.problems:
        print(problem)
    print(
        f"compared {outcome.compared} files: {outcome.unchanged} unchanged, {outcome.fixed} fixed and checked, "
        f"{len(outcome.problems)} problems"
    )
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
