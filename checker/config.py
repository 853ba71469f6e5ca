"""The project configuration file (.kubecheck.yaml): the packs, rules, policy directories, parameters,
failure threshold, exemptions and non-bypassable rules a repository wants, so CI and people run the same
check. Command-line options win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .exemptions import Controls, parse_exemptions
from .findings import Severity
from .inputs.excludes import ExcludeError, PatternGroup
from .inputs.guarded_yaml import GuardedYAMLError, read_yaml_file
from .inputs.render.charts import ChartSettings
from .suggest import did_you_mean

DEFAULT_FILE = ".kubecheck.yaml"
LIST_KEYS = ("packs", "rules", "skip-rules", "policy-dirs", "frameworks", "non-bypassable")
KEYS = (*LIST_KEYS, "params", "fail-on", "include-hidden", "exemptions", "exclude", "charts", "cache")


class ConfigError(ValueError):
    """The mistakes in the configuration file, each with its file and line (``messages``; str() joins them)."""

    def __init__(self, messages: str | list[str]) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


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
    cache: str | None = None  # the streamed scan's cache directory (relative paths: to the file's folder)
    file: str | None = None
    lines: dict[str, int] = field(default_factory=dict)  # key (or params.NAME) -> its line in the file
    controls: Controls = field(default_factory=Controls)  # exemptions and non-bypassable rules
    exclude: PatternGroup | None = None  # gitignore-style paths left out, relative to the file's folder
    charts: tuple[ChartSettings, ...] = ()  # per-chart render settings (charts:), in file order

    def where(self, key: str) -> str:
        """``file:line`` of a key of the file (``params.NAME`` for a parameter), for error messages."""
        return f"{self.file}:{self.lines.get(key, 1)}"


def load_config(explicit: str | None) -> Config:
    """The explicit file, else .kubecheck.yaml in the working directory if there is one, else defaults.
    Every mistake in the file is reported at once (ConfigError.messages), not only the first."""
    path = Path(explicit) if explicit else Path(DEFAULT_FILE)
    if not path.is_file():
        if explicit:
            raise ConfigError(f"{explicit}: no such configuration file")
        return Config()
    try:
        read = read_yaml_file(path)  # the shared guards: size, encoding, aliases, depth, duplicate keys
    except GuardedYAMLError as exc:
        raise ConfigError(str(exc)) from None
    node, data = read.node, read.data if read.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the configuration is a mapping ({', '.join(KEYS)})")

    config = Config(file=str(path), lines=_key_lines(node))
    errors: list[str] = []

    def fail(key: str, message: str) -> None:
        errors.append(f"{config.where(key)}: {message}")

    base = path.parent
    for key, value in data.items():
        if key not in KEYS:
            fail(key, f"unknown key '{key}'{did_you_mean(str(key), KEYS)} (keys: {', '.join(KEYS)})")
        elif key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                fail(key, f"'{key}' takes a list of strings")
                continue
            if key == "policy-dirs":
                value = [str(base / v) if not os.path.isabs(v) else v for v in value]
                missing = next((v for v in value if not os.path.isdir(v)), None)
                if missing is not None:
                    fail(key, f"policy-dirs: {missing} is not a directory")
                    continue
            if key == "non-bypassable":
                config.controls.non_bypassable = tuple(value)
                config.controls.non_bypassable_at = config.where(key)
            else:
                setattr(config, key.replace("-", "_"), value)
        elif key == "params":
            if not isinstance(value, dict):
                fail(key, "'params' maps parameter names to values")
                continue
            written = _param_sources(node)
            config.settings = [f"{name}={written.get(str(name), _param_text(v))}" for name, v in value.items()]
        elif key == "fail-on":
            try:
                Severity.parse(str(value))
                config.fail_on = str(value)
            except ValueError as exc:
                fail(key, f"fail-on: {exc}")
        elif key == "cache":
            if not isinstance(value, str) or not value.strip():
                fail(key, "'cache' is a directory path")
            else:
                config.cache = value if os.path.isabs(value) else str(base / value)
        elif key == "include-hidden":
            if not isinstance(value, bool):
                fail(key, "'include-hidden' is true or false")
            else:
                config.include_hidden = value
        elif key == "exclude":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                fail(key, "'exclude' takes a list of gitignore-style patterns (strings)")
                continue
            places = tuple(f"{path}:{line}" for line in _entry_lines(node, key))
            try:
                config.exclude = PatternGroup(tuple(value), places, os.path.abspath(base))
            except ExcludeError as exc:
                errors.append(str(exc))
        elif key == "charts":
            config.charts = tuple(_chart_settings(value, node, path, errors))
        elif key == "exemptions":
            entries, mistakes = parse_exemptions(value, str(path), _entry_lines(node, key))
            config.controls.exemptions = entries
            errors.extend(mistakes)
    if errors:
        raise ConfigError(errors)
    return config


CHART_KEYS = ("values", "set", "release-name", "namespace")


def _chart_settings(value: Any, node: yaml.Node | None, path: Path, errors: list[str]) -> list[ChartSettings]:
    """The charts: mapping, chart path pattern (gitignore-style, relative to the file's folder) -> its render
    settings (values files relative to the file's folder, set assignments, release-name, namespace)."""
    charts_node = _value_node(node, "charts")
    top = f"{path}:{charts_node.start_mark.line + 1 if charts_node else 1}"
    shape = "'charts' maps chart path patterns to {values: [FILE...], set: [KEY=VALUE...], release-name, namespace}"
    if not isinstance(value, dict) or not isinstance(charts_node, yaml.MappingNode):
        errors.append(f"{top}: {shape}")
        return []
    base = path.parent
    found: list[ChartSettings] = []
    for (key_node, entry_node), (pattern, entry) in zip(charts_node.value, value.items(), strict=True):
        where = f"{path}:{key_node.start_mark.line + 1}"
        if not isinstance(pattern, str) or not pattern.strip():
            errors.append(f"{where}: a chart path pattern is a non-empty string")
            continue
        if not isinstance(entry, dict) or not isinstance(entry_node, yaml.MappingNode):
            errors.append(f"{where}: charts.{pattern}: {shape}")
            continue
        lines = {str(k.value): k.start_mark.line + 1 for k, _ in entry_node.value}
        settings: dict[str, Any] = {}
        for name, setting in entry.items():
            at = f"{path}:{lines.get(str(name), key_node.start_mark.line + 1)}"
            if name not in CHART_KEYS:
                hint = did_you_mean(str(name), CHART_KEYS)
                errors.append(f"{at}: charts.{pattern}: unknown key '{name}'{hint} (keys: {', '.join(CHART_KEYS)})")
            elif name in ("values", "set"):
                if not isinstance(setting, list) or not all(isinstance(v, str) and v for v in setting):
                    errors.append(f"{at}: charts.{pattern}.{name} takes a list of strings")
                    continue
                if name == "values":
                    setting = [os.path.normpath(os.path.join(base, v)) for v in setting]
                    missing = next((v for v in setting if not os.path.isfile(v)), None)
                    if missing is not None:
                        errors.append(f"{at}: charts.{pattern}.values: {missing} is not a file")
                        continue
                elif any("=" not in v for v in setting):
                    errors.append(f"{at}: charts.{pattern}.set: each entry is KEY=VALUE, as helm --set")
                    continue
                settings[name] = tuple(setting)
            elif not isinstance(setting, str) or not setting:
                errors.append(f"{at}: charts.{pattern}.{name} is a non-empty string")
            else:
                settings[name.replace("-", "_")] = setting
        found.append(
            ChartSettings(
                pattern,
                str(base),
                where,
                settings.get("values", ()),
                settings.get("set", ()),
                settings.get("release_name"),
                settings.get("namespace"),
            )
        )
    return found


def _value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The YAML node of a top-level key's value."""
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if name.value == key:
                found: yaml.Node = value
                return found
    return None


def _entry_lines(node: yaml.Node | None, key: str) -> list[int]:
    """The line of each entry of a top-level list (the key's line when the value is not a list)."""
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if name.value == key:
                if isinstance(value, yaml.SequenceNode):
                    return [entry.start_mark.line + 1 for entry in value.value]
                return [name.start_mark.line + 1]
    return []


def _param_sources(node: yaml.Node | None) -> dict[str, str]:
    """Each parameter whose YAML value is a plain number, as written (``pss.version: 1.30`` is "1.30", as
    ``--set pss.version=1.30`` gives it, not the float 1.3)."""
    found: dict[str, str] = {}
    if not isinstance(node, yaml.MappingNode):
        return found
    for key, value in node.value:
        if key.value == "params" and isinstance(value, yaml.MappingNode):
            for name, param in value.value:
                if isinstance(param, yaml.ScalarNode) and param.tag in (
                    "tag:yaml.org,2002:float",
                    "tag:yaml.org,2002:int",
                ):
                    found[str(name.value)] = str(param.value)
    return found


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
