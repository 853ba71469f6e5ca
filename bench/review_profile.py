"""Benchmark: where a webhook review's CPU goes, in this process, through the code path a review worker runs
(admission.review on the request body): CPU milliseconds per review for the whole review and for each
pipeline stage, and with --profile the functions that take the most of it (cProfile).

usage: python bench/review_profile.py [--reviews N] [--manifest FILE] [--containers N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhook_load import DEFAULT_MANIFEST, FALLBACK_MANIFEST, PACKS, Requests, deployment

from checker.api import Run, plan, read_text
from checker.commands.admission import ReviewSettings, review
from checker.engine import evaluate
from checker.finalise import finalise
from checker.findings import Severity
from checker.inputs.kustomize import split_patches
from checker.inputs.resources import resources_of
from checker.workloads.index import ScanContext
from checker.workloads.shapes import set_aside_misshapen


def privileged_pod(containers: int) -> dict[str, Any]:
    """A Pod of privileged containers that each listen on port 80: six findings per container."""
    spec = {
        "containers": [
            {
                "name": f"c{i}",
                "image": "nginx",
                "securityContext": {"privileged": True},
                "ports": [{"containerPort": 80}],
            }
            for i in range(containers)
        ]
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wide", "namespace": "bench"}, "spec": spec}


def stages(settings: ReviewSettings, body: bytes, spent: dict[str, float]) -> None:
    """The stages of api.run on one body, each timed into ``spent`` (CPU seconds)."""

    def timed(name: str, step: Callable[..., Any], *args: Any) -> Any:
        began = time.process_time()
        result = step(*args)
        spent[name] = spent.get(name, 0.0) + time.process_time() - began
        return result

    chosen = settings.plan
    loaded = timed("read (JSON)", read_text, "admission-request", body.decode())
    found = timed("resources", resources_of, loaded.documents)
    checked, patches = split_patches(found.items)
    checked, refused = timed("shapes", set_aside_misshapen, checked)
    context = timed("index", ScanContext.of, checked)
    evaluation = timed("evaluate", evaluate, checked, chosen.rules, chosen.params, context)
    finalised = timed(
        "finalise", finalise, evaluation.findings, chosen.params, loaded.documents, False, chosen.controls
    )
    result = Run(chosen, loaded, checked, patches, found.skipped, context, evaluation, finalised, refused)
    timed("report", result.report)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=3000, help="reviews timed (after 100 of warm-up)")
    parser.add_argument("--manifest", type=Path, default=None, help="a file holding the Deployment to review")
    parser.add_argument("--containers", type=int, default=0, help="review a privileged Pod of N containers instead")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the reviews (cProfile; sorted by $PROFILE_SORT, default tottime, e.g. cumtime)",
    )
    options = parser.parse_args()
    if options.containers:
        obj = privileged_pod(options.containers)
        request = {"uid": "bench", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE"}
        review_of = {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {**request, "object": obj},
        }
        bodies = [json.dumps(review_of).encode()]
        print(f"review: a privileged Pod of {options.containers} containers")
    else:
        manifest = options.manifest or (DEFAULT_MANIFEST if DEFAULT_MANIFEST.exists() else FALLBACK_MANIFEST)
        bodies = [item[0].split(b"\r\n\r\n", 1)[1] for item in Requests(deployment(manifest), "bench", 256).items]
        print(f"review: the Deployment in {manifest}")
    settings = ReviewSettings(plan(packs=PACKS, settings=["ipv6=disabled"]), Severity.parse("high"))
    for body in bodies[: min(100, options.reviews)]:
        review(settings, body)
    gc.collect()
    gc.freeze()  # as a review worker runs: rules frozen, collections between reviews only
    gc.disable()
    began = time.process_time()
    for index in range(options.reviews):
        review(settings, bodies[index % len(bodies)])
        gc.collect(0)
    whole = time.process_time() - began
    spent: dict[str, float] = {}
    for index in range(options.reviews):
        stages(settings, bodies[index % len(bodies)], spent)
        gc.collect(0)
    print(f"{options.reviews} reviews: {whole * 1000 / options.reviews:.3f} CPU ms per review (admission.review)")
    for name, seconds in spent.items():
        print(f"  {name:<12} {seconds * 1000 / options.reviews:.3f} ms")
    if options.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for index in range(options.reviews):
            review(settings, bodies[index % len(bodies)])
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(30)


if __name__ == "__main__":
    main()
