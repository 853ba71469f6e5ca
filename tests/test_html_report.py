"""The HTML report (-o html=PATH): one self-contained, deterministic file whose every text is escaped, and
that a real browser renders, sorts and filters (headless Chromium; skipped with the reason where it is absent).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from checker.api import plan, run_plan, scan_text
from checker.report import FORMATS, RenderOptions

from .conftest import FIXTURES, ROOT

INPUTS = [str(FIXTURES / "rules" / name) for name in ("rbac-secrets-access", "pss-privileged", "resource-limits")]
PACKS = ["rbac", "best-practices", "pss-baseline"]


@pytest.fixture(scope="module")
def report():
    return run_plan(plan(packs=PACKS, frameworks=["cis-kubernetes"]), INPUTS)


def test_the_report_is_self_contained_and_deterministic(report, tmp_path) -> None:
    destination = str(tmp_path / "report.html")
    html = FORMATS["html"](report, RenderOptions(destination=destination))
    assert html == FORMATS["html"](report, RenderOptions(destination=destination))
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # nothing is fetched: no external script, style sheet, image, frame or font
    assert not re.search(r"<(script|img|iframe|link|source)\b[^>]*\b(src|href)=", html)
    assert "@import" not in html and "url(" not in html
    for section in ("summary", "framework-cis-kubernetes", "by-rule", "matrix", "findings", "rules"):
        assert f'id="{section}"' in html, section
    assert html.count("<tr data-i=") == len(report.findings)


def test_links_point_at_the_files_from_the_report_folder(report) -> None:
    """Relative to the report's folder, so the report moves with the repository."""
    destination = ROOT / "build" / "report.html"
    html = FORMATS["html"](report, RenderOptions(destination=str(destination)))
    hrefs = re.findall(r'<td class="mono"><a href="([^"]+)">', html)
    assert hrefs and all(not href.startswith(("/", "file:")) for href in hrefs)
    assert all((destination.parent / href).resolve().is_file() for href in hrefs)


def test_every_text_is_escaped() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    manifest = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: '" + hostile + "'}\n"
        "spec: {containers: [{name: '" + hostile + "', image: app}]}\n"
    )
    report = scan_text(plan(rules=["image-tag-pinned"]), "<stdin>", manifest)
    assert report.findings
    html = FORMATS["html"](report, RenderOptions())
    assert hostile not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_scan_without_findings_renders(tmp_path) -> None:
    report = scan_text(
        plan(rules=["pss-privileged"]), "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    )
    html = FORMATS["html"](report, RenderOptions(destination=str(tmp_path / "r.html")))
    assert "No findings." in html and 'id="table"' not in html


def test_the_command_writes_the_file_and_another_report_to_stdout(tmp_path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    command = [sys.executable, "-m", "checker.cli", "scan", *INPUTS, "--pack", "rbac", "-o", "json", "-o"]
    result = subprocess.run([*command, f"html={target}"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("{") and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"html report written to {target}" in result.stderr
    unwritable = subprocess.run(
        [*command, f"html={tmp_path / 'missing' / 'r.html'}"], capture_output=True, text=True, cwd=ROOT
    )
    assert unwritable.returncode == 2 and "cannot write the html report" in unwritable.stderr
    twice = subprocess.run([*command, "text"], capture_output=True, text=True, cwd=ROOT)
    assert twice.returncode == 2 and "only one --output can go to standard output" in twice.stderr


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine (Debian: apt-get install -y chromium)")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_chromium_renders_sorts_and_filters(report, tmp_path) -> None:
    browser = _chromium()
    page = tmp_path / "report.html"
    page.write_text(FORMATS["html"](report, RenderOptions(destination=str(page))), encoding="utf-8")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    wanted = sum(1 for f in report.findings if f.rule == "rbac-secrets-access")
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, *profile, "--dump-dom", page.as_uri() + "#rule=rbac-secrets-access"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert 'data-ready="1"' in dom.stdout, dom.stderr[-2000:]  # the script ran to its end without an error
    assert f"{wanted} of {len(report.findings)} findings" in dom.stdout
    assert dom.stdout.count('class="hidden"') == len(report.findings) - wanted
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, *profile, "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=90,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
