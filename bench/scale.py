"""Benchmark at scale: builds big inputs from the real-manifest corpus into bench/out/ and times kubecheck on
them against a bare libyaml parse, at --jobs 1 and 2, with peak memory, a cold and a warm --cache re-scan,
and Trivy and Checkov where installed. Prints one table with the ratios the targets are stated in.

usage: python bench/scale.py [--corpus DIR] [--runs N] [--only SUBSTRING ...] [--no-peers] [--timeout S]

Inputs (built once; delete bench/out/ to rebuild):
  stream-5000.yaml, stream-20000.yaml  one multi-document YAML stream of that many objects: the corpus's
                                       objects (CustomResourceDefinitions left out, like `kubectl get -A`),
                                       copy k of the corpus in namespaces suffixed -ck (a cluster with
                                       many tenants: every Service selects only its own copy's pods)
  list-5000.json, list-20000.json      the same objects as one `kind: List` in JSON, read from stdin
  tree-50000/, tree-100000/            that many files: the corpus's manifest files copied (hard links)
                                       into copy-k/ folders
  corpus-1x/, corpus-4x/, corpus-16x/  the corpus copied 1, 4 and 16 times into one tree (a monorepo;
                                       Services select across files of each copy)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from scan_corpus import PARSE_ONLY  # bench/ is on sys.path when this script runs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_CORPUS = Path(os.environ.get("KUBECHECK_SHARED", ROOT.parent / "shared")) / "corpus" / "real"
SUFFIXES = (".yaml", ".yml", ".json")
ALL_PACKS = ["--pack", "network-hardening", "--pack", "pss-baseline", "--pack", "pss-restricted"]

PARSE_FILES = PARSE_ONLY  # the same bare libyaml walk as bench/scan_corpus.py
PARSE_STREAM = """
import sys, yaml
text = sys.stdin.read()
for _ in yaml.load_all(text, Loader=yaml.CSafeLoader):
    pass
