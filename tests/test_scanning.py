"""The streamed scan (checker/scanning.py) gives, at --jobs 1 and 2, the report the in-memory api.run()
gives byte for byte: on the fixtures tree, on corpus repositories, on a chart and an overlay, with a
configuration's exemptions and non-bypassable rules and a baseline; its workers die with the scan."""

from __future__ import annotations

import datetime
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from checker import scanning
from checker.api import plan, run_plan
from checker.config import load_config
from checker.report import FORMATS, RenderOptions

from .conftest import CORPUS, FIXTURES, SHARED, need_shared

ROOT = FIXTURES.parent
ALL_PACKS = ["network-hardening", "pss-baseline", "pss-restricted", "best-practices", "rbac"]


def _json(report) -> str:
    return FORMATS["json"](report, RenderOptions(show_suppressed=True))


@pytest.fixture(autouse=True)
def _workers_for_small_scans(monkeypatch):
    monkeypatch.setattr(scanning, "PARALLEL_MIN_INPUTS", 2)
    monkeypatch.setattr(scanning, "CHUNK_SIZE", 3)


def _same(chosen, paths: list[str], render=None) -> str:
    expected = _json(run_plan(chosen, paths, render=render))
    for jobs in (1, 2):
        assert _json(scanning.scan(chosen, paths, render=render, jobs=jobs)) == expected, f"--jobs {jobs}"
    return expected


