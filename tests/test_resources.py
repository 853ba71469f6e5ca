"""Unwrapping documents into Kubernetes objects: List, typed lists, AdmissionReview, ResourceList."""

from __future__ import annotations

from checker.resources import resources_of
from checker.sources import Document, Source


def _docs(*values):
    source = Source("x.yaml", "")
    return [Document(source, i, 1, v) for i, v in enumerate(values)]


def _pod(name, ns=None):
    meta = {"name": name} | ({"namespace": ns} if ns else {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {}}


def test_lists_and_typed_lists_are_unwrapped_with_their_paths() -> None:
    found = resources_of(_docs({"apiVersion": "v1", "kind": "List", "items": [_pod("a"), _pod("b")]},
                               {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [
                                   {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}]}))
    assert [(r.kind, r.name, r.base) for r in found.items] == [
        ("Pod", "a", ("items", 0)), ("Pod", "b", ("items", 1)), ("Deployment", "d", ("items", 0))]


def test_admission_review_takes_request_object_and_namespace() -> None:
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
              "request": {"uid": "1", "namespace": "team", "object": _pod("p")}}
    found = resources_of(_docs(review))
    assert [(r.name, r.namespace, r.base) for r in found.items] == [("p", "team", ("request", "object"))]


def test_non_objects_are_counted_not_reported() -> None:
    found = resources_of(_docs({"just": "data"}, ["a"], None, {"kind": "Pod"}, _pod("ok")))
    assert [r.name for r in found.items] == ["ok"]
    assert found.skipped == 3
