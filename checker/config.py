"""The project configuration file (.kubecheck.yaml): the packs, rules, policy directories, parameters and
failure threshold a repository wants, so CI and people run the same check. Command-line options win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = ".kubecheck.yaml"
LIST_KEYS = ("packs", "rules", "skip-rules", "policy-dirs")
KEYS = (*LIST_KEYS, "params", "fail-on", "include-hidden")


class ConfigError(ValueError):
    """A mistake in the configuration file, with its file and line."""


@dataclass
class Config:
    packs: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    skip_rules: list[str] = field(default_factory=list)
    policy_dirs: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # params as KEY=VALUE, before any --set
    fail_on: str | None = None
    include_hidden: bool = False
    file: str | None = None


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
        data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the configuration is a mapping ({', '.join(KEYS)})")

    def fail(key: str, message: str) -> ConfigError:
        line = next((k.start_mark.line + 1 for k, _ in node.value if k.value == key), 1) if node else 1
        return ConfigError(f"{path}:{line}: {message}")

    config = Config(file=str(path))
    base = path.parent
    for key, value in data.items():
        if key not in KEYS:
            raise fail(key, f"unknown key '{key}' (keys: {', '.join(KEYS)})")
        if key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(key, f"'{key}' takes a list of strings")
            if key == "policy-dirs":
                value = [str(base / v) if not os.path.isabs(v) else v for v in value]
            setattr(config, key.replace("-", "_"), value)
        elif key == "params":
            if not isinstance(value, dict):
                raise fail(key, "'params' maps parameter names to values")
            config.settings = [f"{name}={_param_text(v)}" for name, v in value.items()]
        elif key == "fail-on":
            config.fail_on = str(value)
        elif key == "include-hidden":
            if not isinstance(value, bool):
                raise fail(key, "'include-hidden' is true or false")
            config.include_hidden = value
    return config


def _param_text(value: Any) -> str:
    """A YAML value as --set would have written it (maps as NAME=VALUE pairs, lists comma-separated)."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