"""
PARSE_JSON = "import json, sys; json.load(sys.stdin)"


# --- building the inputs ---------------------------------------------------------------------------------


def corpus_files(corpus: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        found.extend(Path(root) / name for name in sorted(files) if name.lower().endswith(SUFFIXES))
    return found


def corpus_objects(corpus: Path) -> list[dict[str, Any]]:
    """Every Kubernetes object of the corpus (List items unwrapped), in file order, without CRDs."""
    objects = []
    for file in corpus_files(corpus):
        try:
            documents = list(yaml.load_all(file.read_text(encoding="utf-8", errors="replace"), Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            continue
        for document in documents:
            if not (
                isinstance(document, dict) and isinstance(document.get("kind"), str) and document.get("apiVersion")
            ):
                continue
            items = document.get("items")
            if document["kind"].endswith("List") and isinstance(items, list):
                candidates = [item for item in items if isinstance(item, dict) and item.get("kind")]
            else:
                candidates = [document]
            objects.extend(o for o in candidates if o.get("kind") != "CustomResourceDefinition")
    return objects


def copies(objects: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    """count objects: the corpus again and again, copy k in namespaces suffixed -ck."""
    made = 0
    for round_number in range(count // max(len(objects), 1) + 1):
        for obj in objects:
            if made == count:
                return
            clone = copy.deepcopy(obj)
            metadata = clone.get("metadata")
            if not isinstance(metadata, dict):
                metadata = clone["metadata"] = {}
            namespace = metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else "default"
            metadata["namespace"] = f"{namespace}-c{round_number}"
            made += 1
            yield clone


def build_stream(objects: list[dict[str, Any]], count: int, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for obj in copies(objects, count):
            handle.write("---\n")
            handle.write(yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False))


def build_list(objects: list[dict[str, Any]], count: int, path: Path) -> None:
    document = {"apiVersion": "v1", "items": list(copies(objects, count)), "kind": "List", "metadata": {}}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=4, default=str)  # kubectl -o json indents by 4


def build_tree(files: list[Path], corpus: Path, count: int, path: Path) -> None:
    made = 0
    for round_number in range(count // max(len(files), 1) + 1):
        for file in files:
            if made == count:
                return
            target = path / f"copy-{round_number}" / file.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(file, target)
            except OSError:
                shutil.copyfile(file, target)
            made += 1


def build_inputs(corpus: Path, objects_sizes: list[int], tree_sizes: list[int]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    objects: list[dict[str, Any]] | None = None
    for size in objects_sizes:
        for name, build in ((f"stream-{size}.yaml", build_stream), (f"list-{size}.json", build_list)):
            if (OUT / name).exists():
                continue
            objects = objects if objects is not None else corpus_objects(corpus)
            print(f"building {name}", file=sys.stderr, flush=True)
            partial = OUT / (name + ".partial")
            build(objects, size, partial)
            partial.rename(OUT / name)
    files = corpus_files(corpus)
    for size in tree_sizes:
        name = f"tree-{size}"
        if (OUT / name).exists():
            continue
        print(f"building {name}/", file=sys.stderr, flush=True)
        partial = OUT / (name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        build_tree(files, corpus, size, partial)
        partial.rename(OUT / name)


# --- timing ----------------------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float | None  # None: timed out or failed
    peak_mb: float
    note: str = ""
    cpu: float = 0.0  # user + system seconds of the process and the workers it waited for


def tree_memory_mb(pid: int) -> float:
    """Memory of a process and all its descendants (worker processes count), in MB: the sum of their
    proportional set sizes (Pss in /proc/PID/smaps_rollup: each page shared by n processes counts 1/n in
    each, so a page the forked workers share with the scan counts once, as the kernel's memory cgroup of a
    CI job or pod charges it: https://docs.kernel.org/filesystems/proc.html); their resident sizes, which
    count a shared page once per process, where smaps_rollup cannot be read."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        total += _pss(current) or rss.get(current, 0)
        pending.extend(children.get(current, ()))
    return total / 1e6


def _pss(pid: int) -> int | None:
    """A process's proportional set size in bytes, or None where smaps_rollup cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_once(command: list[str], stdin_file: Path | None, timeout: float) -> Sample:
    peak = 0.0
    stdin = open(stdin_file, "rb") if stdin_file else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read() if process.stderr else b""))
    reader.start()
    cpu = 0.0
    try:
        while True:
            done, status, usage = os.wait4(process.pid, os.WNOHANG)  # rusage: itself and its reaped workers
            if done:
                process.returncode = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                break
            peak = max(peak, tree_memory_mb(process.pid))
            if time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                return Sample(None, peak, f"over {timeout:.0f} s")
            time.sleep(0.05)
    finally:
        reader.join()
        if stdin_file:
            stdin.close()  # type: ignore[union-attr]
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1, 2):
        message = b"".join(errors).decode("utf-8", "replace").strip().splitlines()
        return Sample(None, peak, f"exit {process.returncode}: {message[-1] if message else ''}")
    return Sample(seconds, peak, cpu=cpu)


def measure(
    command: list[str], stdin_file: Path | None, runs: int, timeout: float, before: Callable[[], None] = lambda: None
) -> Sample:
    """The median of ``runs`` runs, each after before() (a cold cache case empties its cache there)."""
    samples = []
    for _ in range(runs):
        before()
        samples.append(run_once(command, stdin_file, timeout))
    good = [s for s in samples if s.seconds is not None]
    if len(good) < len(samples):
        return next(s for s in samples if s.seconds is None)
    median = statistics.median(s.seconds for s in good)  # type: ignore[misc]
    return Sample(median, max(s.peak_mb for s in good), cpu=statistics.median(s.cpu for s in good))


def kubecheck_supports(option: str) -> bool:
    shown = subprocess.run(
        [sys.executable, "-m", "checker.cli", "scan", "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return option in shown.stdout


def find_peer(name: str) -> str | None:
    """A peer tool: $TRIVY / $CHECKOV, else on PATH."""
    return os.environ.get(name.upper()) or shutil.which(name)


# --- the table -------------------------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    tool: str
    sample: Sample
    baseline: float | None  # the parse time this row is compared with

    def cells(self) -> list[str]:
        seconds = self.sample.seconds
        shown = f"{seconds:8.2f} s" if seconds is not None else f"{self.sample.note:>10}"
        ratio = f"{seconds / self.baseline:6.2f}x" if seconds is not None and self.baseline else "      -"
        cpu = f"{self.sample.cpu:8.2f} s" if seconds is not None else "-"
        return [self.case, self.tool, shown, ratio, f"{self.sample.peak_mb:7.0f} MB", cpu]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--runs", type=int, default=1, help="runs per measurement (the median is shown)")
    parser.add_argument("--only", nargs="*", default=[], help="run only the cases whose name holds one of these")
    parser.add_argument("--no-peers", action="store_true", help="leave Trivy and Checkov out")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before a run is stopped")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        sys.exit(f"error: {corpus} is not a directory (give --corpus)")
    build_inputs(corpus, [5000, 20000], [50000, 100000])
    if args.build_only:
        return
    has_jobs = kubecheck_supports("--jobs")
    has_cache = kubecheck_supports("--cache")
    kubecheck = [sys.executable, "-m", "checker.cli", "scan", "-o", "json", "--fail-on", "critical"]
    rows: list[Row] = []
    results: dict[str, float | None] = {}

    def wanted(case: str) -> bool:
        return not args.only or any(part in case for part in args.only)

    def add(
        case: str,
        tool: str,
        command: list[str],
        stdin_file: Path | None,
        baseline_key: str | None,
        before: Callable[[], None] = lambda: None,
    ) -> None:
        if not wanted(f"{case} {tool}"):
            return
        sample = measure(command, stdin_file, args.runs, args.timeout, before)
        results[f"{case} {tool}"] = sample.seconds
        baseline = results.get(baseline_key) if baseline_key else None
        row = Row(case, tool, sample, baseline)
        rows.append(row)
        print(" | ".join(row.cells()), flush=True)

    def jobs(n: int) -> list[str]:
        return ["--jobs", str(n)] if has_jobs else []

    job_counts = [1, 2] if has_jobs else [0]

    def job_label(n: int) -> str:
        return f"--jobs {n}" if n else "(no --jobs option)"

    trivy, checkov = (None, None) if args.no_peers else (find_peer("trivy"), find_peer("checkov"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    print(
        "case | tool | time | ratio to parse | peak memory (process tree, summed PSS) | CPU time (user+sys)", flush=True
    )
    for size in (5000, 20000):
        stream = OUT / f"stream-{size}.yaml"
        case = f"stream {size}"
        add(case, "parse (libyaml)", [sys.executable, "-c", PARSE_STREAM], stream, None)
        for n in job_counts:
            add(
                case,
                f"default packs {job_label(n)}",
                [*kubecheck, str(stream), *jobs(n)],
                None,
                f"{case} parse (libyaml)",
            )
            add(
                case,
                f"all packs {job_label(n)}",
                [*kubecheck, str(stream), *ALL_PACKS, *jobs(n)],
                None,
                f"{case} parse (libyaml)",
            )
        listing = OUT / f"list-{size}.json"
        case = f"List {size} (stdin)"
        add(case, "parse (libyaml)", [sys.executable, "-c", PARSE_STREAM], listing, None)
        add(case, "parse (json)", [sys.executable, "-c", PARSE_JSON], listing, None)
        for n in job_counts:
            add(case, f"default packs {job_label(n)}", [*kubecheck, "-", *jobs(n)], listing, f"{case} parse (libyaml)")
            add(
                case,
                f"all packs {job_label(n)}",
                [*kubecheck, "-", *ALL_PACKS, *jobs(n)],
                listing,
                f"{case} parse (libyaml)",
            )
    corpus_count = len(corpus_files(corpus))
    for copies_made in (1, 4, 16):  # the corpus copied 1x / 4x / 16x into one tree (a monorepo)
        tree = OUT / f"corpus-{copies_made}x"
        case = f"corpus {copies_made}x tree"
        if wanted(case) and not tree.exists():
            build_tree(corpus_files(corpus), corpus, corpus_count * copies_made, tree)
        add(
            case, f"default packs {job_label(job_counts[0])}", [*kubecheck, str(tree), *jobs(job_counts[0])], None, None
        )
    tree = OUT / "tree-50000"
    case = "tree 50000 files"
    add(case, "parse (libyaml)", [sys.executable, "-c", PARSE_FILES, str(tree)], None, None)
    for n in job_counts:
        add(case, f"default packs {job_label(n)}", [*kubecheck, str(tree), *jobs(n)], None, f"{case} parse (libyaml)")
        add(
            case,
            f"all packs {job_label(n)}",
            [*kubecheck, str(tree), *ALL_PACKS, *jobs(n)],
            None,
            f"{case} parse (libyaml)",
        )
    case = "tree 100000 files"
    add(case, "default packs (default --jobs)", [*kubecheck, str(OUT / "tree-100000")], None, None)
    if has_cache:
        case = "corpus --cache"
        with tempfile.TemporaryDirectory() as cache_dir:
            cache = ["--cache", cache_dir]

            def emptied() -> None:  # every cold run starts from an empty cache (not the previous run's)
                shutil.rmtree(cache_dir)
                os.mkdir(cache_dir)

            add(case, "cold", [*kubecheck, str(corpus), *cache], None, None, emptied)
            add(case, "warm", [*kubecheck, str(corpus), *cache], None, None)
    for peer, make in (
        (trivy, lambda tool, target: [tool, "config", "--skip-check-update", "--format", "json", "-q", str(target)]),
        (
            checkov,
            lambda tool, target: [
                tool,
                "-f" if target.is_file() else "-d",
                str(target),
                "--framework",
                "kubernetes",
                "-o",
                "json",
                "--quiet",
                "--skip-download",
                "--soft-fail",
            ],
        ),
    ):
        if peer is None:
            continue
        name = Path(peer).name
        add("stream 20000", name, make(peer, OUT / "stream-20000.yaml"), None, "stream 20000 parse (libyaml)")
        add(
            "List 20000 (stdin)",
            f"{name} (the file)",
            make(peer, OUT / "list-20000.json"),
            None,
            "List 20000 (stdin) parse (libyaml)",
        )
        add("tree 50000 files", name, make(peer, OUT / "tree-50000"), None, "tree 50000 files parse (libyaml)")
    print()
    print_targets(results, job_counts)


def print_targets(results: dict[str, float | None], job_counts: list[int]) -> None:
    def ratio(top: str, bottom: str) -> str:
        a, b = results.get(top), results.get(bottom)
        return f"{a / b:.2f}" if a and b else "-"

    first = "--jobs 1" if job_counts[0] else "(no --jobs option)"
    print("targets:")
    for kind, parse in (("stream", "parse (libyaml)"), ("List", "parse (libyaml)")):
        case = "stream 20000" if kind == "stream" else "List 20000 (stdin)"
        small = case.replace("20000", "5000")
        print(
            f"  {case}, default packs {first} / parse: "
            f"{ratio(f'{case} default packs {first}', f'{case} {parse}')} (target <= 2)"
        )
        print(
            f"  {kind} 20000 / 5000 time, default packs {first}: "
            f"{ratio(f'{case} default packs {first}', f'{small} default packs {first}')} (target <= 4.5)"
        )
    if len(job_counts) > 1:
        case = "tree 50000 files"
        print(
            f"  {case}, default packs --jobs 1 / --jobs 2: "
            f"{ratio(f'{case} default packs --jobs 1', f'{case} default packs --jobs 2')} (target >= 1.6)"
        )
    first_default = f"default packs {first}"
    print(
        f"  corpus tree 4x / 1x time: {ratio(f'corpus 4x tree {first_default}', f'corpus 1x tree {first_default}')}, "
        f"16x / 4x: {ratio(f'corpus 16x tree {first_default}', f'corpus 4x tree {first_default}')} (linear: about 4)"
    )
    print(f"  corpus --cache cold / warm: {ratio('corpus --cache cold', 'corpus --cache warm')} (target >= 5)")
    print("  tree 100000 files peak memory: see its row (target < 300 MB)")


if __name__ == "__main__":
    main()
