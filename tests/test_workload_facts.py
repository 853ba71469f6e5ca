"""Facts about how a pod runs: effective runAsUser/runAsGroup (container over pod), whether its API token is
mounted (pod, then its ServiceAccount in the scan, then the default), and each container's group."""

from __future__ import annotations

from checker.api import plan
from checker.engine import scopes_of
from checker.facts import FACTS
from checker.facts.scope import Scope
from checker.inputs.documents import Source
from checker.inputs.loading import parse_source
from checker.inputs.resources import resources_of
from checker.semantics.service_accounts import automount_decision, service_account_name
from checker.workloads.index import ScanContext


def _scopes(text: str, kind: str) -> list[Scope]:
    params = plan(packs=["best-practices"]).params
    found = resources_of(parse_source(Source("t.yaml", text, is_json=False)).documents)
    context = ScanContext.of(found.items)
    return [scope for resource in found.items for scope in scopes_of(resource, {kind}, params, context)]


def _values(name: str, scope: Scope) -> list:
    return [(m.value, m.path, m.record) for m in FACTS[name].compute(scope)]


IDS = """apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 20000, runAsGroup: 30000}
  initContainers:
  - {name: init, image: i, securityContext: {runAsUser: 0}}
  containers:
  - {name: app, image: a}
  - {name: odd, image: o, securityContext: {runAsUser: true, runAsGroup: -1}}
"""


def test_the_container_id_wins_and_invalid_ones_fall_back_to_the_pod() -> None:
    app, odd, init = _scopes(IDS, "container")  # containers first, then init containers
    assert _values("container.run_as_user", init) == [
        (0, ("spec", "initContainers", 0, "securityContext", "runAsUser"), {"level": "container"})
    ]
    assert _values("container.run_as_user", app) == [
        (20000, ("spec", "securityContext", "runAsUser"), {"level": "pod"})
    ]
    assert _values("container.run_as_user", odd)[0][0] == 20000  # true is no UID
    assert _values("container.run_as_group", odd)[0][0] == 30000  # nor is -1
    assert _values("container.group", init) == [("initContainers", ("spec", "initContainers", 0), {"sidecar": False})]


def test_no_id_anywhere_gives_no_value() -> None:
    (scope,) = _scopes("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n", "container")
    assert _values("container.run_as_user", scope) == [] and _values("container.run_as_group", scope) == []


ACCOUNTS = """apiVersion: v1
kind: ServiceAccount
metadata: {name: quiet, namespace: a}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: quiet, namespace: b}
---
apiVersion: v1
kind: Pod
metadata: {name: in-a, namespace: a}
spec: {serviceAccountName: quiet, containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: in-b, namespace: b}
spec: {serviceAccountName: quiet, containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: own, namespace: a}
spec: {serviceAccountName: quiet, automountServiceAccountToken: true, containers: [{name: c}]}
"""


def test_the_token_decision_reads_the_service_account_of_the_same_namespace() -> None:
    in_a, in_b, own = _scopes(ACCOUNTS, "pod")
    ((mounted, path, record),) = _values("pod.automount_service_account_token", in_a)
    assert (mounted, path, record["decided_by"]) == (False, ("automountServiceAccountToken",), "service-account")
    assert FACTS["pod.automount_service_account_token"].compute(in_a)[0].resource is not None  # in the account
    ((mounted, _, record),) = _values("pod.automount_service_account_token", in_b)
    assert (mounted, record["decided_by"], record["account_in_scan"]) == (True, "default", True)
    ((mounted, path, record),) = _values("pod.automount_service_account_token", own)
    assert (mounted, path, record["decided_by"]) == (True, ("spec", "automountServiceAccountToken"), "pod")


def test_service_account_semantics() -> None:
    assert service_account_name({}) == "default"
    assert service_account_name({"serviceAccount": "old"}) == "old"
    assert service_account_name({"serviceAccountName": "new", "serviceAccount": "old"}) == "new"
    assert automount_decision({"automountServiceAccountToken": False}, {"automountServiceAccountToken": True}) == (
        False,
        "pod",
    )
    assert automount_decision({}, {"automountServiceAccountToken": "no"}) == (True, "default")
