"""The terminal: the progress bar (only on a terminal, after a delay, never with --quiet), the text layout
(path once per group, one-sentence messages unless -v, wrapping, each rule's fix once) and --min-severity."""

from __future__ import annotations

import io
import json

from checker.progress import ScanProgress
from checker.report import RenderOptions
from checker.report.text import render, short_message

from .conftest import FIXTURES, scan
from .test_cli import run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_when_enabled_and_after_the_delay() -> None:
    quiet = Terminal()
    with ScanProgress(quiet, enabled=False, delay=0) as progress:
        progress.reading(10, 10)
    assert quiet.getvalue() == "" and not progress.shown
    fast = Terminal()
    with ScanProgress(fast, enabled=True, delay=60) as progress:
        progress.reading(10, 10)
    assert fast.getvalue() == "" and not progress.shown
    slow = Terminal()
    with ScanProgress(slow, enabled=True, delay=0) as progress:
        progress.reading(5, 10)
        progress.checking(3, 4)
    assert progress.shown
    assert "10" in slow.getvalue() and "objects" in slow.getvalue()


def test_progress_steps_give_the_same_findings() -> None:
    from checker.api import plan, read
    from checker.api import run as run_pipeline

    chosen = plan(packs=["pss-baseline", "network-hardening"])
    loaded = read([str(FIXTURES / "kubectl"), str(FIXTURES / "exemptions")])
    ticks: list[tuple[int, int]] = []
    stepped = run_pipeline(chosen, loaded, progress=lambda done, total: ticks.append((done, total))).report()
    plain = run_pipeline(chosen, loaded).report()
    assert [f.to_dict() for f in stepped.findings] == [f.to_dict() for f in plain.findings]
    assert sum(done for done, _ in ticks) == plain.resources == ticks[-1][1]


def test_cli_without_a_terminal_draws_no_bar() -> None:
    result = run("scan", "fixtures/kubectl", "--quiet")
    assert result.stderr == b""
    assert run("scan", "fixtures/kubectl").stderr == b""  # stderr is a pipe here


def test_short_message_keeps_the_first_sentence_outside_parentheses() -> None:
    assert short_message("short: kept whole") == "short: kept whole"
    long = "first part (with a. dot; inside) ends here; " + "x " * 80
    assert short_message(long) == "first part (with a. dot; inside) ends here [-v]"


def test_text_layout_groups_wraps_and_gives_each_fix_once() -> None:
    report = scan([FIXTURES / "kubectl"], rules=["drop-net-bind-service"])
    text = render(report, RenderOptions(width=60))
    lines = text.splitlines()
    assert lines[0] == "fixtures/kubectl/cronjob-nightly.yaml" or lines[0].endswith("cronjob-nightly.yaml")
    assert all(len(line) <= 60 for line in lines if not line.startswith(("fixtures", "/")) and "findings" not in line)
    assert " ".join(text.split()).count("Add NET_BIND_SERVICE") == 1
    assert any(line.startswith("  drop-net-bind-service (4 findings in 4 objects):") for line in lines)
    assert not any(":14:13" in line for line in lines)  # the path is the group's heading, not repeated


def test_min_severity_filters_what_is_shown_and_what_fails() -> None:
    every = json.loads(run("scan", "fixtures/exemptions", "--pack", "best-practices", "-o", "json").stdout)
    severities = {f["severity"] for f in every["findings"]}
    assert "high" not in severities or len(severities) > 1
    high = run("scan", "fixtures/exemptions", "--min-severity", "high", "-o", "json")
    shown = json.loads(high.stdout)["findings"]
    assert shown and all(f["severity"] in ("high", "critical") for f in shown)
    bad = run("scan", "fixtures/exemptions", "--min-severity", "severe")
    assert bad.returncode == 2 and b"--min-severity: unknown severity 'severe'" in bad.stderr
