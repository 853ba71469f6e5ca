"""Time the references pack over synthetic scans of 1x, 4x and 16x a base size, to show its lookups stay
linear in the objects of a scan (each is an index lookup, never a pass over every object).

    python bench/references_scale.py [--base N] [--scales 1,4,16]

Each scan holds N/4 namespaces' worth of Deployments, Services, PodDisruptionBudgets and ConfigMaps (25 of
each per namespace; pods refer to ConfigMaps, Secrets and ServiceAccounts, some missing), as one JSON List.
It prints, per scale, the objects, the seconds of run() with the references pack (reading not included),
the microseconds per object and the candidates the label lookups examined.
"""

from __future__ import annotations

import argparse
import json
import time

from checker.api import plan, read_text, run


def scan_text(namespaces: int) -> str:
    items: list[dict[str, object]] = []
    for n in range(namespaces):
        for i in range(25):
            labels = {"app": f"a{i}", "tier": "web"}
            meta = {"name": f"x{i}", "namespace": f"n{n}"}
            pod_spec = {
                "serviceAccountName": f"x{i % 30}",
                "volumes": [{"name": "c", "configMap": {"name": f"x{i % 27}"}}],
                "containers": [{"name": "c", "image": "i:1", "envFrom": [{"secretRef": {"name": f"x{i % 26}"}}]}],
            }
            pod = {"metadata": {"labels": labels}, "spec": pod_spec}
            spec = {"replicas": 2, "selector": {"matchLabels": labels}, "template": pod}
            items.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec})
            selector = {"app": f"a{i + 1 if i % 10 == 0 else i}"}
            items.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"selector": selector}})
            pdb = {"selector": {"matchLabels": {"app": f"a{i}"}} if i % 5 else {"matchExpressions": []}}
            items.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta, "spec": pdb})
            items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})
            items.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta})
            items.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=2400, help="objects at scale 1 (rounded to 150 a namespace)")
    parser.add_argument("--scales", default="1,4,16")
    options = parser.parse_args()
    chosen = plan(packs=["references"])
    print(f"{'scale':>5} {'objects':>8} {'seconds':>8} {'us/object':>10} {'examined':>9} {'findings':>9}")
    for scale in (int(s) for s in options.scales.split(",")):
        loaded = read_text("bench.json", scan_text(max(1, options.base * scale // 150)))
        started = time.perf_counter()
        done = run(chosen, loaded)
        seconds = time.perf_counter() - started
        objects = len(done.resources)
        print(
            f"{scale:>5} {objects:>8} {seconds:>8.2f} {seconds / objects * 1e6:>10.0f} "
            f"{done.context.examined:>9} {len(done.finalised.kept):>9}"
        )


if __name__ == "__main__":
    main()
