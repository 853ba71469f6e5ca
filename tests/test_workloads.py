"""The kind registry: every known kind's pod templates and containers, found at their real paths."""

from __future__ import annotations

import gc
import weakref

import pytest

from checker.api import plan, run_plan
from checker.inputs.loading import load
from checker.inputs.resources import resources_of
from checker.workloads.index import ScanContext
from checker.workloads.registry import workloads_of
from checker.workloads.spark import spark_main_container

from .conftest import FIXTURES

WORKLOADS = FIXTURES / "workloads"


def _containers(name: str) -> list[tuple[str, str | None, tuple]]:
    found = []
    for resource in resources_of(load([str(WORKLOADS / name)]).documents).items:
        for workload in workloads_of(resource):
            for container in workload.containers:
                path = workload.real_path(container.norm_path)
                found.append((resource.kind, workload.role, path))
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("argo-rollout.yaml", [("Rollout", None, ("spec", "template", "spec", "containers", 0))]),
        (
            "openshift-deploymentconfig.yaml",
            [("DeploymentConfig", None, ("spec", "template", "spec", "containers", 0))],
        ),
        ("keda-scaledjob.yaml", [("ScaledJob", None, ("spec", "jobTargetRef", "template", "spec", "containers", 0))]),
        (
            "kubeflow-training.yaml",
            [
                (
                    "PyTorchJob",
                    "Master",
                    ("spec", "pytorchReplicaSpecs", "Master", "template", "spec", "containers", 0),
                ),
                (
                    "PyTorchJob",
                    "Worker",
                    ("spec", "pytorchReplicaSpecs", "Worker", "template", "spec", "containers", 0),
                ),
                ("TFJob", "PS", ("spec", "tfReplicaSpecs", "PS", "template", "spec", "containers", 0)),
                ("MPIJob", "Launcher", ("spec", "mpiReplicaSpecs", "Launcher", "template", "spec", "containers", 0)),
                ("MPIJob", "Worker", ("spec", "mpiReplicaSpecs", "Worker", "template", "spec", "containers", 0)),
            ],
        ),
        ("knative-service.yaml", [("Service", None, ("spec", "template", "spec", "containers", 0))]),
        (
            "leaderworkerset.yaml",
            [
                (
                    "LeaderWorkerSet",
                    "leader",
                    ("spec", "leaderWorkerTemplate", "leaderTemplate", "spec", "containers", 0),
                ),
                (
                    "LeaderWorkerSet",
                    "worker",
                    ("spec", "leaderWorkerTemplate", "workerTemplate", "spec", "containers", 0),
                ),
            ],
        ),
        ("generic-crd.yaml", [("CloneSet", None, ("spec", "template", "spec", "containers", 0))]),
        ("core-service.yaml", []),
    ],
)
def test_pod_templates_of_each_kind(name: str, expected: list) -> None:
    assert _containers(name) == expected


def test_spark_application_maps_driver_and_executor_fields() -> None:
    found = _containers("../rules/drop-net-bind-service/fail/spark-driver-executor.yaml")
    assert found == [
        ("SparkApplication", "driver", ("spec", "driver")),
        ("SparkApplication", "executor", ("spec", "executor")),
        ("SparkApplication", "executor", ("spec", "executor", "sidecars", 0)),
    ]


def test_generic_fallback_is_reported_in_notes() -> None:
    report = run_plan(plan(rules=["drop-net-bind-service"]), [str(WORKLOADS)])
    assert any("CloneSet sample: pod template found by the generic spec.template fallback" in n for n in report.notes)
    kinds = sorted({f.resource["kind"] for f in report.findings})
    assert kinds == [
        "CloneSet",
        "DeploymentConfig",
        "LeaderWorkerSet",
        "MPIJob",
        "PyTorchJob",
        "Rollout",
        "ScaledJob",
        "Service",
        "SparkApplication",
        "SparkConnect",
        "TFJob",
    ]


def test_spark_pod_template_is_the_base_of_the_driver_and_executor_pods() -> None:
    assert _containers("spark-pod-template.yaml") == [
        ("SparkApplication", "driver", ("spec", "driver")),
        ("SparkApplication", "driver", ("spec", "driver", "template", "spec", "containers", 1)),
        ("SparkApplication", "executor", ("spec", "executor")),
    ]
    report = run_plan(
        plan(packs=["pss-baseline"], rules=["drop-net-bind-service"]), [str(WORKLOADS / "spark-pod-template.yaml")]
    )
    found = [(f.rule, f.path, f.line) for f in report.findings]
    assert found == [
        ("pss-host-namespaces", "spec.driver.template.spec.hostPID", 19),
        ("pss-host-path-volumes", "spec.driver.template.spec.volumes[0].hostPath", 24),
        ("drop-net-bind-service", "spec.driver.template.spec.containers[1].securityContext.privileged", 32),
        ("pss-privileged", "spec.driver.template.spec.containers[1].securityContext.privileged", 32),
    ]  # the driver's own securityContext (drop ALL) wins over the template container's privileged: true


def test_pod_level_rules_name_the_container_a_finding_is_about(tmp_path) -> None:
    file = tmp_path / "pods.yaml"
    file.write_text("""\
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  securityContext: {runAsNonRoot: false}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {runAsNonRoot: false}}
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: spark}
spec:
  driver:
    podSecurityContext: {runAsNonRoot: false}
    securityContext: {runAsNonRoot: false}
  executor: {}
""")
    report = run_plan(plan(rules=["pss-run-as-non-root"]), [str(file)])
    found = [(f.resource["name"], f.path, f.container) for f in report.findings]
    assert found == [
        ("two", "spec.securityContext.runAsNonRoot", None),
        ("two", "spec.containers[0].securityContext.runAsNonRoot", "a"),
        ("two", "spec.containers[1].securityContext.runAsNonRoot", "b"),
        ("spark", "spec.driver.podSecurityContext.runAsNonRoot", None),
        ("spark", "spec.driver.securityContext.runAsNonRoot", "spark-kubernetes-driver"),
        ("spark", "spec.executor.securityContext.runAsNonRoot", "spark-kubernetes-executor"),
    ]


def test_the_scan_cache_keeps_its_arguments_so_an_id_key_stays_theirs() -> None:
    """A key holding id() of an object (a Spark container dict a pod view builds afresh) must not be reused
    by a later object at the same address: the cache keeps the object alive for the scan."""

    class Container:
        pass

    context = ScanContext()
    container = Container()
    alive = weakref.ref(container)
    assert context.cached(("ports", id(container)), lambda c: "computed", container) == "computed"
    del container
    gc.collect()
    assert alive() is not None
    assert context.cached(("ports", id(alive())), lambda c: "again", alive()) == "computed"


def test_spark_connect_server_and_executor_templates_are_their_pods() -> None:
    assert _containers("spark-connect.yaml") == [
        ("SparkConnect", "server", ("spec", "server", "template", "spec", "containers", 0)),
        ("SparkConnect", "server", ("spec", "server", "template", "spec", "containers", 1)),
        ("SparkConnect", "executor", ("spec", "executor", "template", "spec", "containers", 0)),
    ]
    resource = resources_of(load([str(WORKLOADS / "spark-connect.yaml")]).documents).items[0]
    server, executor = workloads_of(resource)
    main = spark_main_container(server)
    assert main is not None and main.name == "spark-kubernetes-driver"
    assert main.spec["image"] == "docker.io/library/spark:4.0.0"  # spec.image fills in the missing image
    assert server.real_path((*main.norm_path, "image")) == ("spec", "image")
    assert executor.containers[0].spec["image"] == "docker.io/library/spark:4.0.1"  # the template's wins
