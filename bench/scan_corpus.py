"""Benchmark: whole-process time of kubecheck scans over the real-manifest corpus, against parsing the same
tree with yaml.CSafeLoader alone. Prints the median of N runs of each; targets live here, not in tests.

usage: python bench/scan_corpus.py [CORPUS_DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "real"

PARSE_ONLY = """
import os, sys, yaml
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(('.yaml', '.yml', '.json')):
            with open(os.path.join(root, name), encoding='utf-8', errors='replace') as handle:
                try:
                    for _ in yaml.load_all(handle.read(), Loader=yaml.CSafeLoader):
                        pass
                except yaml.YAMLError:
                    pass
"""


def timed(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs + 1):  # one warm-up
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    kubecheck = [sys.executable, "-m", "checker.cli", "scan", args.corpus, "--include-hidden", "-o", "json"]
    cases = {
        "parse only (yaml.CSafeLoader)": [sys.executable, "-c", PARSE_ONLY, args.corpus],
        "kubecheck --pack network-hardening": [*kubecheck, "--pack", "network-hardening"],
        "kubecheck --pack pss-baseline --pack pss-restricted": [
            *kubecheck,
            "--pack",
            "pss-baseline",
            "--pack",
            "pss-restricted",
        ],
        "kubecheck (default packs)": kubecheck,
    }
    for label, command in cases.items():
        print(f"{label:<55} median {timed(command, args.runs):6.2f} s over {args.runs} runs", flush=True)


if __name__ == "__main__":
    main()
