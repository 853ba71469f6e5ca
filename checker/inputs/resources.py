"""Turn parsed documents into Kubernetes objects, unwrapping List, typed *List, AdmissionReview and
ResourceList envelopes; anything that is not a Kubernetes object is counted and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .documents import Document
from .paths import Path


@dataclass
class Resource:
    """A Kubernetes object and where it sits: its document and the path of the object inside it."""

    document: Document
    base: Path
    obj: dict[str, Any]
    api_version: str
    kind: str
    name: str | None
    namespace: str | None

    def ref(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "name": self.name, "namespace": self.namespace}


@dataclass
class Resources:
    items: list[Resource] = field(default_factory=list)
    skipped: int = 0


def is_kubernetes_object(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("apiVersion"), str)
        and isinstance(value.get("kind"), str)
        and bool(value["kind"])
    )


def list_item_kind(list_kind: str) -> str | None:
    """The kind of a typed list's items (DeploymentList -> Deployment); None for List and ResourceList,
    whose items each say their own kind."""
    if list_kind in ("List", "ResourceList") or not list_kind.endswith("List"):
        return None
    return list_kind.removesuffix("List")


def with_list_type(item: Any, list_api_version: str, item_kind: str) -> Any:
    """A typed list item as the API server returns it (`kubectl get --raw`) omits apiVersion and kind: they
    are the list's. The copy shares everything else with the document, so paths and positions still hold."""
    if not isinstance(item, dict) or is_kubernetes_object(item):
        return item
    if item.get("kind") not in (None, "", item_kind) or item.get("apiVersion") not in (None, list_api_version):
        return item  # it says it is something else: not ours to guess
    return {**item, "apiVersion": list_api_version, "kind": item_kind}


def resources_of(documents: list[Document]) -> Resources:
    found = Resources()
    for document in documents:
        _collect(document, document.data, document.root, None, found)
    return found


def _collect(document: Document, value: Any, base: Path, default_ns: str | None, found: Resources) -> None:
    if not is_kubernetes_object(value):
        if value is not None:
            found.skipped += 1
        return
    kind = value["kind"]
    items = value.get("items")
    if (kind == "List" or kind.endswith("List") or kind == "ResourceList") and isinstance(items, list):
        item_kind = list_item_kind(kind)
        for index, item in enumerate(items):
            if item_kind is not None:
                item = with_list_type(item, value["apiVersion"], item_kind)
            _collect(document, item, (*base, "items", index), default_ns, found)
        return
    if kind == "AdmissionReview":
        request = value.get("request")
        if isinstance(request, dict):
            namespace = request.get("namespace") if isinstance(request.get("namespace"), str) else None
            _collect(document, request.get("object"), (*base, "request", "object"), namespace, found)
        return
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    name = metadata.get("name")
    namespace = metadata.get("namespace") or default_ns
    found.items.append(
        Resource(
            document=document,
            base=base,
            obj=value,
            api_version=value["apiVersion"],
            kind=kind,
            name=str(name) if name is not None else None,
            namespace=str(namespace) if namespace is not None else None,
        )
    )
