"""Exemptions a platform team writes in .kubecheck.yaml (which rules, for which objects, why, until when), the
rules no annotation or comment may silence, and the `expired-exemption` finding an outdated one turns into.

An entry matches a finding when every key it names matches (each a list of fnmatch globs). A finding about a
whole pod matches `containers` or `images` only when every container it concerns matches, as Kyverno's Pod
Security exclusions by image work (https://kyverno.io/docs/policy-types/validating-policy/#podsecurity).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .findings import Finding, RuleInfo, Severity
from .suggest import did_you_mean
from .workloads.pods import Container

EXPIRED_RULE = "expired-exemption"
EXPIRED_INFO = RuleInfo(
    EXPIRED_RULE,
    "Exemptions and suppressions are renewed or removed when they expire",
    Severity.LOW,
    (),
    "An exemption in the configuration file, or an ignore annotation or comment, carries an expiry date that "
    "has passed, so it no longer applies.",
    "Fix the findings it excused, or renew it with a new date and reason after review.",
    (),
)
MATCH_KEYS = ("namespaces", "kinds", "names", "containers", "images", "paths")
ENTRY_KEYS = ("rules", *MATCH_KEYS, "reason", "expires")


@dataclass(frozen=True)
class Exemption:
    """One entry of the configuration's exemptions: rule ids or packs, the globs it is limited to, and why."""

    rules: tuple[str, ...]
    reason: str
    file: str
    line: int
    expires: datetime.date | None = None
    namespaces: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    names: tuple[str, ...] | None = None
    containers: tuple[str, ...] | None = None
    images: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None

    def covers_rule(self, rule: str, packs: Iterable[str]) -> bool:
        return rule in self.rules or any(pack in self.rules for pack in packs)

    def matches(self, finding: Finding, packs: Iterable[str], concerned: list[Container] | None) -> bool:
        """Whether the entry exempts the finding. ``concerned``: the containers the finding is about (every
        container of its pod for a pod-level finding; None for an object without a pod)."""
        if not self.covers_rule(finding.rule, packs):
            return False
        resource = finding.resource
        plain = (
            (self.namespaces, str(resource.get("namespace") or "")),
            (self.kinds, str(resource.get("kind") or "")),
            (self.names, str(resource.get("name") or "")),
            (self.paths, finding.file),
        )
        if not all(globs is None or _any(globs, value) for globs, value in plain):
            return False
        for globs, values in (
            (self.containers, [c.name for c in concerned or ()]),
            (self.images, [str(c.spec.get("image") or "") for c in concerned or ()]),
        ):
            if globs is not None and (not values or not all(_any(globs, value) for value in values)):
                return False
        return True


def _any(globs: tuple[str, ...], value: str) -> bool:
    return any(fnmatchcase(value, glob) for glob in globs)


@dataclass
class Controls:
    """What the configuration says about silencing findings: its exemptions, the rules (or packs) that ignore
    annotations and comments, and the day expiry dates are compared with (None: today, UTC)."""

    exemptions: list[Exemption] = field(default_factory=list)
    non_bypassable: tuple[str, ...] = ()
    non_bypassable_at: str = ""  # file:line of the key, for notes
    today: datetime.date | None = None

    def day(self) -> datetime.date:
        return self.today or datetime.datetime.now(datetime.UTC).date()

    def is_non_bypassable(self, rule: str, packs: Iterable[str]) -> bool:
        return rule in self.non_bypassable or any(pack in self.non_bypassable for pack in packs)

    def unknown_names(self, rules: Iterable[str], packs: Iterable[str]) -> list[tuple[str, str, int]]:
        """(name, file, line) of each rule or pack named by an exemption or non-bypassable that does not exist."""
        known = {*rules, *packs}
        unknown = [(name, e.file, e.line) for e in self.exemptions for name in e.rules if name not in known]
        file, _, line = self.non_bypassable_at.rpartition(":")
        unknown += [(name, file, int(line or 1)) for name in self.non_bypassable if name not in known]
        return unknown


def parse_exemptions(value: Any, file: str, lines: list[int]) -> tuple[list[Exemption], list[str]]:
    """The entries of an ``exemptions:`` list (``lines``: the line of each entry), and every mistake in them
    as ``file:line: message``."""
    if not isinstance(value, list):
        return [], [f"{file}:{lines[0] if lines else 1}: 'exemptions' takes a list of entries"]
    exemptions: list[Exemption] = []
    errors: list[str] = []
    for index, entry in enumerate(value):
        line = lines[index] if index < len(lines) else 1
        where = f"{file}:{line}: exemptions[{index}]"
        if not isinstance(entry, dict):
            errors.append(f"{where}: an entry is a mapping with rules, reason and what it applies to")
            continue
        mistakes: list[str] = []
        for key in entry:
            if key not in ENTRY_KEYS:
                hint = did_you_mean(str(key), ENTRY_KEYS)
                mistakes.append(f"unknown key '{key}'{hint} (keys: {', '.join(ENTRY_KEYS)})")
        globs: dict[str, tuple[str, ...]] = {}
        for key in ("rules", *MATCH_KEYS):
            if key not in entry:
                continue
            items = entry[key]
            if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
                mistakes.append(f"'{key}' takes a non-empty list of strings")
            else:
                globs[key] = tuple(items)
        if "rules" not in entry:
            mistakes.append("'rules' is required: the rule ids or packs the entry exempts")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            mistakes.append("'reason' is required: say why the exemption is acceptable")
        expires = _expiry(entry.get("expires")) if "expires" in entry else None
        if "expires" in entry and expires is None:
            mistakes.append(f"'expires' is a date, YYYY-MM-DD (got {entry.get('expires')!r})")
        if mistakes:
            errors.extend(f"{where}: {mistake}" for mistake in mistakes)
            continue
        exemptions.append(
            Exemption(
                rules=globs["rules"],
                reason=" ".join(str(reason).split()),
                file=file,
                line=line,
                expires=expires,
                **{key: globs.get(key) for key in MATCH_KEYS},
            )
        )
    return exemptions, errors


def _expiry(value: Any) -> datetime.date | None:
    """YAML reads an unquoted 2026-06-30 as a date; a quoted one is a string."""
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    return parse_date(value) if isinstance(value, str) else None


def parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def expired_finding(what: str, file: str, line: int, expired_on: datetime.date, resource: dict[str, Any]) -> Finding:
    """The finding an expired exemption or suppression is reported as."""
    return Finding(
        rule=EXPIRED_RULE,
        severity=Severity.LOW,
        message=f"{what} expired on {expired_on.isoformat()}, so it no longer applies",
        file=file,
        line=line,
        column=1,
        resource=resource or {"apiVersion": "", "kind": "", "name": "", "namespace": ""},
        container=None,
        path="",
        remediation=" ".join(EXPIRED_INFO.remediation.split()),
    )
