"""The one guarded reader for the YAML files kubecheck reads besides manifests (rule files, params.yaml,
data files, the configuration file, values files): size, encoding, alias-expansion and depth limits, and
duplicate keys, each refused with a one-line error that names the file and line.

Manifests go through yaml_parser.py, which applies the same alias bound (MAX_EXPANDED_NODES) and the same
decoding (decoding.py) per document. libyaml already refuses nesting deeper than about 1,000 levels
(a ScannerError); the depth limit here is lower because rules and configuration are walked recursively.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from .decoding import read_source
from .documents import InputError

MAX_BYTES = 4 * 1024 * 1024  # a rule or configuration file is a few KiB; 4 MiB leaves room for data files
MAX_NODES = 200_000  # nodes with every alias expanded (the alias bomb: a few lines expanding to billions)
MAX_DEPTH = 64  # nesting of mappings and lists (a rule's conditions nest a few levels)


class GuardedYAMLError(Exception):
    """A YAML file refused or broken: ``file:line: message`` (line None when it is about the whole file)."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass
class YAMLFile:
    """A guarded file's node tree (for line numbers) and its value."""

    node: yaml.Node | None
    data: Any


def read_yaml_file(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> YAMLFile:
    """Read, decode and parse one single-document YAML file under the guards; GuardedYAMLError otherwise."""
    name = str(path)
    try:
        size = os.path.getsize(name)
    except OSError as exc:
        raise GuardedYAMLError(name, None, f"cannot read: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise GuardedYAMLError(name, None, f"file is larger than {max_bytes // 1024} KiB; refused")
    source = read_source(name)
    if isinstance(source, InputError):
        raise GuardedYAMLError(name, source.line, source.message)
    return parse_yaml_text(name, source.text)


def parse_yaml_text(name: str, text: str) -> YAMLFile:
    """Parse one YAML document (the text of a file called name) under the guards."""
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            check_node(name, node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise GuardedYAMLError(name, mark.line + 1 if mark else None, f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        raise GuardedYAMLError(name, None, f"invalid YAML: {' '.join(str(exc).split())}") from None
    except yaml.YAMLError as exc:
        raise GuardedYAMLError(name, None, f"invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise GuardedYAMLError(name, None, f"nesting is deeper than {MAX_DEPTH} levels; refused") from None
    finally:
        loader.dispose()
    return YAMLFile(node, data)


def check_node(name: str, root: yaml.Node) -> None:
    """Refuse a node tree that expands (through aliases) past MAX_NODES, nests deeper than MAX_DEPTH (aliases
    included) or repeats a mapping key. Each distinct node is visited once (aliases share nodes): linear.
    Trees of ordinary depth take a recursive walk (twice as fast); deeper ones the iterative one."""
    sizes: dict[int, tuple[int, int]] = {}
    try:
        _measure(name, root, sizes, 0)
    except _TooDeepToRecurse:
        _check_node_iteratively(name, root)


class _TooDeepToRecurse(Exception):
    pass


def _measure(name: str, node: yaml.Node, sizes: dict[int, tuple[int, int]], depth: int) -> tuple[int, int]:
    """(expanded nodes, height) of the node, raising the error check_node's iterative walk would raise."""
    key = id(node)
    known = sizes.get(key)
    if known is not None:
        return known
    if depth > 4 * MAX_DEPTH:
        raise _TooDeepToRecurse
    sizes[key] = (1, 1)  # in progress (a recursive alias counts once)
    size, height = 1, 1
    if isinstance(node, yaml.MappingNode):
        _reject_duplicates(name, node)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        for child in _children(node):
            count, below = _measure(name, child, sizes, depth + 1)
            size += count
            height = max(height, below + 1)
    _refuse(name, node, size, height)
    sizes[key] = (size, height)
    return size, height


def _refuse(name: str, node: yaml.Node, size: int, height: int) -> None:
    line = node.start_mark.line + 1
    if size > MAX_NODES:
        raise GuardedYAMLError(name, line, f"aliases expand to more than {MAX_NODES:,} nodes (alias bomb?); refused")
    if height > MAX_DEPTH:
        raise GuardedYAMLError(name, line, f"nesting is deeper than {MAX_DEPTH} levels; refused")


def _check_node_iteratively(name: str, root: yaml.Node) -> None:
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, height)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            below = [sizes.get(id(child), (1, 1)) for child in _children(node)]
            size = 1 + sum(count for count, _ in below)
            height = 1 + max((h for _, h in below), default=0)
            sizes[key] = (size, height)
            _refuse(name, node, size, height)
            continue
        if key in sizes:
            continue
        sizes[key] = (1, 1)  # in progress (a recursive alias counts once)
        if isinstance(node, yaml.MappingNode):
            _reject_duplicates(name, node)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _reject_duplicates(name: str, node: yaml.MappingNode) -> None:
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if key.value in seen:
                raise GuardedYAMLError(name, key.start_mark.line + 1, f"invalid YAML: duplicate key '{key.value}'")
            seen.add(key.value)
