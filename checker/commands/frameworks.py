"""`kubecheck frameworks`: the compliance frameworks kubecheck ships, and one framework's controls with the
rules that judge each (or why a manifest scan cannot: manual).
"""

from __future__ import annotations

import textwrap

from ..policy.frameworks import Framework
from ..policy.model import Rule

WIDTH = 100


def framework_table(frameworks: list[Framework]) -> list[str]:
    """One line per framework: id, version, controls judged by rules and manual ones, title."""
    width = max((len(f.id) for f in frameworks), default=10)
    lines = []
    for framework in sorted(frameworks, key=lambda f: f.id):
        judged = sum(1 for c in framework.controls if c.rules)
        manual = len(framework.controls) - judged
        counts = f"{judged} judged, {manual} manual"
        lines.append(f"{framework.id:<{width}}  v{framework.version:<8} {counts:<22} {framework.title}")
    return lines


def framework_page(framework: Framework, rules: dict[str, Rule]) -> str:
    """The framework's controls, by section: id and title, the rules that judge it (with their packs), and
    what is left to judge by hand."""
    lines = [f"{framework.title} v{framework.version} ({framework.id})"]
    if framework.url:
        lines.append(framework.url)
    section = None
    for control in framework.controls:
        if control.section != section:
            section = control.section
            lines += ["", section]
        lines.append(f"  {control.id}  {control.title}")
        for ref in control.rules:
            rule = rules[ref.rule]
            only = f" (findings at {ref.path})" if ref.path else ""
            lines.append(f"      rule {ref.rule} [{rule.severity.label}; {', '.join(rule.packs)}]{only}")
        if control.manual:
            label = "manual: " if not control.rules else "by hand: "
            lines += textwrap.wrap(control.manual, WIDTH, initial_indent="      " + label, subsequent_indent="        ")
    judged = sum(1 for c in framework.controls if c.rules)
    lines += [
        "",
        f"{len(framework.controls)} controls: {judged} judged by rules, {len(framework.controls) - judged} manual. "
        f"Scan with: kubecheck scan PATH --framework {framework.id}",
    ]
    return "\n".join(lines)
