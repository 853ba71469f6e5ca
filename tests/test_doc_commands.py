"""Every `kubecheck` command shown in README.md and docs/ runs, as written, with the exit code the page expects.

A fenced `sh`, `console`, `bash` or `shell` block is one test: its lines that start with `kubecheck ` (or
`$ kubecheck `, or a `kubecheck` step of a `cmd && kubecheck ...` chain) run in order, in-process, from the
root of a scratch copy of the repository's inputs (so `fix --write`, `-o FORMAT=FILE`, `--write-baseline` and
`> FILE` leave the checkout alone), with `< FILE` as stdin and `> FILE` written to the copy. Markers, an HTML
comment on the line right before the block:
  <!-- exit: 1 -->          every kubecheck command of the block exits 1 (default: 0)
  <!-- exit: 0 1 0 -->      the commands exit 0, 1 and 0, in order
  <!-- not-run: REASON -->  the block is not run (it needs a cluster, the network, a server that keeps running)
  <!-- file: PATH -->       (before a yaml or json block) its text is written to PATH in the copy before the
                            next sh block runs, e.g. a .kubecheck.yaml its commands read
A kubecheck command that pipes into or from another program must sit in a not-run block.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.cli import app

from .conftest import ROOT

PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if "notes" not in p.parts)]
LANGUAGES = ("sh", "console", "bash", "shell")
MARKER = re.compile(r"^<!-- (exit|not-run|file): ?(.*?) ?-->$")
# What a scratch copy holds: the inputs the documented commands name.
COPIED = ("fixtures", "deploy", "policies", "frameworks", "docs/examples", "README.md")


@dataclass
class Block:
    page: Path
    line: int
    commands: list[str] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    not_run: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # written into the copy first (file markers before it)

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"


def _logical_lines(lines: list[str]) -> list[str]:
    """Lines with backslash continuations joined."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    if pending:
        joined.append(pending)
    return joined


def _kubecheck_steps(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("$ "):
        text = text[2:]
    return [step.strip() for step in text.split(" && ") if step.strip().startswith("kubecheck ")]


def blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    files: dict[str, str] = {}
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^```(\w*)\s*$", lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        before = lines[index - 1].strip() if index > 0 else ""
        marker = MARKER.match(before)
        if marker and marker.group(1) == "file":
            files[marker.group(2)] = "".join(line + "\n" for line in lines[index + 1 : end])
        if opening.group(1) in LANGUAGES:
            block = Block(page, index + 1, files=dict(files))
            files.clear()
            if marker and marker.group(1) == "not-run":
                block.not_run = marker.group(2)
            for line in _logical_lines(lines[index + 1 : end]):
                block.commands += _kubecheck_steps(line)
            if marker and marker.group(1) == "exit":
                codes = [int(code) for code in marker.group(2).split()]
                block.exits = codes * len(block.commands) if len(codes) == 1 else codes
            else:
                block.exits = [0] * len(block.commands)
            if block.commands or block.not_run is not None:
                found.append(block)
        index = end + 1
    return found


ALL = [block for page in PAGES for block in blocks(page)]


def test_the_pages_show_commands() -> None:
    runnable = [block for block in ALL if block.not_run is None]
    assert len(runnable) >= 15 and sum(len(b.commands) for b in runnable) >= 35


@pytest.mark.parametrize("block", ALL, ids=[block.id for block in ALL])
def test_documented_commands_run(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if block.not_run is not None:
        assert block.not_run.strip(), f"{block.id}: a not-run marker must say why"
        pytest.skip(f"not run: {block.not_run}")
    assert len(block.exits) == len(block.commands), (
        f"{block.id}: the exit marker gives {len(block.exits)} codes for {len(block.commands)} commands"
    )
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, symlinks=True)
        else:
            shutil.copy2(source, tmp_path / name)
    for name, text in block.files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    runner = CliRunner()
    for command, expected in zip(block.commands, block.exits, strict=True):
        words = shlex.split(command, comments=True)
        assert "|" not in words, f"{block.id}: `{command}` pipes; put it in a <!-- not-run: ... --> block"
        stdin: bytes | None = None
        stdout_file: str | None = None
        if "<" in words:
            at = words.index("<")
            stdin = Path(words[at + 1]).read_bytes()
            words = words[:at] + words[at + 2 :]
        if ">" in words:
            at = words.index(">")
            stdout_file = words[at + 1]
            words = words[:at] + words[at + 2 :]
        result = runner.invoke(app, words[1:], input=stdin)
        assert result.exit_code == expected, (
            f"{block.id}: `{command}` exited {result.exit_code}, the page expects {expected}\n{result.output[-2000:]}"
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{block.id}: `{command}` raised {result.exception!r}"
        )
        if stdout_file is not None:
            Path(stdout_file).write_text(result.stdout, encoding="utf-8")
