"""Listen addresses that reach a container through ConfigMaps of the same scan: files mounted from a
configMap or projected volume (nginx ``listen`` directives, bind/listen/host keys in YAML, JSON or
properties text), and variables taken with envFrom or configMapKeyRef.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .context import ScanContext
from .listen import ADDRESS_NAME
from .resources import Resource
from .workloads import Container, Workload

NGINX_LISTEN = re.compile(r"^\s*listen\s+([^\s;]+)")
KEY_VALUE = re.compile(r"""^\s*["']?([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*["']?([^"'\s,;#]+)""")


@dataclass(frozen=True)
class ConfigAddress:
    value: str
    config_map: Resource
    key: str
    line_in_value: int | None
    origin: str


def mounted_addresses(workload: Workload, container: Container, context: ScanContext) -> list[ConfigAddress]:
    namespace = workload.resource.namespace
    found: list[ConfigAddress] = []
    for name, mount_path in _mounted_config_maps(workload, container):
        config_map = context.find("ConfigMap", namespace, name)
        if config_map is None:
            continue
        for key, text in _data(config_map).items():
            for number, line in enumerate(text.splitlines()):
                value = _address_in(line)
                if value is not None:
                    found.append(ConfigAddress(value, config_map, key, number,
                                               f"ConfigMap {name}, {key} line {number + 1}, mounted at {mount_path}"))
    for name, key in _env_config_maps(container.spec):
        config_map = context.find("ConfigMap", namespace, name)
        if config_map is None:
            continue
        for data_key, value in _data(config_map).items():
            if (key is None and ADDRESS_NAME.search(data_key)) or data_key == key:
                how = "envFrom" if key is None else "configMapKeyRef"
                found.append(ConfigAddress(value.strip(), config_map, data_key, None,
                                           f"ConfigMap {name} key {data_key}, taken with {how}"))
    return found


def _address_in(line: str) -> str | None:
    match = NGINX_LISTEN.match(line)
    if match:
        return match.group(1)
    match = KEY_VALUE.match(line)
    if match and ADDRESS_NAME.search(match.group(1)):
        return match.group(2)
    return None


def _data(config_map: Resource) -> dict[str, str]:
    data = config_map.obj.get("data")
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def _mounted_config_maps(workload: Workload, container: Container) -> list[tuple[str, str]]:
    """(ConfigMap name, mount path) for every configMap or projected volume the container mounts."""
    by_volume: dict[str, list[str]] = {}
    for volume in workload.spec.get("volumes") or []:
        if not isinstance(volume, dict) or not isinstance(volume.get("name"), str):
            continue
        names: list[str] = []
        config_map = volume.get("configMap")
        if isinstance(config_map, dict) and isinstance(config_map.get("name"), str):
            names.append(config_map["name"])
        projected = volume.get("projected")
        if isinstance(projected, dict):
            for source in projected.get("sources") or []:
                inner = source.get("configMap") if isinstance(source, dict) else None
                if isinstance(inner, dict) and isinstance(inner.get("name"), str):
                    names.append(inner["name"])
        by_volume[volume["name"]] = names
    mounted: list[tuple[str, str]] = []
    for mount in container.spec.get("volumeMounts") or []:
        if isinstance(mount, dict):
            for name in by_volume.get(mount.get("name"), []):
                mounted.append((name, str(mount.get("mountPath", ""))))
    return mounted


def _env_config_maps(container: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(ConfigMap name, key) for configMapKeyRef env entries whose variable says address; key None for envFrom."""
    found: list[tuple[str, str | None]] = []
    for entry in container.get("envFrom") or []:
        ref = entry.get("configMapRef") if isinstance(entry, dict) else None
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            found.append((ref["name"], None))
    for entry in container.get("env") or []:
        if not isinstance(entry, dict) or not ADDRESS_NAME.search(str(entry.get("name", ""))):
            continue
        ref = (entry.get("valueFrom") or {}).get("configMapKeyRef") if isinstance(entry.get("valueFrom"), dict) \
            else None
        if isinstance(ref, dict) and isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
            found.append((ref["name"], ref["key"]))
    return found
