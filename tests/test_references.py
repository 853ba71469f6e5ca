"""The cross-object rule language (related:, scan_holds:, the namespace scope), the scan index behind it
(label selectors, same-namespace lookups, the plan's related kinds, the cost of lookups) and how findings
name the other object (JSON related, SARIF relatedLocations, text, suppression by either object)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.api import UsageError, plan, read_text, run
from checker.inputs.resources import resources_of
from checker.report import FORMATS, RenderOptions
from checker.workloads.index import FACT_KINDS, WORKLOAD, ScanContext
from checker.workloads.selectors import parse_selector

from .conftest import scan

SHOP = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: app, image: app:1}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
"""


def _objects(text: str) -> list:
    return resources_of(read_text("t.yaml", text).documents).items


# --- label selectors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "selected"),
    [
        ({"app": "web"}, {"app": "web", "tier": "front"}, True),
        ({"app": "web", "tier": "back"}, {"app": "web", "tier": "front"}, False),
        ({"matchLabels": {"app": "web"}}, {"app": "web"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "web"]}]}, {"app": "web"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, {"app": "web"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {"app": "x"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": "x"}, False),
        ({}, {"app": "x"}, True),  # an empty LabelSelector selects everything
        ({"matchExpressions": [{"key": "app", "operator": "In"}]}, {"app": "x"}, False),  # refused: selects none
        ({"matchExpressions": [{"key": "app", "operator": "Near", "values": ["x"]}]}, {"app": "x"}, False),
        ({"version": 1}, {"version": "1"}, True),  # YAML reads 1; the API server stores "1"
        ("app=web", {"app": "web"}, False),
    ],
)
def test_label_selectors(selector: object, labels: dict[str, str], selected: bool) -> None:
    assert parse_selector(selector).matches(labels) is selected


# --- the index -----------------------------------------------------------------------------------------


def test_lookups_of_kinds_outside_the_plan_are_refused() -> None:
    context = ScanContext.of(_objects(SHOP), frozenset({"ServiceAccount"}))
    assert context.find("ServiceAccount", "shop", "api") is not None
    with pytest.raises(LookupError, match="ConfigMap"):
        context.find("ConfigMap", "shop", "x")


def test_plan_related_kinds_come_from_rules_and_facts() -> None:
    assert plan().related_kinds == FACT_KINDS  # the default packs: only what today's facts look up
    kinds = plan(packs=["references"]).related_kinds
    assert kinds >= FACT_KINDS | {"Secret", "PodDisruptionBudget", "NetworkPolicy", "Namespace", WORKLOAD}
    assert {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"} <= kinds  # an HPA's among


def test_namespace_lookups_follow_same_namespace() -> None:
    objects = _objects(
        "\n---\n".join(
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s{i}{', namespace: ' + ns if ns else ''}}}"
            for i, ns in enumerate(["a", "a", None, "b"])
        )
    )
    context = ScanContext.of(objects)
    assert [r.name for r in context.in_namespace("Secret", "a")] == ["s0", "s1"]
    assert [r.name for r in context.in_namespace("Secret", "c")] == ["s2"]  # without a namespace: seen anywhere
    assert [r.name for r in context.in_namespace("Secret", None)] == ["s2"]
    assert context.in_namespace("NetworkPolicy", "a") == []


def test_lookups_are_index_lookups_on_a_large_scan() -> None:
    """10,000 objects in 100 namespaces: each Service's and each pod's lookups examine only the objects one
    label pair narrows them to, not every object of the scan."""
    items: list[dict[str, object]] = []
    for n in range(100):
        for i in range(25):
            labels = {"app": f"a{i}", "ns": f"n{n}"}
            meta = {"name": f"x{i}", "namespace": f"n{n}"}
            pod = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}
            spec = {"replicas": 2, "selector": {"matchLabels": labels}, "template": pod}
            items.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec})
            items.append(
                {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"selector": {"app": f"a{i}"}}}
            )
            pdb = {"selector": {"matchLabels": {"app": f"a{i}"}}}
            items.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta, "spec": pdb})
            items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})
    chosen = plan(rules=["service-selects-no-pod", "no-pod-disruption-budget", "namespace-without-network-policy"])
    done = run(chosen, read_text("big.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": items})))
    assert len(done.resources) == 10_000
    assert {f.rule for f in done.finalised.kept} == {"namespace-without-network-policy"}
    assert len(done.finalised.kept) == 100
    # each Service examines the one Deployment of its namespace with its app label, each Deployment one PDB
    assert done.context.examined == 2 * 2500


