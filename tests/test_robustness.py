"""Bad input never produces a traceback: seeded random mutations of the repository's fixtures go
through the whole pipeline (parse, rules of every pack, positions, suppressions) without raising."""

from __future__ import annotations

import random

from checker.api import plan, scan_text

from .conftest import FIXTURES, examples

TOKENS = [
    "\n",
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: ",
    "'",
    '"',
    "\t",
    "---\n",
    "...\n",
    "null",
    "~",
    "1",
    "true",
    "  ",
    "#",
    "!!str ",
    "!!binary ",
    "!!python/object ",
    "? ",
    "|",
    ">",
    "\r\n",
    "\x00",
    "\ufeff",
    "capabilities: {add: [ALL]}",
    "securityContext: x",
    "containers: {}",
    "2001-12-14",
    "0x1F",
]


def test_mutated_manifests_never_raise() -> None:
    rng = random.Random(20261125)
    seeds = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    chosen = plan(packs=["network-hardening", "pss-restricted"], settings=["ipv6=disabled"])
    for _ in range(examples(300, 10_000)):
        text = rng.choice(seeds).read_text(encoding="utf-8")
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.5:
                text = text[:at] + rng.choice(TOKENS) + text[at:]
            else:
                text = text[:at] + text[at + rng.randint(1, 20) :]
        report = scan_text(chosen, "mutated.yaml", text)  # must not raise
        assert all(error.message for error in report.errors)
