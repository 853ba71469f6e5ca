"""Kustomize patch files: partial objects that kustomize merges into others. Files that a Kustomization
(or Component) of the same scan names as patches are not checked as whole objects."""

from __future__ import annotations

import os
from typing import Any

from .resources import Resource

KUSTOMIZE_KINDS = ("Kustomization", "Component")
PATCH_FIELDS = ("patchesStrategicMerge", "patches", "patchesJson6902")


def patch_files(resources: list[Resource]) -> set[str]:
    """Real paths of the files named as patches by the Kustomizations among the resources."""
    found: set[str] = set()
    for resource in resources:
        if resource.kind not in KUSTOMIZE_KINDS or not resource.api_version.startswith("kustomize.config.k8s.io/"):
            continue
        base = os.path.dirname(resource.document.source.name)
        for field in PATCH_FIELDS:
            for entry in resource.obj.get(field) or []:
                path = _patch_path(entry)
                if path is not None:
                    found.add(os.path.realpath(os.path.join(base, path)))
    return found


def _patch_path(entry: Any) -> str | None:
    if isinstance(entry, dict):
        entry = entry.get("path")
    if isinstance(entry, str) and entry.strip() and "\n" not in entry:  # inline patches hold YAML text
        return entry.strip()
    return None


def split_patches(resources: list[Resource]) -> tuple[list[Resource], list[Resource]]:
    """(objects to check, objects that are patches named by a Kustomization of the scan)."""
    patches = patch_files(resources)
    if not patches:
        return resources, []
    names = {os.path.basename(path) for path in patches}  # resolve only files that can be one of them
    keep: list[Resource] = []
    skipped: list[Resource] = []
    for resource in resources:
        source = resource.document.source.name
        named = os.path.basename(source) in names and os.path.realpath(source) in patches
        (skipped if named else keep).append(resource)
    return keep, skipped
