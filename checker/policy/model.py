"""The rule as written in a policy file, and its compiled form for one run.

Message templates live in templates.py; ``render`` is re-exported here for the callers that fill them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..findings import Severity
from .conditions import Condition, Verdict, verdict_of
from .templates import Phrase
from .templates import render as render

SCOPES = ("resource", "pod", "container", "namespace")
REPORT_MODES = ("first", "each")


@dataclass(frozen=True)
class PolicyError:
    """A mistake in a policy file, with the line it is on."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class Rule:
    id: str
    title: str
    severity: Severity
    packs: tuple[str, ...]
    scope: str
    assert_spec: Any
    message: str
    remediation: str
    file: str
    when_spec: Any = None
    description: str = ""
    references: tuple[str, ...] = ()
    report: str = "first"
    versions: dict[str, Any] | None = None
    overrides: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    check_id: str | None = None
    examples: dict[str, list[Any]] = field(default_factory=dict)
    fix: tuple[dict[str, Any], ...] = ()
    phrases: dict[str, Phrase] = field(default_factory=dict)  # named text fragments its templates may use


@dataclass
class CompiledRule:
    rule: Rule
    when: Condition | None
    assertion: Condition
    fix_unless: tuple[Condition | None, ...] = ()  # per fix operation: where it must not be made
    # the verdicts of when and assert alone (conditions.verdict_of): the engine asks them first
    when_holds: Verdict | None = field(init=False, repr=False, compare=False)
    assertion_holds: Verdict = field(init=False, repr=False, compare=False)
    # the assertion failed on the last target it was asked about: the engine evaluates it fully at once on
    # the next, as a verdict first would be thrown away if it fails again (it changes cost, never results)
    failed_last: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.when_holds = verdict_of(self.when) if self.when is not None else None
        self.assertion_holds = verdict_of(self.assertion)
