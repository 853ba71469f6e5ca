"""Read policy directories (rule files and params.yaml) and validate them, reporting each mistake with
the file and line it is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from ..findings import Severity
from ..inputs.guarded_yaml import GuardedYAMLError, read_yaml_file
from ..inputs.paths import Path
from ..inputs.positions import locate_in_node
from ..suggest import did_you_mean
from .conditions import CompileEnv, RuleMistake, compile_condition
from .model import REPORT_MODES, SCOPES, PolicyError, Rule
from .params import PARAM_TYPES, ParamError, Params, ParamSpec, parse_version, resolve_params
from .phrases import check_templates, read_phrases

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REQUIRED = ("id", "title", "severity", "packs", "scope", "assert", "message", "remediation")
OPTIONAL = (
    "when",
    "description",
    "references",
    "report",
    "versions",
    "overrides",
    "data",
    "check_id",
    "examples",
    "fix",
    "phrases",
)
FIX_OPS = ("ensure-in-list", "set")
FIX_KEYS = ("op", "path", "value", "unless", "because")
FIX_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z][A-Za-z0-9_-]*)*$")
PARAMS_FILE = "params.yaml"
DATA_FILE = "data.yaml"
TOP_LEVEL_FILES = (PARAMS_FILE, DATA_FILE)
RULE_SUFFIXES = (".yaml", ".yml")


@dataclass
class Catalog:
    """Every rule and parameter declaration from the policy directories of a run."""

    rules: dict[str, Rule] = field(default_factory=dict)
    params: dict[str, ParamSpec] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[PolicyError] = field(default_factory=list)
    user_rules: set[str] = field(default_factory=set)


def builtin_policy_dir() -> FsPath:
    package = FsPath(__file__).resolve().parent.parent
    installed = package / "_policies"
    return installed if installed.is_dir() else package.parent / "policies"


def load_catalog(extra_dirs: list[str] | None = None) -> Catalog:
    catalog = Catalog()
    directories = [(builtin_policy_dir(), False)] + [(FsPath(d), True) for d in extra_dirs or []]
    for directory, _ in directories:
        if not directory.is_dir():
            catalog.errors.append(PolicyError(str(directory), None, "policy directory does not exist"))
            continue
        params_file = directory / PARAMS_FILE
        if params_file.is_file():
            _load_params(params_file, catalog)
        data_file = directory / DATA_FILE
        if data_file.is_file():
            _load_shared_data(data_file, catalog)
    for directory, is_user in directories:
        if not directory.is_dir():
            continue
        files = sorted(
            f
            for f in directory.rglob("*")
            if f.suffix in RULE_SUFFIXES and f.is_file() and not (f.name in TOP_LEVEL_FILES and f.parent == directory)
        )
        if not files:
            catalog.errors.append(
                PolicyError(
                    str(directory),
                    None,
                    f"policy directory holds no rule files ({', '.join('*' + s for s in RULE_SUFFIXES)})",
                )
            )
        for file in files:
            rule = _load_rule(file, directory, catalog)
            if rule is None:
                continue
            if rule.id in catalog.rules:
                catalog.errors.append(
                    PolicyError(
                        str(file), 1, f"rule id '{rule.id}' is already defined in {catalog.rules[rule.id].file}"
                    )
                )
                continue
            catalog.rules[rule.id] = rule
            if is_user:
                catalog.user_rules.add(rule.id)
    for rule in catalog.rules.values():
        unknown = [target for target in rule.overrides if target not in catalog.rules]
        if unknown:
            catalog.errors.append(
                PolicyError(
                    rule.file, _line_of_key(rule.file, "overrides"), f"overrides names an unknown rule '{unknown[0]}'"
                )
            )
    return catalog


def _line_of_key(file: str, key: str) -> int:
    """The line of a top-level key in a rule file (for mistakes found after the file was read)."""
    with open(file, encoding="utf-8-sig") as handle:
        return next((number for number, line in enumerate(handle, 1) if line.startswith(f"{key}:")), 1)


def _read_yaml(file: FsPath) -> tuple[yaml.Node | None, Any]:
    """A rule, params or data file under the shared guards (size, encoding, aliases, depth, duplicate keys)."""
    read = read_yaml_file(file)
    return read.node, read.data


def _line_of(node: yaml.Node | None, where: Path) -> int | None:
    found, _, _ = locate_in_node(node, where)
    return found.start_mark.line + 1 if found is not None else None


def _load_params(file: FsPath, catalog: Catalog) -> None:
    try:
        node, data = _read_yaml(file)
    except GuardedYAMLError as exc:
        catalog.errors.append(PolicyError(str(file), exc.line, exc.message))
        return
    if not isinstance(data, dict):
        catalog.errors.append(PolicyError(str(file), 1, "params.yaml must map parameter names to declarations"))
        return
    for name, spec in data.items():
        where = (name,)
        try:
            if not isinstance(spec, dict):
                raise RuleMistake(where, "a parameter declaration is a mapping with type, default, description")
            param_type = spec.get("type", "string")
            if param_type not in PARAM_TYPES:
                raise RuleMistake((*where, "type"), f"type must be one of {', '.join(PARAM_TYPES)}")
            declared = ParamSpec(
                name=str(name),
                type=param_type,
                default=spec.get("default"),
                description=str(spec.get("description", "")),
                values=tuple(str(v) for v in spec.get("values", ())),
                latest=spec.get("latest"),
            )
            declared.parse(declared.default)
        except RuleMistake as exc:
            catalog.errors.append(PolicyError(str(file), _line_of(node, exc.where), exc.message))
            continue
        except ParamError as exc:
            catalog.errors.append(PolicyError(str(file), _line_of(node, (*where, "default")), str(exc)))
            continue
        existing = catalog.params.get(declared.name)
        if existing is not None and existing != declared:
            catalog.errors.append(
                PolicyError(str(file), _line_of(node, where), f"parameter '{name}' is declared differently elsewhere")
            )
            continue
        catalog.params[declared.name] = declared


def _load_shared_data(file: FsPath, catalog: Catalog) -> None:
    """data.yaml: named lists (or versioned lists, or single values) that every rule and fact may use."""
    try:
        node, data = _read_yaml(file)
        if not isinstance(data, dict):
            raise RuleMistake((), "data.yaml maps names to lists, versioned lists or values")
        _check_data(data, ())
    except GuardedYAMLError as exc:
        catalog.errors.append(PolicyError(str(file), exc.line, exc.message))
        return
    except RuleMistake as exc:
        catalog.errors.append(PolicyError(str(file), _line_of(node, exc.where) or 1, exc.message))
        return
    for name, spec in data.items():
        if name in catalog.data and catalog.data[name] != spec:
            catalog.errors.append(
                PolicyError(str(file), _line_of(node, (name,)), f"data '{name}' is declared differently elsewhere")
            )
            continue
        catalog.data[name] = spec


def _load_rule(file: FsPath, root: FsPath, catalog: Catalog) -> Rule | None:
    try:
        node, data = _read_yaml(file)
    except GuardedYAMLError as exc:
        catalog.errors.append(PolicyError(str(file), exc.line, exc.message))
        return None
    mistakes = _field_mistakes(data, file)
    if mistakes:  # every independent field mistake at once, each at its line
        catalog.errors.extend(PolicyError(str(file), _line_of(node, m.where) or 1, m.message) for m in mistakes)
        return None
    try:
        check_rule_bounds(data)
        rule = _validate(data, file, root)
        validate_conditions(rule, default_params(catalog))
    except RuleMistake as exc:
        catalog.errors.append(PolicyError(str(file), _line_of(node, exc.where) or 1, exc.message))
        return None
    return rule


def default_params(catalog: Catalog) -> Params:
    params = resolve_params(catalog.params, [])
    params.data = resolve_data(catalog.data, params)
    return params


MAX_CONDITIONS = 1000  # conditions in one rule (bundled rules have at most a few dozen)
MAX_PATH_CHARS = 1000  # characters of one path or fact name (a long path ended in a RecursionError)


def check_rule_bounds(data: Any) -> None:
    """Refuse a rule whose conditions or paths are pathologically large before anything compiles them:
    compiling and evaluating them is linear in these sizes, and the limits keep that small."""
    count = 0
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            if "path" in value or "fact" in value:
                count += 1
                if count > MAX_CONDITIONS:
                    raise RuleMistake(where, f"more than {MAX_CONDITIONS} conditions in one rule; refused")
            for key in ("path", "fact"):
                if isinstance(value.get(key), str) and len(value[key]) > MAX_PATH_CHARS:
                    raise RuleMistake((*where, key), f"{key} is longer than {MAX_PATH_CHARS} characters; refused")
            stack.extend((item, (*where, str(key))) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*where, index)) for index, item in enumerate(value))


def validate_conditions(rule: Rule, params: Params) -> None:
    if rule.versions is not None and rule.versions["param"] not in params:
        raise RuleMistake(("versions", "param"), f"unknown parameter '{rule.versions['param']}'")
    env = CompileEnv(rule.scope, params, {**params.data, **resolve_data(rule.data, params)})
    if rule.when_spec is not None:
        compile_condition(rule.when_spec, ("when",), env)
    compile_condition(rule.assert_spec, ("assert",), env)
    for index, operation in enumerate(rule.fix):
        if "unless" in operation:
            compile_condition(operation["unless"], ("fix", index, "unless"), env)
    check_templates(rule, params)


def resolve_data(declared: dict[str, Any], params: Params) -> dict[str, Any]:
    """Data for this run: values and plain lists as written, versioned lists (``by`` + ``since``) as the
    union of the lists of every version up to the one the ``by`` parameter selects."""
    resolved: dict[str, Any] = {}
    for name, spec in declared.items():
        if not isinstance(spec, dict):
            resolved[name] = spec
            continue
        if spec["by"] not in params:
            raise RuleMistake(("data", name, "by"), f"unknown parameter '{spec['by']}'")
        version = params.get(spec["by"])
        values: list[Any] = []
        for since, items in sorted(spec["since"].items(), key=lambda kv: parse_version(kv[0])):
            if parse_version(since) <= version:
                values.extend(items)
        resolved[name] = values
    return resolved


def _field_mistakes(data: Any, file: FsPath) -> list[RuleMistake]:
    """The mistakes of a rule file that do not depend on each other (unknown and missing fields, id,
    severity, scope, report), all of them, so one run shows every one; _validate checks the rest."""
    if not isinstance(data, dict):
        return []
    fields = REQUIRED + OPTIONAL
    mistakes = [
        RuleMistake((key,), f"unknown field '{key}'{did_you_mean(str(key), fields)} (fields: {', '.join(fields)})")
        for key in data
        if key not in fields
    ]
    mistakes += [RuleMistake((), f"missing required field '{key}'") for key in REQUIRED if key not in data]
    rule_id = data.get("id")
    if isinstance(rule_id, str) and RULE_ID.match(rule_id) and file.stem != rule_id:
        mistakes.append(RuleMistake(("id",), f"id '{rule_id}' must match the file name '{file.name}'"))
    if isinstance(data.get("severity"), str):
        try:
            Severity.parse(data["severity"])
        except ValueError as exc:
            mistakes.append(RuleMistake(("severity",), str(exc)))
    if isinstance(data.get("scope"), str) and data["scope"] not in SCOPES:
        hint = did_you_mean(data["scope"], SCOPES)
        mistakes.append(RuleMistake(("scope",), f"scope must be one of {', '.join(SCOPES)}{hint}"))
    if "report" in data and data["report"] not in REPORT_MODES:
        mistakes.append(RuleMistake(("report",), f"report must be one of {', '.join(REPORT_MODES)}"))
    return mistakes if len(mistakes) > 1 else []  # a single mistake: _validate reports it as before


def _validate(data: Any, file: FsPath, root: FsPath) -> Rule:
    if not isinstance(data, dict):
        raise RuleMistake((), "a rule file holds one mapping (id, title, severity, ...)")
    for key in data:
        if key not in REQUIRED and key not in OPTIONAL:
            raise RuleMistake((key,), f"unknown field '{key}' (fields: {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in data:
            raise RuleMistake((), f"missing required field '{key}'")
    rule_id = _string(data, "id")
    if not RULE_ID.match(rule_id):
        raise RuleMistake(("id",), "id must be lower-case letters, digits and dashes")
    if file.stem != rule_id:
        raise RuleMistake(("id",), f"id '{rule_id}' must match the file name '{file.name}'")
    try:
        severity = Severity.parse(_string(data, "severity"))
    except ValueError as exc:
        raise RuleMistake(("severity",), str(exc)) from None
    packs = _string_list(data, "packs")
    if not packs:
        raise RuleMistake(("packs",), "packs must name at least one pack")
    folder = file.parent.relative_to(root).parts
    if folder and folder[0] not in packs:
        raise RuleMistake(("packs",), f"the rule sits in folder '{folder[0]}', so packs must include it")
    scope = _string(data, "scope")
    if scope not in SCOPES:
        raise RuleMistake(("scope",), f"scope must be one of {', '.join(SCOPES)}")
    report = data.get("report", "first")
    if report not in REPORT_MODES:
        raise RuleMistake(("report",), f"report must be one of {', '.join(REPORT_MODES)}")
    versions = data.get("versions")
    if versions is not None:
        _check_versions(versions)
    rule_data = data.get("data", {}) or {}
    if not isinstance(rule_data, dict):
        raise RuleMistake(("data",), "data maps names to lists (or to {by: PARAM, since: {VERSION: list}})")
    _check_data(rule_data, ("data",))
    examples = data.get("examples", {}) or {}
    if (
        not isinstance(examples, dict)
        or set(examples) - {"pass", "fail"}
        or not all(isinstance(v, list) for v in examples.values())
    ):
        raise RuleMistake(("examples",), "examples maps pass and fail to lists of manifests")
    fix = data.get("fix", []) or []
    _check_fix(fix)
    return Rule(
        id=rule_id,
        title=_string(data, "title"),
        severity=severity,
        packs=tuple(packs),
        scope=scope,
        assert_spec=data["assert"],
        message=_string(data, "message"),
        remediation=_string(data, "remediation"),
        file=str(file),
        when_spec=data.get("when"),
        description=str(data.get("description", "") or "").strip(),
        references=tuple(_string_list(data, "references")) if "references" in data else (),
        report=report,
        versions=versions,
        overrides=tuple(_string_list(data, "overrides")) if "overrides" in data else (),
        data=rule_data,
        check_id=str(data["check_id"]) if data.get("check_id") is not None else None,
        examples=examples,
        fix=tuple(fix),
        phrases=read_phrases(data.get("phrases")),
    )


def _check_fix(fix: Any) -> None:
    if not isinstance(fix, list):
        raise RuleMistake(("fix",), "fix is a list of operations: {op: ensure-in-list|set, path: a.b.c, value: ...}")
    for index, operation in enumerate(fix):
        if not isinstance(operation, dict):
            raise RuleMistake(("fix", index), "a fix operation is a mapping: {op, path, value}")
        if "op" in operation and operation["op"] not in FIX_OPS:
            raise RuleMistake(("fix", index, "op"), f"op '{operation['op']}' is not one of {', '.join(FIX_OPS)}")
        if not {"op", "path", "value"} <= set(operation) or set(operation) - set(FIX_KEYS):
            raise RuleMistake(
                ("fix", index),
                "a fix operation has op, path and value, and may have unless (a "
                "condition) with because (why the fix does not apply then)",
            )
        if ("unless" in operation) != ("because" in operation) or not isinstance(operation.get("because", ""), str):
            raise RuleMistake(
                ("fix", index),
                "unless and because go together: because says, as text, why the fix is not made where unless holds",
            )
        if not isinstance(operation["path"], str) or not FIX_PATH.match(operation["path"]):
            raise RuleMistake(
                ("fix", index, "path"),
                "a fix path is dotted field names relative to the rule's "
                "target, e.g. securityContext.capabilities.drop",
            )


def _check_versions(versions: Any) -> None:
    if not isinstance(versions, dict) or "param" not in versions or set(versions) - {"param", "since", "until"}:
        raise RuleMistake(("versions",), "versions takes param (a version parameter) and since and/or until")
    for key in ("since", "until"):
        if key in versions and not isinstance(versions[key], str):
            raise RuleMistake(("versions", key), "write versions as strings like v1.10")
        if key in versions:
            try:
                parse_version(str(versions[key]))
            except ParamError as exc:
                raise RuleMistake(("versions", key), str(exc)) from None


def _check_data(declared: dict[str, Any], where: Path) -> None:
    for name, spec in declared.items():
        if isinstance(spec, list | str | int | float | bool):
            continue
        if not isinstance(spec, dict) or set(spec) != {"by", "since"} or not isinstance(spec["since"], dict):
            raise RuleMistake((*where, name), "a versioned list is {by: PARAM, since: {VERSION: [values]}}")
        for since, items in spec["since"].items():
            if not isinstance(since, str):
                raise RuleMistake((*where, name, "since"), f"write versions as strings like v1.10, not {since!r}")
            try:
                parse_version(str(since))
            except ParamError as exc:
                raise RuleMistake((*where, name, "since", since), str(exc)) from None
            if not isinstance(items, list):
                raise RuleMistake((*where, name, "since", since), "each version maps to a list")


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleMistake((key,), f"'{key}' must be a non-empty string")
    return value.strip()


def _string_list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleMistake((key,), f"'{key}' must be a list of strings")
    return value
