"""Baselines for adopting the gate in an old repository: record today's findings by a fingerprint without line
numbers, then report only findings that are not in the record, and how many recorded ones no longer occur.

A fingerprint hashes the file, rule, object (apiVersion, kind, namespace, name), container, field path and
offending value, so edits above or below a finding do not change it. Equal fingerprints are counted, so a
second identical finding in the same place is still new.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .findings import Finding

FORMAT_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read, with the file named."""


def fingerprint(finding: Finding) -> str:
    resource = finding.resource
    parts = (
        finding.file,
        finding.rule,
        resource.get("apiVersion"),
        resource.get("kind"),
        resource.get("namespace"),
        resource.get("name"),
        finding.container,
        finding.path,
        finding.value,
    )
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def render(findings: Sequence[Finding]) -> str:
    """The baseline file: its format version and one entry per finding (fingerprint, and what a reader needs
    to recognise it), in report order."""
    entries = [
        {
            "fingerprint": fingerprint(f),
            "rule": f.rule,
            "file": f.file,
            "object": "/".join(
                str(p) for p in (f.resource.get("kind"), f.resource.get("namespace"), f.resource.get("name")) if p
            ),
            "container": f.container,
            "path": f.path,
        }
        for f in findings
    ]
    return json.dumps({"kubecheck-baseline": FORMAT_VERSION, "findings": entries}, indent=2) + "\n"


def read(path: str) -> Counter[str]:
    """The fingerprints a baseline file records, each with how often it occurs."""
    try:
        with open(path, encoding="utf-8") as handle:
            data: Any = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: the baseline is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("kubecheck-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}:1: not a kubecheck baseline (write one with --write-baseline)")
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}:1: 'findings' is a list of entries, each with a fingerprint")
    return Counter(e["fingerprint"] for e in entries)


@dataclass
class Comparison:
    """The findings not in the baseline, those it already knew, and how many of its entries no longer occur."""

    new: list[Finding] = field(default_factory=list)
    known: list[Finding] = field(default_factory=list)
    gone: int = 0


def compare(findings: Sequence[Finding], recorded: Counter[str]) -> Comparison:
    remaining = Counter(recorded)
    comparison = Comparison()
    for finding in findings:
        key = fingerprint(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            comparison.known.append(finding)
        else:
            comparison.new.append(finding)
    comparison.gone = sum(remaining.values())
    return comparison
