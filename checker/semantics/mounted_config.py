"""Listen addresses that reach a container through ConfigMaps of the same scan: keys mounted as files (configMap
and projected volumes, honouring items and subPath) and variables taken with envFrom or configMapKeyRef.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from ..inputs.resources import Resource
from ..workloads.index import ScanContext
from ..workloads.pods import Container, Workload
from .expansion import env_values, expand_references
from .listen import ADDRESS_HINT, ADDRESS_VARIABLES, is_address_name, split_addresses

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A listen directive where a statement starts (line start, or after ; { or }): nginx and Apache ``listen``
# and sshd ``ListenAddress`` name one address, then options; HAProxy and Redis ``bind`` name one or more.
LISTEN_DIRECTIVE = re.compile(r"""(?:^|[;{}])\s*(?:[Ll]isten|ListenAddress)\s+(?!=|:\s)["']?([^\s;{}"'#]+)""")
BIND_DIRECTIVE = re.compile(r"""(?:^|[;{}])\s*bind\s+(?!=|:\s)([^;{}#]+)""")
# The addresses a bind directive starts with, up to its first option (ssl, crt PATH, v4v6, ...); HAProxy
# may prefix an address family (ipv6@:8443).
BIND_ADDRESSES = re.compile(r"""\s*(?:["']?(?:[A-Za-z][A-Za-z0-9]*@)?[\[\]0-9A-Fa-f:.*,-]*["']?(?:\s+|$))+""")
BIND_ADDRESS = re.compile(r"""[^\s,"']+""")
KEY_VALUE = re.compile(r"""^\s*(?:export\s+)?["']?([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*["']?([^"'\s;#]+)""")
# A key and its value separated by blanks, alone on a line (spark-defaults.conf: spark.driver.bindAddress ::).
SPACED_KEY_VALUE = re.compile(r"""^\s*([A-Za-z][A-Za-z0-9_.\-]*)[ \t]+([^\s"';#]+)[ \t]*$""")
NULL_TAG = "tag:yaml.org,2002:null"
_COLLECTIONS = (yaml.MappingNode, yaml.SequenceNode)


@dataclass(frozen=True)
class DataAddress:
    """An address written in one data value, with its line and column (both 0-based) inside the value."""

    value: str
    line: int
    column: int


@dataclass(frozen=True)
class MountedFile:
    """A ConfigMap key that a container sees as a file, and the file's path in the container."""

    config_map: str
    key: str
    path: str


@dataclass(frozen=True)
class ConfigAddress:
    """An address that reaches a container from a ConfigMap: where it is written (key, line and column in
    the value; None for a whole value) and how it gets there."""

    value: str
    config_map: Resource
    key: str
    line_in_value: int | None
    origin: str
    column_in_value: int | None = None


def mounted_addresses(workload: Workload, container: Container, context: ScanContext) -> list[ConfigAddress]:
    """The addresses in the ConfigMap files the container sees and the ConfigMap variables it takes; each
    ConfigMap key is read once per scan."""
    namespace = workload.resource.namespace

    def find(name: str) -> Resource | None:
        return context.find("ConfigMap", namespace, name, near=workload.resource)

    found: list[ConfigAddress] = []
    for file in mounted_files(workload.spec, container.spec, lambda name: _data(find(name)).keys()):
        config_map = find(file.config_map)
        text = _data(config_map).get(file.key)
        if config_map is None or text is None:
            continue
        for address in context.cached(("config-addresses", id(config_map), file.key), addresses_in, text):
            found.append(
                ConfigAddress(
                    address.value,
                    config_map,
                    file.key,
                    address.line,
                    f"ConfigMap {file.config_map}, {file.key} line {address.line + 1}, mounted at {file.path}",
                    address.column,
                )
            )
    for name, key in _env_config_maps(container.spec):
        config_map = find(name)
        if config_map is None:
            continue
        for data_key, value in _data(config_map).items():
            if (key is None and is_address_name(data_key)) or data_key == key:
                how = "envFrom" if key is None else "configMapKeyRef"
                found.extend(
                    ConfigAddress(
                        address, config_map, data_key, None, f"ConfigMap {name} key {data_key}, taken with {how}"
                    )
                    for address in split_addresses(value.strip())
                )
    return found


# --- which keys a container sees ------------------------------------------------------------------------


def mounted_files(
    pod_spec: dict[str, Any], container: dict[str, Any], data_keys: Callable[[str], Iterable[str]]
) -> list[MountedFile]:
    """The ConfigMap keys the container sees through its volumeMounts, where it sees them. A volume's
    ``items`` project only the listed keys, each at its path; without items every key of the ConfigMap
    (``data_keys``) is a file named after the key. A ``subPath`` (or ``subPathExpr`` whose variables have
    literal values) shows only that file, or the files under that directory, at the mount path."""
    volumes: dict[str, list[tuple[str, str, str]]] = {}
    for volume in _list(pod_spec.get("volumes")):
        if isinstance(volume, dict) and isinstance(volume.get("name"), str):
            volumes[volume["name"]] = _volume_files(volume, data_keys)
    mounted: list[MountedFile] = []
    for mount in _list(container.get("volumeMounts")):
        if not isinstance(mount, dict) or not isinstance(mount.get("name"), str):
            continue
        files = volumes.get(mount["name"], [])
        sub_path = _sub_path(mount, container) if files else None
        if sub_path is None:
            continue
        mount_path = str(mount.get("mountPath") or "")
        for name, key, path in files:
            seen_at = _seen_at(path, sub_path, mount_path)
            if seen_at is not None:
                mounted.append(MountedFile(name, key, seen_at))
    return mounted


def _volume_files(volume: dict[str, Any], data_keys: Callable[[str], Iterable[str]]) -> list[tuple[str, str, str]]:
    """(ConfigMap name, key, path inside the volume) of every file a configMap or projected volume holds."""
    sources = [volume.get("configMap")]
    projected = volume.get("projected")
    if isinstance(projected, dict):
        sources.extend(
            source.get("configMap") for source in _list(projected.get("sources")) if isinstance(source, dict)
        )
    files: list[tuple[str, str, str]] = []
    for source in sources:
        if not isinstance(source, dict) or not isinstance(source.get("name"), str):
            continue
        name = source["name"]
        items = _list(source.get("items"))
        if not items:  # no items (or an empty list): every key, as a file named after it
            files.extend((name, key, key) for key in data_keys(name))
            continue
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("path"), str):
                files.append((name, item["key"], _relative(item["path"])))
    return files


