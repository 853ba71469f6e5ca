"""Hostile inputs, rule files and configuration files (tests/hostile/): each gets a clear one-line error
naming its file (and line where there is one), in bounded time, with no traceback; a bad input leaves its
sibling input scanned. A bad rule or configuration file stops the run (exit 2) instead: scanning with a
rule or a configuration silently left out would report a pass that was never checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
SIBLING = ROOT / "fixtures" / "kubectl" / "deployment-web.yaml"
SIBLING_FINDING = "deployment-web.yaml"
COMMAND = [shutil.which("kubecheck") or ""] if shutil.which("kubecheck") else [sys.executable, "-m", "checker.cli"]
LIMIT_SECONDS = 60  # each case takes a few seconds at most; the limit only catches a hang (the 30 MB script took 136 s)

# Every file or directory under tests/hostile/ with the message it must give (None: no error, just fast).
INPUTS = {
    "alias-bomb.yaml": ":1: error: aliases expand to more than 2,000,000 nodes",
    "deep-nesting.yaml": ":4: error: YAML parse error: while increasing flow level; exceeded maximum nesting depth",
    "empty-documents.yaml": None,
    "not-utf8.yaml": ":6: error: not valid UTF-8 text",
    "truncated.json": ":1: error: JSON parse error",
    "utf16-no-bom.yaml": ": error: looks like UTF-16 text without a byte order mark",
}
RULES = {
    "alias-bomb": "alias-bomb.yaml:15: aliases expand to more than 200,000 nodes",
    "catastrophic-regex": "catastrophic-regex.yaml:10: regular expression uses a repeat inside a repeat",
    "deep-nesting": "deep-nesting.yaml:9: nesting is deeper than 64 levels",
    "long-path": "long-path.yaml:10: path is longer than 1000 characters",
    "many-conditions": "many-conditions.yaml:210: more than 1000 conditions in one rule",
    "not-utf8": "not-utf8.yaml:10: not valid UTF-8 text",
}
CONFIGS = {
    "alias-bomb.yaml": "alias-bomb.yaml:7: aliases expand to more than 200,000 nodes",
    "deep-nesting.yaml": "deep-nesting.yaml:1: nesting is deeper than 64 levels",
    "duplicate-key.yaml": "duplicate-key.yaml:2: invalid YAML: duplicate key 'packs'",
    "not-utf8.yaml": "not-utf8.yaml:2: not valid UTF-8 text",
    "utf16-no-bom.yaml": "utf16-no-bom.yaml: looks like UTF-16 text without a byte order mark",
}


def kubecheck(*args: str, stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=stdin,
        timeout=LIMIT_SECONDS * 3,
    )
    assert time.monotonic() - started < LIMIT_SECONDS, f"kubecheck {' '.join(args)} took too long"
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_the_tables_cover_every_hostile_case() -> None:
    assert sorted(p.name for p in (HOSTILE / "inputs").iterdir()) == sorted(INPUTS)
    assert sorted(p.name for p in (HOSTILE / "rules").iterdir()) == sorted(RULES)
    assert sorted(p.name for p in (HOSTILE / "config").iterdir()) == sorted(CONFIGS)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_hostile_input_is_refused_and_its_sibling_scanned(name: str) -> None:
    path = HOSTILE / "inputs" / name
    done = kubecheck("scan", str(path.relative_to(ROOT)), str(SIBLING.relative_to(ROOT)), "-o", "text")
    assert done.returncode == (1 if INPUTS[name] is None else 2), done.stderr  # 2: an input error
    assert SIBLING_FINDING in done.stdout
    expected = INPUTS[name]
    if expected is not None:
        error = next(line for line in done.stdout.splitlines() if f"{name}:" in line and "error:" in line)
        assert expected in error
    else:
        assert "error:" not in done.stdout


@pytest.mark.parametrize("name", sorted(RULES))
def test_a_hostile_rule_file_is_refused_with_file_and_line(name: str) -> None:
    done = kubecheck("scan", str(SIBLING), "--policy-dir", str(HOSTILE / "rules" / name))
    assert done.returncode == 2
    assert RULES[name] in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_hostile_configuration_file_is_refused_with_file_and_line(name: str) -> None:
    done = kubecheck("scan", str(SIBLING), "--config", str(HOSTILE / "config" / name))
    assert done.returncode == 2
    assert CONFIGS[name] in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_configuration_file_in_utf16_with_its_mark_is_read(tmp_path: Path) -> None:
    config = tmp_path / "kubecheck.yaml"
    config.write_bytes("packs: [pss-baseline]\n".encode("utf-16"))
    done = kubecheck("scan", str(SIBLING), "--config", str(config), "-o", "json")
    assert done.returncode in (0, 1), done.stderr
    assert '"rules": 12' in done.stdout  # pss-baseline alone, as the file says


def test_a_closed_stdin_is_an_input_error_and_the_sibling_is_scanned() -> None:
    """`kubecheck scan - <&-`: Python starts with sys.stdin None (an AttributeError traceback before)."""
    done = subprocess.run(
        f"{' '.join(COMMAND)} scan - {SIBLING} -o text <&-",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=LIMIT_SECONDS * 3,
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert "<stdin>: error: cannot read: stdin is closed" in done.stdout
    assert SIBLING_FINDING in done.stdout


def test_a_30_mb_script_is_named_not_analysed_in_bounded_time(tmp_path: Path) -> None:
    """A 30 MB `sh -c` script in one container (136 s and 3 GB before the per-value bound): an info finding
    names the field, and the scan stays fast."""
    script = "echo start\n" + "x=1; " * 6_000_000 + "\nexec nginx --listen [::]:80"
    manifest = tmp_path / "huge-script.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers:\n  - name: app\n    image: i\n"
        f'    command: ["sh", "-c", "{script.replace(chr(10), chr(92) + "n")}"]\n'
    )
    assert manifest.stat().st_size > 30_000_000
    done = kubecheck("scan", str(manifest), str(SIBLING), "-o", "text", "--pack", "network-hardening")
    assert "value-not-analysed" in done.stdout
    assert "command[2] is longer than 262,144 characters" in done.stdout
    assert SIBLING_FINDING in done.stdout
