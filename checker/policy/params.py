"""Rule parameters: their declarations (type, default, description) and the values of one run.

Values come from ``--set KEY=VALUE``; each is parsed by its declared type and unknown keys are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..semantics.sysctls import normalize_name
from ..suggest import did_you_mean

PARAM_TYPES = ("string", "enum", "version", "map", "list", "bool", "int", "sysctls", "sysctl-patterns")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)$")
# A sysctl name as the API server validates it (dotted segments of lower-case letters, digits, - and _;
# slashes allowed inside interface names), after the kubelet's slash normalisation.
_SYSCTL_NAME = re.compile(r"^(?:[a-z0-9](?:[-_a-z0-9/]*[a-z0-9])?\.)*[a-z0-9](?:[-_a-z0-9/]*[a-z0-9])?$")


class ParamError(ValueError):
    """A parameter value that does not fit its declaration. ``index`` is the position of the assignment
    that failed in the list given to resolve_params (to tell a config file's from a --set)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def parse_version(text: str) -> tuple[int, int]:
    match = _VERSION.match(str(text).strip())
    if not match:
        raise ParamError(f"{text!r} is not a Kubernetes version like v1.30")
    return int(match.group(1)), int(match.group(2))


def format_version(version: tuple[int, int]) -> str:
    return f"v{version[0]}.{version[1]}"


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str
    default: Any
    description: str
    values: tuple[str, ...] = ()
    latest: str | None = None

    def parse(self, raw: Any) -> Any:
        """Turn a raw value (a --set string, or a YAML value) into the typed value."""
        if self.type == "string":
            return str(raw)
        if self.type == "enum":
            text = str(raw).strip().lower()
            if text not in self.values:
                raise ParamError(f"{self.name}: {raw!r} is not one of {', '.join(self.values)}")
            return text
        if self.type == "version":
            text = str(raw).strip()
            if text.lower() == "latest":
                text = self.latest or ""
            try:
                version = parse_version(text)
            except ParamError as exc:
                raise ParamError(f"{self.name}: {exc}") from None
            newest = parse_version(self.latest) if self.latest else None
            if version[0] != 1 or (newest is not None and version > newest):
                raise ParamError(
                    f"{self.name}: kubecheck knows Kubernetes v1.0 to {self.latest}, not "
                    f"{format_version(version)} (use latest for the newest)"
                )
            return version
        if self.type == "int":
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise ParamError(f"{self.name}: {raw!r} is not a whole number") from None
        if self.type == "bool":
            text = str(raw).strip().lower()
            if text in ("true", "yes", "1", "on"):
                return True
            if text in ("false", "no", "0", "off"):
                return False
            raise ParamError(f"{self.name}: {raw!r} is not true or false")
        if self.type == "list":
            if isinstance(raw, list):
                return tuple(str(v) for v in raw)
            return tuple(part.strip() for part in str(raw).split(",") if part.strip())
        if self.type == "map":
            return _parse_map(self.name, raw)
        if self.type == "sysctls":
            return _parse_sysctls(self.name, raw)
        if self.type == "sysctl-patterns":
            return tuple(_sysctl_pattern(self.name, entry) for entry in ParamSpec(self.name, "list", (), "").parse(raw))
        raise ParamError(f"{self.name}: unknown parameter type {self.type!r}")


def _parse_map(name: str, raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return dict(_parse_map_pairs(name, raw))


def _parse_map_pairs(name: str, raw: Any) -> list[tuple[str, str]]:
    """The NAME=VALUE pairs of a comma-separated --set value, in order."""
    pairs = []
    for part in str(raw).split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"{name}: {part!r} is not NAME=VALUE")
        pairs.append((key.strip(), value.strip()))
    return pairs


def _parse_sysctls(name: str, raw: Any) -> dict[str, str]:
    """NAME=VALUE pairs of sysctls: names normalized as the kubelet does, each valid, none given twice with
    different values."""
    result: dict[str, str] = {}
    pairs = raw.items() if isinstance(raw, dict) else _parse_map_pairs(name, raw)
    for key, value in pairs:
        sysctl = normalize_name(str(key).strip())
        if not _SYSCTL_NAME.match(sysctl):
            raise ParamError(f"{name}: {key!r} is not a valid sysctl name")
        text = str(value).strip()
        if result.get(sysctl, text) != text:
            raise ParamError(f"{name}: {sysctl} is given twice, as {result[sysctl]!r} and {text!r}")
        result[sysctl] = text
    return result


def _sysctl_pattern(name: str, entry: str) -> str:
    """A kubelet --allowed-unsafe-sysctls entry: a sysctl name, or a prefix ending in a single *."""
    pattern = normalize_name(entry.strip())
    prefix = pattern.removesuffix("*")
    if "*" in prefix or not _SYSCTL_NAME.match(prefix.rstrip("._")):
        raise ParamError(f"{name}: {entry!r} is not a sysctl name or a pattern like net.ipv6.* (* only at the end)")
    return pattern


@dataclass
class Params:
    """The typed parameter values of one run (declared defaults overlaid with --set values)."""

    specs: dict[str, ParamSpec] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    explicit: set[str] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)  # shared data (policy data.yaml) resolved for this run

    def get(self, name: str) -> Any:
        return self.values[name]

    @cached_property
    def placeholders(self) -> dict[str, Any]:
        """The values as message templates name them (``param.NAME``; a version as v1.N), made once: a
        run's values are set when it is resolved and do not change after."""
        return {
            f"param.{name}": format_version(value) if self.specs[name].type == "version" else value
            for name, value in self.values.items()
        }

    def __contains__(self, name: object) -> bool:
        """Whether a parameter of that name is declared (so Params is a Container of names)."""
        return name in self.values


def resolve_params(specs: dict[str, ParamSpec], assignments: list[str]) -> Params:
    """Apply ``KEY=VALUE`` assignments over the declared defaults; raise ParamError on any mistake."""
    params = Params(specs=specs)
    for name, spec in specs.items():
        params.values[name] = spec.parse(spec.default)
    for index, assignment in enumerate(assignments):
        key, sep, value = assignment.partition("=")
        key = key.strip()
        if not sep:
            raise ParamError(f"--set {assignment!r}: expected KEY=VALUE", index)
        if key not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise ParamError(f"--set {key}: unknown parameter{did_you_mean(key, specs)} (known: {known})", index)
        try:
            params.values[key] = specs[key].parse(value)
        except ParamError as exc:
            raise ParamError(str(exc), index) from None
        params.explicit.add(key)
    return params