def _sub_path(mount: dict[str, Any], container: dict[str, Any]) -> str | None:
    """The mount's subPath, relative and normalized ("" for the whole volume); None when a subPathExpr
    uses a variable without a literal value, so which file it shows is unknown."""
    expression = mount.get("subPathExpr")
    if isinstance(expression, str) and expression:  # expanded from the container's env, as the kubelet does
        expanded = expand_references(expression, env_values(container))
        return None if expanded.unknown else _relative(expanded.text)
    sub_path = mount.get("subPath")
    return _relative(sub_path) if isinstance(sub_path, str) else ""


def _seen_at(path: str, sub_path: str, mount_path: str) -> str | None:
    """Where a file at path inside the volume appears in the container, or None if the mount hides it."""
    if not sub_path:
        return posixpath.join(mount_path, path)
    if path == sub_path:
        return mount_path
    if path.startswith(sub_path + "/"):
        return posixpath.join(mount_path, path[len(sub_path) + 1 :])
    return None


def _relative(path: str) -> str:
    normalized = posixpath.normpath(path.strip("/")) if path.strip("/") else ""
    return "" if normalized == "." else normalized


# --- what a data value says -----------------------------------------------------------------------------


def addresses_in(text: str) -> list[DataAddress]:
    """The listen/bind addresses written in one data value, each at its line and column. A value that
    parses as a YAML or JSON mapping or list is read by its structure (scalars under a key that says
    bind, listen, address or host, also in lists and nested mappings); anything else line by line (nginx
    listen directives anywhere on a line, key=value and key: value), ignoring # comments."""
    if not ADDRESS_HINT.search(text) and not any(name in text for name in ADDRESS_VARIABLES):
        return []
    structured = _structured_addresses(text)
    found = structured if structured is not None else _line_addresses(text)
    return [part for address in found for part in _split_list(address)]


def _split_list(address: DataAddress) -> list[DataAddress]:
    """One address per element of a comma-separated list, each at its own column."""
    if "," not in address.value:
        return [address]
    parts, offset = [], 0
    for piece in address.value.split(","):
        if piece.strip():
            parts.append(
                DataAddress(piece.strip(), address.line, address.column + offset + len(piece) - len(piece.lstrip()))
            )
        offset += len(piece) + 1
    return parts


def _structured_addresses(text: str) -> list[DataAddress] | None:
    try:
        roots = [root for root in yaml.compose_all(text, Loader=yaml.CSafeLoader) if root is not None]
    except (yaml.YAMLError, RecursionError):
        return None
    if not any(isinstance(root, _COLLECTIONS) for root in roots) or any(_properties_like(root) for root in roots):
        return None
    found: list[DataAddress] = []
    walked: set[tuple[int, bool]] = set()  # each collection at most once per meaning, however many aliases
    stack: list[tuple[yaml.Node, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, is_address = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if is_address and node.tag != NULL_TAG and node.value.strip():
                found.append(_scalar_address(node, text))
            continue
        if (id(node), is_address) in walked:
            continue
        walked.add((id(node), is_address))
        if isinstance(node, yaml.MappingNode):
            stack.extend(
                (value, isinstance(key, yaml.ScalarNode) and is_address_name(key.value))
                for key, value in reversed(node.value)
            )
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, is_address) for item in reversed(node.value))
    return sorted(set(found), key=lambda address: (address.line, address.column, address.value))