# --- findings that name both objects -------------------------------------------------------------------


def _render(report: object, name: str) -> str:
    return FORMATS[name](report, RenderOptions())  # type: ignore[arg-type]


def test_findings_name_the_other_object_in_every_format(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP)
    report = scan([tmp_path], rules=["missing-service-account"])
    (finding,) = report.findings
    assert finding.message == (
        "the pod runs as ServiceAccount web, but this scan holds 1 ServiceAccount in namespace shop and none named web"
    )
    assert finding.line == 14
    other = {"file": str(tmp_path / "shop.yaml"), "line": 17, "column": 1}
    assert finding.related == [
        other | {"resource": {"apiVersion": "v1", "kind": "ServiceAccount", "name": "api", "namespace": "shop"}}
    ]
    assert json.loads(_render(report, "json"))["findings"][0]["related"] == finding.related
    (result,) = json.loads(_render(report, "sarif"))["runs"][0]["results"]
    (location,) = result["relatedLocations"]
    assert location["physicalLocation"]["region"] == {"startLine": 17, "startColumn": 1}
    assert location["message"]["text"] == "ServiceAccount shop/api"
    for name in ("text", "github", "gitlab", "junit", "html"):
        assert f"(see {tmp_path / 'shop.yaml'}:17)" in _render(report, name), name


def test_findings_without_another_object_have_no_related_key(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP)
    report = scan([tmp_path], rules=["no-pod-disruption-budget"])
    (finding,) = report.findings
    assert finding.related == [] and "related" not in finding.to_dict()
    assert "relatedLocations" not in json.loads(_render(report, "sarif"))["runs"][0]["results"][0]


def test_the_namespace_scope_reports_on_the_namespace_object(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP)
    (finding,) = scan([tmp_path], rules=["namespace-without-network-policy"]).findings
    assert (finding.resource["kind"], finding.line) == ("Namespace", 1)
    assert finding.related[0]["resource"]["name"] == "web" and finding.related[0]["line"] == 5


@pytest.mark.parametrize("on", ["ServiceAccount", "Deployment"])
def test_either_object_suppresses(tmp_path: Path, on: str) -> None:
    annotation = "annotations: {kubecheck.io/ignore.missing-service-account: made by the operator}"
    text = SHOP.replace(
        f"kind: {on}\nmetadata: {{name: {'api' if on == 'ServiceAccount' else 'web'}, namespace: shop",
        f"kind: {on}\nmetadata: {{{annotation}, name: {'api' if on == 'ServiceAccount' else 'web'}, namespace: shop",
    )
    assert text != SHOP
    (tmp_path / "shop.yaml").write_text(text)
    report = scan([tmp_path], rules=["missing-service-account"])
    assert report.findings == [] and len(report.suppressed) == 1


# --- rule language mistakes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assertion", "mistake"),
    [
        ("{related: {kind: Secret}}", "exactly one of name, selecting, selected_by, in_namespace"),
        ("{related: {kind: Secret, name: {path: a}, in_namespace: true}}", "exactly one of"),
        ("{related: {kind: Secret, named: {path: a}}}", "not 'named'"),
        ("{related: {kind: 3, in_namespace: true}}", "kind is a kind"),
        ("{related: {kind: Secret, selecting: spec.selector}}", "needs pod or container scope"),
        ("{related: {kind: Secret, in_namespace: yes-please}}", "in_namespace takes true"),
        ("{scan_holds: {path: kind}}", "kind is a kind"),
    ],
)
def test_relation_mistakes_are_reported_at_their_line(tmp_path: Path, assertion: str, mistake: str) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(
        "id: r\ntitle: t\nseverity: low\npacks: [mine]\nscope: resource\n"
        f"assert: {assertion}\nmessage: m\nremediation: r\n"
    )
    with pytest.raises(UsageError, match=mistake) as raised:
        plan(policy_dirs=[str(rules)], packs=["mine"])
    assert "r.yaml:6:" in str(raised.value)


def test_workloads_without_a_namespace_are_judged_once(tmp_path: Path) -> None:
    """A Namespace object without workloads of its own is no namespace of the scope, though workloads
    without a namespace could land in it: they are judged once, in their own."""
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: empty}\n")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, image: app:1}]}\n"
    )
    (finding,) = scan([tmp_path], rules=["namespace-without-network-policy"]).findings
    assert finding.resource["kind"] == "Pod" and "namespace (none set)" in finding.message
