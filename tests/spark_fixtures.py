"""Render fixtures/spark-operator/ from the real Kubeflow Spark Operator chart (../shared/corpus/charts) with
the Helm Go SDK (helm-python-sdk), as `helm template` prints them; `python -m tests.spark_fixtures` rewrites them.

Helm's `template` output is reproduced: NOTES.txt and empty documents are dropped, each document is prefixed
with `# Source: <chart>/templates/...`, files are taken in path order and their documents sorted stably by
Helm's kind install order (helm/helm pkg/release/util/kind_sorter.go, InstallOrder; unknown kinds last, by
name), hooks (helm.sh/hook) after the rest. test_spark_operator.py fails when a fixture drifts from this.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "spark-operator"
RELEASE, NAMESPACE = "spark-operator", "spark-operator"

# helm/helm pkg/release/util/kind_sorter.go: InstallOrder.
INSTALL_ORDER = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
]
DOCUMENT_SEPARATOR = re.compile(r"(?:^|\n)---[^\n]*(?=\n|$)")


@dataclass(frozen=True)
class Render:
    """One fixture: the chart folder (under ../shared/corpus/charts), its upstream commit, the values file
    (beside the fixtures, None for the chart defaults) and what the rendering shows."""

    fixture: str
    chart: str
    commit: str
    values: str | None
    about: str


RENDERS = (
    Render(
        "chart-v2.0.1-default.yaml",
        "spark-operator-v2.0.1",
        "94cdc526d93a8501aadfbde729c9ff906ce599cf",
        None,
        "Before the fix: controller and webhook securityContext are {}, so both keep the runtime's default\n"
        "capabilities (NET_BIND_SERVICE included) and run as the image's USER (spark, non-root, since #2171).",
    ),
    Render(
        "chart-v2.0.1-hardened.yaml",
        "spark-operator-v2.0.1",
        "94cdc526d93a8501aadfbde729c9ff906ce599cf",
        "values-v2.0.1-hardened.yaml",
        "The trap of kubeflow/spark-operator#2211: these values pass the network-hardening pack, but the v2.0.1\n"
        "image's binary carries the file capability cap_net_bind_service=+ep (Dockerfile setcap, removed in\n"
        "v2.0.2 by #2216), so with NET_BIND_SERVICE dropped from the bounding set exec fails with EPERM.",
    ),
    Render(
        "chart-default.yaml",
        "spark-operator",
        "38082f3318e9d33f3e4a940c7cf165df6e40b422",
        None,
        "After the fix: since chart 2.1.0 (#2265) the containers drop ALL and run as non-root by default;\n"
        "an IPv4-only cluster still wants the disable_ipv6 sysctl on each pod.",
    ),
    Render(
        "ipv4-hardened.yaml",
        "spark-operator",
        "38082f3318e9d33f3e4a940c7cf165df6e40b422",
        "values-ipv4-hardened.yaml",
        "Hardened for an IPv4-only cluster by chart values only: each pod sets net.ipv6.conf.all.disable_ipv6\n"
        "(an unsafe sysctl: the nodes must allow it, and Pod Security baseline forbids it).",
    ),
    Render(
        "chart-webhook-port-443.yaml",
        "spark-operator",
        "38082f3318e9d33f3e4a940c7cf165df6e40b422",
        "values-webhook-port-443.yaml",
        "webhook.port: 443 with the chart's defaults (drop ALL, non-root): the webhook cannot bind 443.",
    ),
)


def helm_available() -> bool:
    try:
        import helm_python  # noqa: F401
    except ImportError:
        return False
    return True


def render(chart_dir: Path, values: dict[str, Any] | None) -> str:
    """`helm template RELEASE chart_dir --namespace NAMESPACE [-f values]` as helm prints it."""
    import helm_python

    with helm_python.Chart.load(str(chart_dir)) as chart:
        files = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    manifests: list[tuple[str, str, str]] = []  # (source, kind, text)
    hooks: list[tuple[str, str, str]] = []
    for source in sorted(files):
        if source.endswith("NOTES.txt"):
            continue
        for document in DOCUMENT_SEPARATOR.split(files[source]):
            text = document.strip()
            if not text:
                continue
            parsed = yaml.safe_load(text)
            if not isinstance(parsed, dict):
                continue
            kind = str(parsed.get("kind", ""))
            annotations = (parsed.get("metadata") or {}).get("annotations") or {}
            (hooks if "helm.sh/hook" in annotations else manifests).append((source, kind, text))
    manifests.sort(key=lambda entry: _kind_rank(entry[1]))
    return "".join(f"---\n# Source: {source}\n{text}\n" for source, _, text in [*manifests, *hooks])


def _kind_rank(kind: str) -> tuple[int, str]:
    return (INSTALL_ORDER.index(kind), "") if kind in INSTALL_ORDER else (len(INSTALL_ORDER), kind)


def chart_version(chart_dir: Path) -> str:
    meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    return str(meta["version"])


def fixture_text(spec: Render, charts: Path) -> str:
    """The fixture file: a header naming chart, version, values and command, then the rendering."""
    chart_dir = charts / spec.chart
    values = yaml.safe_load((OUT / spec.values).read_text()) if spec.values else None
    values_flag = f" -f fixtures/spark-operator/{spec.values}" if spec.values else ""
    header = [
        f"Chart: spark-operator {chart_version(chart_dir)} (kubeflow/spark-operator@{spec.commit[:12]},",
        f"charts/spark-operator-chart; ../shared/corpus/charts/{spec.chart}).",
        f"Values: {'the chart defaults plus ' + spec.values if spec.values else 'the chart defaults'}.",
        f"Command: helm template {RELEASE} <chart> --namespace {NAMESPACE}{values_flag}",
        "Rendered with the Helm Go SDK by `python -m tests.spark_fixtures`; do not edit by hand.",
        *spec.about.splitlines(),
    ]
    return "".join(f"# {line}\n" for line in header) + render(chart_dir, values)


def main(argv: list[str]) -> int:
    charts = Path(argv[0]) if argv else ROOT.parent / "shared" / "corpus" / "charts"
    if not helm_available():
        print("helm-python-sdk is not installed (pip install '.[test]')", file=sys.stderr)
        return 2
    for spec in RENDERS:
        (OUT / spec.fixture).write_text(fixture_text(spec, charts))
        print(f"wrote fixtures/spark-operator/{spec.fixture}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
