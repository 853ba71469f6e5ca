"""Unwrapping documents into Kubernetes objects: List, typed lists, AdmissionReview, ResourceList."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from checker.inputs.documents import Document, Source
from checker.inputs.resources import resources_of

from .conftest import ROOT


def _docs(*values):
    source = Source("x.yaml", "")
    return [Document(source, i, 1, v) for i, v in enumerate(values)]


def _pod(name, ns=None):
    meta = {"name": name} | ({"namespace": ns} if ns else {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {}}


def test_lists_and_typed_lists_are_unwrapped_with_their_paths() -> None:
    found = resources_of(
        _docs(
            {"apiVersion": "v1", "kind": "List", "items": [_pod("a"), _pod("b")]},
            {
                "apiVersion": "apps/v1",
                "kind": "DeploymentList",
                "items": [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}],
            },
        )
    )
    assert [(r.kind, r.name, r.base) for r in found.items] == [
        ("Pod", "a", ("items", 0)),
        ("Pod", "b", ("items", 1)),
        ("Deployment", "d", ("items", 0)),
    ]


def test_admission_review_takes_request_object_and_namespace() -> None:
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"uid": "1", "namespace": "team", "object": _pod("p")},
    }
    found = resources_of(_docs(review))
    assert [(r.name, r.namespace, r.base) for r in found.items] == [("p", "team", ("request", "object"))]


def test_non_objects_are_counted_not_reported() -> None:
    found = resources_of(_docs({"just": "data"}, ["a"], None, {"kind": "Pod"}, _pod("ok")))
    assert [r.name for r in found.items] == ["ok"]
    assert found.skipped == 3


def test_typed_list_items_without_apiversion_and_kind_take_the_lists() -> None:
    raw = {
        "apiVersion": "apps/v1",
        "kind": "DeploymentList",
        "metadata": {"resourceVersion": "1"},
        "items": [
            {"metadata": {"name": "web", "namespace": "shop"}, "spec": {}},
            {"kind": "Deployment", "metadata": {"name": "half"}},
            {"apiVersion": "apps/v1", "metadata": {"name": "other-half"}},
            {"apiVersion": "batch/v1", "metadata": {"name": "job?"}},
            {"kind": "StatefulSet", "metadata": {"name": "set?"}},
        ],
    }
    found = resources_of(_docs(raw))
    assert [(r.api_version, r.kind, r.name, r.namespace, r.base) for r in found.items] == [
        ("apps/v1", "Deployment", "web", "shop", ("items", 0)),
        ("apps/v1", "Deployment", "half", None, ("items", 1)),
        ("apps/v1", "Deployment", "other-half", None, ("items", 2)),
    ]
    assert found.skipped == 2  # items that say they are something else are not guessed
    assert found.items[0].obj["spec"] is raw["items"][0]["spec"]  # the document's own data
    assert "kind" not in raw["items"][0]  # the document is left as it was


def test_items_of_plain_lists_and_resource_lists_still_need_their_own_kind() -> None:
    found = resources_of(
        _docs(
            {"apiVersion": "v1", "kind": "List", "items": [{"metadata": {"name": "a"}}]},
            {
                "apiVersion": "config.kubernetes.io/v1",
                "kind": "ResourceList",
                "items": [{"metadata": {"name": "b"}}, _pod("c")],
            },
        )
    )
    assert [r.name for r in found.items] == ["c"] and found.skipped == 2


def test_raw_api_list_is_checked_from_the_command_line() -> None:
    command = [shutil.which("kubecheck")] if shutil.which("kubecheck") else [sys.executable, "-m", "checker.cli"]
    result = subprocess.run(
        [*command, "scan", "fixtures/inputs/deployment-list-raw.json", "--rule", "drop-net-bind-service", "-o", "json"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 1
    assert [(f["resource"], f["line"], f["column"]) for f in findings] == [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"}, 14, 93)
    ]
