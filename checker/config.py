"""The project configuration file (.kubecheck.yaml): the packs, rules, policy directories, parameters and
failure threshold a repository wants, so CI and people run the same check. Command-line options win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .findings import Severity
from .policy.loader import reject_duplicate_keys

DEFAULT_FILE = ".kubecheck.yaml"
LIST_KEYS = ("packs", "rules", "skip-rules", "policy-dirs", "frameworks")
KEYS = (*LIST_KEYS, "params", "fail-on", "include-hidden")


class ConfigError(ValueError):
    """A mistake in the configuration file, with its file and line."""


@dataclass
class Config:
    packs: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    skip_rules: list[str] = field(default_factory=list)
    policy_dirs: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # params as KEY=VALUE, before any --set
    fail_on: str | None = None
    include_hidden: bool = False
    file: str | None = None
    lines: dict[str, int] = field(default_factory=dict)  # key (or params.NAME) -> its line in the file

    def where(self, key: str) -> str:
        """``file:line`` of a key of the file (``params.NAME`` for a parameter), for error messages."""
        return f"{self.file}:{self.lines.get(key, 1)}"


def load_config(explicit: str | None) -> Config:
    """The explicit file, else .kubecheck.yaml in the working directory if there is one, else defaults."""
    path = Path(explicit) if explicit else Path(DEFAULT_FILE)
    if not path.is_file():
        if explicit:
            raise ConfigError(f"{explicit}: no such configuration file")
        return Config()
    text = path.read_text(encoding="utf-8-sig")
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
        if node is not None:
            reject_duplicate_keys(node)
        data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the configuration is a mapping ({', '.join(KEYS)})")

    config = Config(file=str(path), lines=_key_lines(node))

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{config.where(key)}: {message}")

    base = path.parent
    for key, value in data.items():
        if key not in KEYS:
            raise fail(key, f"unknown key '{key}' (keys: {', '.join(KEYS)})")
        if key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(key, f"'{key}' takes a list of strings")
            if key == "policy-dirs":
                value = [str(base / v) if not os.path.isabs(v) else v for v in value]
                missing = next((v for v in value if not os.path.isdir(v)), None)
                if missing is not None:
                    raise fail(key, f"policy-dirs: {missing} is not a directory")
            setattr(config, key.replace("-", "_"), value)
        elif key == "params":
            if not isinstance(value, dict):
                raise fail(key, "'params' maps parameter names to values")
            for name, param in value.items():
                if isinstance(param, float):
                    raise fail(
                        f"params.{name}",
                        f"params: {name}: YAML reads {param!r} as a number; quote it (a version is written 'v1.30')",
                    )
            config.settings = [f"{name}={_param_text(v)}" for name, v in value.items()]
        elif key == "fail-on":
            try:
                Severity.parse(str(value))
            except ValueError as exc:
                raise fail(key, f"fail-on: {exc}") from None
            config.fail_on = str(value)
        elif key == "include-hidden":
            if not isinstance(value, bool):
                raise fail(key, "'include-hidden' is true or false")
            config.include_hidden = value
    return config


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """The line of each top-level key, and of each parameter under params (as params.NAME)."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        lines[str(key.value)] = key.start_mark.line + 1
        if key.value == "params" and isinstance(value, yaml.MappingNode):
            for name, _ in value.value:
                lines[f"params.{name.value}"] = name.start_mark.line + 1
    return lines


def _param_text(value: Any) -> str:
    """A YAML value as --set would have written it (maps as NAME=VALUE pairs, lists comma-separated)."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
