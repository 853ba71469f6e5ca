"""Rule parameters: their declarations (type, default, description) and the values of one run.

Values come from ``--set KEY=VALUE``; each is parsed by its declared type and unknown keys are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PARAM_TYPES = ("string", "enum", "version", "map", "list", "bool", "int")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)$")


class ParamError(ValueError):
    """A parameter value that does not fit its declaration."""


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
            return parse_version(text)
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
        raise ParamError(f"{self.name}: unknown parameter type {self.type!r}")


def _parse_map(name: str, raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    result: dict[str, str] = {}
    for part in str(raw).split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"{name}: {part!r} is not NAME=VALUE")
        result[key.strip()] = value.strip()
    return result


@dataclass
class Params:
    """The typed parameter values of one run (declared defaults overlaid with --set values)."""

    specs: dict[str, ParamSpec] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    explicit: set[str] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)  # shared data (policy data.yaml) resolved for this run

    def get(self, name: str) -> Any:
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values


def resolve_params(specs: dict[str, ParamSpec], assignments: list[str]) -> Params:
    """Apply ``KEY=VALUE`` assignments over the declared defaults; raise ParamError on any mistake."""
    params = Params(specs=specs)
    for name, spec in specs.items():
        params.values[name] = spec.parse(spec.default)
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        key = key.strip()
        if not sep:
            raise ParamError(f"--set {assignment!r}: expected KEY=VALUE")
        if key not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise ParamError(f"--set {key}: unknown parameter (known: {known})")
        params.values[key] = specs[key].parse(value)
        params.explicit.add(key)
    return params