def _properties_like(root: yaml.Node) -> bool:
    """Text that YAML happens to parse as a mapping but is a properties or directive file: ``bind=::`` is
    the key ``bind=:``, and ``bind 127.0.0.1 ::`` the key ``bind 127.0.0.1 :``."""
    return isinstance(root, yaml.MappingNode) and any(
        isinstance(key, yaml.ScalarNode) and not key.style and ("=" in key.value or " " in key.value.strip())
        for key, _ in root.value
    )


def _scalar_address(node: yaml.ScalarNode, text: str) -> DataAddress:
    line, column = node.start_mark.line, node.start_mark.column
    if node.style in ("|", ">"):  # a block scalar's content starts on the next line
        line += 1
        lines = LINE_BREAK.split(text)
        content = lines[line] if line < len(lines) else ""
        column = len(content) - len(content.lstrip(" "))
    elif node.style in ("'", '"'):
        column += 1
    return DataAddress(node.value.strip(), line, column)


def _line_addresses(text: str) -> list[DataAddress]:
    found: list[DataAddress] = []
    for number, line in enumerate(LINE_BREAK.split(text)):
        code = _without_comment(line)
        directives = [DataAddress(m.group(1), number, m.start(1)) for m in LISTEN_DIRECTIVE.finditer(code)]
        for bind in BIND_DIRECTIVE.finditer(code):
            leading = BIND_ADDRESSES.match(bind.group(1))
            if leading is not None and leading.group(0).strip():
                directives += _bind_addresses(
                    [
                        DataAddress(a.group(0), number, bind.start(1) + a.start())
                        for a in BIND_ADDRESS.finditer(leading.group(0))
                    ]
                )
            elif leading is not None:
                directives.append(DataAddress("", number, bind.start(1)))  # a bind with no address: nothing
        if directives:
            found.extend(directive for directive in directives if directive.value)
            continue
        for pattern in (SPACED_KEY_VALUE, KEY_VALUE):
            match = pattern.match(code)
            if match and is_address_name(match.group(1)):
                found.append(DataAddress(match.group(2), number, match.start(2)))
                break
    return found


def _bind_addresses(addresses: list[DataAddress]) -> list[DataAddress]:
    """The addresses of one bind directive that matter. In Redis's form (addresses without ports: bind
    127.0.0.1 -::1) a ``-`` marks an address Redis starts without, and Redis skips an IPv6 address whose
    family the kernel lacks, so an IPv6 wildcard (::, ::*) beside an IPv4 address only adds an IPv6 socket:
    neither is kept. HAProxy's addresses carry ports and are all kept."""
    if not all(_portless(address.value) for address in addresses):
        return addresses
    kept = [address for address in addresses if not address.value.startswith("-")]
    if any("." in address.value or address.value == "*" for address in kept):
        kept = [address for address in kept if address.value not in ("::", "::*")]
    return kept


def _portless(value: str) -> bool:
    """A Redis bind address: *, an IPv4 address, an IPv6 address or ::*, each maybe prefixed with -."""
    bare = value.removeprefix("-")
    if bare in ("*", "::*"):
        return True
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return False
    return True


def _without_comment(line: str) -> str:
    """The line up to a # that starts a comment: one that begins a word (nginx's rule), outside quotes."""
    if "#" not in line:
        return line
    quote = ""
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if char == quote and previous != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#" and (previous.isspace() or previous in ";{}"):
            return line[:index]
        previous = char
    return line


# --- ConfigMap access -----------------------------------------------------------------------------------


def _data(config_map: Resource | None) -> dict[str, str]:
    data = config_map.obj.get("data") if config_map is not None else None
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _env_config_maps(container: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(ConfigMap name, key) for configMapKeyRef env entries whose variable says address; key None for envFrom."""
    found: list[tuple[str, str | None]] = []
    for entry in container.get("envFrom") or []:
        ref = entry.get("configMapRef") if isinstance(entry, dict) else None
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            found.append((ref["name"], None))
    for entry in container.get("env") or []:
        if not isinstance(entry, dict) or not is_address_name(str(entry.get("name", ""))):
            continue
        ref = (
            (entry.get("valueFrom") or {}).get("configMapKeyRef") if isinstance(entry.get("valueFrom"), dict) else None
        )
        if isinstance(ref, dict) and isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
            found.append((ref["name"], ref["key"]))
    return found
