"""Compliance frameworks as data: frameworks/<id>.yaml maps each control of a benchmark or guide to the rules
that judge it (or says why a manifest scan cannot: manual), validated against the rule catalog with file:line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml

from ..inputs.guarded_yaml import GuardedYAMLError, read_yaml_file
from ..inputs.paths import Path
from ..inputs.positions import locate_in_node
from .loader import Catalog
from .model import PolicyError

FRAMEWORK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TOP_KEYS = ("id", "title", "version", "url", "controls")
CONTROL_KEYS = ("id", "section", "title", "rules", "manual")
RULE_REF_KEYS = ("rule", "path")


@dataclass(frozen=True)
class RuleRef:
    """A rule that judges a control; ``path`` (a regular expression searched in a finding's path) narrows it to
    the findings about one field, for a rule that checks several (pss-host-namespaces: hostPID$)."""

    rule: str
    path: str | None = None

    def covers(self, rule: str, path: str) -> bool:
        return rule == self.rule and (self.path is None or re.search(self.path, path) is not None)


@dataclass(frozen=True)
class Control:
    id: str
    section: str
    title: str
    rules: tuple[RuleRef, ...]
    manual: str  # what a manifest scan cannot judge of it ("" when the rules judge it all)


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    version: str
    url: str
    file: str
    controls: tuple[Control, ...]

    @property
    def rule_ids(self) -> list[str]:
        """Every rule the framework's controls name, each once, in order."""
        return list(dict.fromkeys(ref.rule for control in self.controls for ref in control.rules))


class FrameworkMistake(ValueError):
    def __init__(self, where: Path, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def builtin_framework_dir() -> FsPath:
    package = FsPath(__file__).resolve().parent.parent
    installed = package / "_frameworks"
    return installed if installed.is_dir() else package.parent / "frameworks"


def load_frameworks(
    catalog: Catalog, directory: FsPath | None = None
) -> tuple[dict[str, Framework], list[PolicyError]]:
    """Every framework file of the directory (default: the built-in frameworks), by id, and the mistakes found
    in them (an unknown rule, a control without rules or a manual note, ...), each with its file and line."""
    directory = directory or builtin_framework_dir()
    frameworks: dict[str, Framework] = {}
    errors: list[PolicyError] = []
    for file in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        node: yaml.Node | None = None
        try:
            read = read_yaml_file(file)  # the shared guards: size, encoding, aliases, depth, duplicate keys
            node = read.node
            framework = _framework(read.data, file, catalog)
        except GuardedYAMLError as exc:
            errors.append(PolicyError(exc.file, exc.line, exc.message))
            continue
        except FrameworkMistake as exc:
            found, _, _ = locate_in_node(node, exc.where)
            errors.append(PolicyError(str(file), found.start_mark.line + 1 if found is not None else 1, exc.message))
            continue
        if framework.id in frameworks:
            errors.append(PolicyError(str(file), 1, f"framework id '{framework.id}' is already defined"))
            continue
        frameworks[framework.id] = framework
    return frameworks, errors


def _framework(data: Any, file: FsPath, catalog: Catalog) -> Framework:
    if not isinstance(data, dict):
        raise FrameworkMistake((), "a framework file holds one mapping: id, title, version, url, controls")
    for key in data:
        if key not in TOP_KEYS:
            raise FrameworkMistake((key,), f"unknown field '{key}' (fields: {', '.join(TOP_KEYS)})")
    for key in ("id", "title", "version", "controls"):
        if key not in data:
            raise FrameworkMistake((), f"missing required field '{key}'")
    framework_id = _text(data, "id", ())
    if not FRAMEWORK_ID.match(framework_id) or framework_id != file.stem:
        raise FrameworkMistake(
            ("id",), f"id must be lower-case letters, digits and dashes, and the file name ({file.stem})"
        )
    controls_data = data["controls"]
    if not isinstance(controls_data, list) or not controls_data:
        raise FrameworkMistake(("controls",), "controls is a non-empty list")
    controls: list[Control] = []
    seen: set[str] = set()
    for index, entry in enumerate(controls_data):
        control = _control(entry, ("controls", index), catalog)
        if control.id in seen:
            raise FrameworkMistake(("controls", index, "id"), f"control id '{control.id}' appears twice")
        seen.add(control.id)
        controls.append(control)
    return Framework(
        id=framework_id,
        title=_text(data, "title", ()),
        version=_text(data, "version", ()),
        url=str(data.get("url") or ""),
        file=str(file),
        controls=tuple(controls),
    )


def _control(entry: Any, where: Path, catalog: Catalog) -> Control:
    if not isinstance(entry, dict):
        raise FrameworkMistake(where, "a control is a mapping: id, section, title, rules and/or manual")
    for key in entry:
        if key not in CONTROL_KEYS:
            raise FrameworkMistake((*where, key), f"unknown field '{key}' (fields: {', '.join(CONTROL_KEYS)})")
    raw_rules = entry.get("rules", [])
    if not isinstance(raw_rules, list):
        raise FrameworkMistake((*where, "rules"), "rules is a list of rule ids (or {rule: ID, path: REGEX})")
    refs = tuple(_rule_ref(raw, (*where, "rules", i), catalog) for i, raw in enumerate(raw_rules))
    manual = entry.get("manual", "")
    if not isinstance(manual, str):
        raise FrameworkMistake((*where, "manual"), "manual is a text: what a manifest scan cannot judge, and why")
    if not refs and not manual.strip():
        raise FrameworkMistake(where, "a control needs rules, or a manual note saying why no rule judges it")
    return Control(
        id=_text(entry, "id", where),
        section=str(entry.get("section") or ""),
        title=_text(entry, "title", where),
        rules=refs,
        manual=" ".join(manual.split()),
    )


def _rule_ref(raw: Any, where: Path, catalog: Catalog) -> RuleRef:
    if isinstance(raw, dict):
        unknown = [k for k in raw if k not in RULE_REF_KEYS]
        if unknown or "rule" not in raw:
            raise FrameworkMistake(where, "a rule entry is a rule id or {rule: ID, path: REGEX}")
        rule, path = raw["rule"], raw.get("path")
        if path is not None:
            try:
                re.compile(str(path))
            except re.error as exc:
                raise FrameworkMistake((*where, "path"), f"invalid regular expression: {exc}") from None
    else:
        rule, path = raw, None
    if not isinstance(rule, str) or rule not in catalog.rules:
        raise FrameworkMistake(where, f"unknown rule '{rule}' (see: kubecheck rules)")
    return RuleRef(rule, str(path) if path is not None else None)


def _text(data: dict[str, Any], key: str, where: Path) -> str:
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise FrameworkMistake((*where, key), f"'{key}' must be a non-empty text")
    return " ".join(value.split())