def test_the_fixtures_tree(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = _same(plan(packs=ALL_PACKS, settings=["ipv6=disabled"]), ["fixtures"])
    assert '"suppressed_by"' in shown and '"rendered"' in shown  # suppressions, the rendered overlay


def test_a_service_and_its_deployment_in_different_files(tmp_path: Path) -> None:
    (tmp_path / "a-deployment.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: web
                    image: registry.example/web:1.27
                    args: ["--listen-address=[::]:8080"]
                    ports: [{containerPort: 8080}]
            """
        )
    )
    (tmp_path / "z-service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {app: web}\n  ipFamilyPolicy: SingleStack\n  ipFamilies: [IPv4]\n"
        "  ports: [{port: 80, targetPort: 8080}]\n"
    )
    shown = _same(plan(packs=ALL_PACKS), [str(tmp_path)])
    assert "every Service selecting it is IPv4 single-stack (Service web: " in shown  # seen across files


def test_corpus_repositories() -> None:
    need_shared(CORPUS)
    repos = ["GoogleCloudPlatform__microservices-demo/kubernetes-manifests", "fluxcd__flux2/manifests/bases"]
    paths = [str(CORPUS / repo) for repo in repos if (CORPUS / repo).exists()]
    assert paths
    _same(plan(), paths)


def test_a_chart_and_an_overlay(monkeypatch) -> None:
    charts = SHARED / "corpus" / "charts"
    need_shared(charts)
    pytest.importorskip("helm_python", reason="the Helm SDK (pip install 'kubecheck[helm]') is not installed")
    monkeypatch.chdir(ROOT)
    shown = _same(
        plan(packs=ALL_PACKS), [str(charts / "spark-operator-v2.0.1"), "fixtures/kustomize", "fixtures/kubectl"]
    )
    assert '"rendered"' in shown


def test_exemptions_non_bypassable_rules_and_expiry(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    config_file = tmp_path / ".kubecheck.yaml"
    config_file.write_text(
        "exemptions:\n"
        "- rules: [pss-run-as-non-root]\n  reason: legacy images, ticket OPS-1\n"
        "- rules: [pss-privileged]\n  reason: expired on purpose\n  expires: 2001-01-01\n"
        "- rules: [pss-host-namespaces]\n  names: [nothing-by-this-name]\n  reason: matches nothing\n"
        "non-bypassable: [network-hardening]\n"
    )
    controls = load_config(str(config_file)).controls
    controls.today = datetime.date(2026, 6, 15)
    chosen = plan(packs=ALL_PACKS, controls=controls)
    shown = _same(chosen, ["fixtures/suppressions", "fixtures/kubectl", "fixtures/exemptions"])
    assert '"kind": "exemption"' in shown and "expired-exemption" in shown


def test_the_command_with_a_baseline(tmp_path: Path, monkeypatch) -> None:
    """--baseline applies to the streamed report as to the in-memory one: the same output at any --jobs."""
    monkeypatch.chdir(ROOT)
    baseline = tmp_path / "baseline.json"
    base = [sys.executable, "-m", "checker.cli", "scan", "fixtures/kubectl", "-o", "json"]
    made = subprocess.run([*base, "--write-baseline", str(baseline)], capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    base.insert(5, "fixtures/suppressions")  # known findings, and new ones
    outputs = [
        subprocess.run(
            [*base, "--baseline", str(baseline), "--jobs", jobs], capture_output=True, text=True, check=False
        )
        for jobs in ("1", "2")
    ]
    assert outputs[0].stdout == outputs[1].stdout and outputs[0].stdout.count('"rule"') > 0
    assert outputs[0].returncode == outputs[1].returncode == 1


def _deployment_and_service(folder: Path, families: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "a-deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n"
        "        image: registry.example/web:1\n        args: ['--listen-address=[::]:8080']\n"
    )
    (folder / "z-service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
        f"  ipFamilyPolicy: SingleStack\n  ipFamilies: [{families}]\n  ports: [{{port: 80}}]\n"
    )


def test_the_cache_gives_the_same_report_and_follows_other_inputs(tmp_path: Path, monkeypatch) -> None:
    """Cold and warm scans with --cache give the report of a scan without it; when only the Service file
    changes, the Deployment's cached findings (which used that Service) are not reused."""
    monkeypatch.chdir(ROOT)
    chosen = plan(packs=ALL_PACKS, settings=["ipv6=disabled"])
    cache = str(tmp_path / "cache")
    expected = _json(run_plan(chosen, ["fixtures"]))
    # filled by worker processes, read back by one process
    assert _json(scanning.scan(chosen, ["fixtures"], jobs=2, cache=cache)) == expected, "cold, --jobs 2"
    assert _json(scanning.scan(chosen, ["fixtures"], jobs=1, cache=cache)) == expected, "warm, --jobs 1"
    evaluated = []
    real = scanning.evaluate
    monkeypatch.setattr(scanning, "evaluate", lambda *args: evaluated.append(1) or real(*args))
    scanning.scan(chosen, ["fixtures"], jobs=1, cache=cache)
    assert len(evaluated) == 1  # only the rendered overlay (fixtures/kustomize) is checked again
    monkeypatch.setattr(scanning, "evaluate", real)
    chosen = plan(packs=ALL_PACKS)
    folder = tmp_path / "app"
    _deployment_and_service(folder, "IPv4")
    first = scanning.scan(chosen, [str(folder)], cache=cache)
    assert "ipv4-only-service-ipv6-bind" in {f.rule for f in first.findings}
    _deployment_and_service(folder, "IPv6")  # the Deployment's file is unchanged
    second = scanning.scan(chosen, [str(folder)], cache=cache)
    assert _json(second) == _json(run_plan(chosen, [str(folder)]))
    assert "ipv4-only-service-ipv6-bind" not in {f.rule for f in second.findings}


def test_the_cache_from_the_configuration_and_a_bad_cache_directory(tmp_path: Path) -> None:
    (tmp_path / ".kubecheck.yaml").write_text("cache: .kubecheck-cache\n")
    command = [sys.executable, "-m", "checker.cli", "scan", str(FIXTURES / "kubectl"), "-o", "json"]
    first = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert (tmp_path / ".kubecheck-cache").is_dir() and first.stdout
    again = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert again.stdout == first.stdout and again.returncode == first.returncode
    (tmp_path / "file").write_text("")
    bad = subprocess.run([*command, "--cache", str(tmp_path / "file" / "x")], capture_output=True, text=True)
    assert (
        bad.returncode == 2 and bad.stderr.startswith("error: --cache: cannot create") and "Traceback" not in bad.stderr
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def test_chunks_shared_between_the_pool_and_the_scan_come_back_in_order() -> None:
    """The scan's process checks chunks too while the pool checks others (scanning._in_order): the results
    come in the order of the chunks, whoever checked them, and both did some."""
    here: dict[int, bool] = {}

    def check(unit: tuple[int, int], name: str) -> int:
        time.sleep(random.Random(unit[0]).random() / 500)
        here[unit[0]] = threading.current_thread() is threading.main_thread()
        return unit[0]

    work = [[((n, -1), str(n)) for n in range(chunk * 4, chunk * 4 + 4)] for chunk in range(50)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        got = [result for chunk in scanning._in_order(check, work, pool, 1) for result in chunk]
    assert got == list(range(200))
    assert any(here.values()) and not all(here.values())


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
def test_workers_die_with_a_killed_scan(tmp_path: Path) -> None:
    deployment = (FIXTURES / "kubectl" / "deployment-web.yaml").read_text()
    for number in range(400):
        (tmp_path / f"d{number:03}.yaml").write_text(deployment)
    script = (
        "import sys, time\n"
        "from checker import scanning, engine\n"
        "from checker.api import plan\n"
        "slow = engine.evaluate\n"
        "def crawl(*args, **kwargs):\n"
        "    time.sleep(0.2)\n"
        "    return slow(*args, **kwargs)\n"
        "scanning.evaluate = crawl\n"
        f"scanning.scan(plan(), [{str(tmp_path)!r}], jobs=3)\n"  # two forked workers: the scan is the third
    )
    scan = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = [pid for pid in _children(scan.pid) if Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) >= 2, "the scan started no workers"
        scan.send_signal(signal.SIGKILL)
        scan.wait()
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        assert not left, f"workers {left} outlived the killed scan"
    finally:
        if scan.poll() is None:
            scan.kill()


@pytest.mark.skipif(sys.platform != "linux", reason="the render child is forked on Linux only")
def test_a_scan_that_forks_walks_its_tree_in_the_render_child(tmp_path: Path) -> None:
    """A scan that will fork workers walks the tree where it renders, in a child, so the walk's memory is
    not the scan's (scanning._discover_and_render); a scan too small to fork walks it itself. Both report
    the same. In a fresh interpreter: one that rendered a chart with the Helm SDK must not fork."""
    deployment = (FIXTURES / "kubectl" / "deployment-web.yaml").read_text()
    for number in range(6):
        (tmp_path / f"d{number:03}.yaml").write_text(deployment)
    script = (
        "import os\n"
        "from checker import scanning\n"
        "scanning.PARALLEL_MIN_INPUTS = 4  # six inputs are enough to fork for\n"
        "from checker.api import plan\n"
        "from checker.report import FORMATS, RenderOptions\n"
        "walked = []\n"
        "discover = scanning.discover\n"
        "def watched(*args, **kwargs):\n"
        "    walked.append(os.getpid())\n"
        "    return discover(*args, **kwargs)\n"
        "scanning.discover = watched\n"
        f"scans = [scanning.scan(plan(), [{str(tmp_path)!r}], jobs=jobs) for jobs in (2, 1)]\n"
        "reports = [FORMATS['json'](report, RenderOptions()) for report in scans]\n"
        "print(len(walked), walked[-1] == os.getpid(), reports[0] == reports[1], reports[0].count('web'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    walks, last_here, same, mentions = done.stdout.split()
    assert (walks, last_here, same) == ("1", "True", "True")  # the forked walk was in the child: not seen here
    assert int(mentions) > 0


STREAMED_REFERENCES = [
    "missing-secret",
    "missing-config-map",
    "missing-service-account",
    "hpa-target-missing",
    "no-pod-disruption-budget",
]


def test_reference_rules_look_up_other_inputs_through_the_streamed_index(monkeypatch) -> None:
    """Rules whose related: subjects name kinds (Secrets, PodDisruptionBudgets, an HPA's target kinds) are
    checked streamed, with those kinds indexed in pass 1: the same report as in memory, the other object's
    file and line included. Rules over every workload (namespace scope, a Service's pods) run in memory."""
    monkeypatch.chdir(ROOT)
    chosen = plan(rules=STREAMED_REFERENCES)
    assert "workload" not in chosen.related_kinds and "Secret" in chosen.related_kinds
    shown = _same(chosen, ["fixtures/rules"])
    assert '"related"' in shown and "missing-secret" in shown and "hpa-target-missing" in shown
    whole = plan(packs=["references"])
    assert "workload" in whole.related_kinds
    assert _json(scanning.scan(whole, ["fixtures/rules"], jobs=2)) == _json(run_plan(whole, ["fixtures/rules"]))
