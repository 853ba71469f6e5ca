"""The effective capability set of a container, computed the way containerd and CRI-O compute it.

Start from the runtime's default set; ALL in add gives every capability, ALL in drop empties the set;
then individual adds, then individual drops, each name turned into the kernel's CAP_ name as that runtime does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..inputs.paths import Path

ALL_CAPABILITIES = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
)

# The default sets the runtimes grant when the pod spec asks for nothing (containerd's CRI plugin and
# CRI-O's default_capabilities). Both include NET_BIND_SERVICE.
RUNTIME_DEFAULTS: dict[str, tuple[str, ...]] = {
    "containerd": (
        "CHOWN",
        "DAC_OVERRIDE",
        "FSETID",
        "FOWNER",
        "MKNOD",
        "NET_RAW",
        "SETGID",
        "SETUID",
        "SETFCAP",
        "SETPCAP",
        "NET_BIND_SERVICE",
        "SYS_CHROOT",
        "KILL",
        "AUDIT_WRITE",
    ),
    "cri-o": ("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"),
}

SECURITY_CONTEXT = ("securityContext",)
CAPABILITIES = ("securityContext", "capabilities")


@dataclass(frozen=True)
class IneffectiveDrop:
    """A drop entry meant for a capability that the runtime turns into no capability (CAP_X becomes
    CAP_CAP_X on containerd), so it drops nothing."""

    index: int
    value: Any  # the entry as written
    runtime_name: str  # the name the runtime hands on


@dataclass(frozen=True)
class Origin:
    """Why a capability is in the effective set (a short label), the container-relative path that makes it
    so, and a drop entry that meant to remove it but drops nothing."""

    reason: str
    path: Path
    ineffective_drop: IneffectiveDrop | None = None


@dataclass
class EffectiveCapabilities:
    capabilities: dict[str, Origin] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


def runtime_name(value: Any, runtime: str = "containerd") -> str:
    """The name the runtime hands to the OCI runtime. containerd upper-cases the value and always prefixes
    CAP_ (so CAP_X becomes CAP_CAP_X, which is no capability); CRI-O prefixes only a value that does not
    already start with cap_ (any case), and the spec generator upper-cases it."""
    name = str(value).upper()
    if runtime == "cri-o" and name.startswith("CAP_"):
        return name
    return "CAP_" + name


def effective_capabilities(container: dict[str, Any], runtime: str = "containerd") -> EffectiveCapabilities:
    result = EffectiveCapabilities()
    security_context = container.get("securityContext")
    security_context = security_context if isinstance(security_context, dict) else {}
    if security_context.get("privileged") is True:
        origin = Origin("privileged: true grants every capability", (*SECURITY_CONTEXT, "privileged"))
        result.capabilities = dict.fromkeys(ALL_CAPABILITIES, origin)
        result.steps.append("privileged: true -> every capability")
        return result

    capabilities = security_context.get("capabilities")
    capabilities = capabilities if isinstance(capabilities, dict) else {}
    adds = _entries(capabilities.get("add"))
    drops = _entries(capabilities.get("drop"))
    default = RUNTIME_DEFAULTS[runtime]
    not_dropped = Origin(f"in the {runtime} runtime default set and not dropped", (*CAPABILITIES, "drop"))
    result.capabilities = dict.fromkeys(default, not_dropped)
    result.steps.append(f"start from the {runtime} default set: {', '.join(default)}")

    add_all = next((i for i, v in adds if str(v).upper() == "ALL"), None)
    drop_all = next((i for i, v in drops if str(v).upper() == "ALL"), None)
    if add_all is not None:
        origin = Origin("added by ALL in capabilities.add", (*CAPABILITIES, "add", add_all))
        result.capabilities = dict.fromkeys(ALL_CAPABILITIES, origin)
        result.steps.append(f"add[{add_all}] {_value_at(adds, add_all)!r} -> every capability")
    if drop_all is not None:
        result.capabilities = {}
        result.steps.append(f"drop[{drop_all}] {_value_at(drops, drop_all)!r} -> empty set")

    for index, value in adds:
        if index == add_all or str(value).upper() == "ALL":
            continue
        kernel_name = runtime_name(value, runtime)
        name = kernel_name.removeprefix("CAP_")
        if name not in ALL_CAPABILITIES:
            refusal = "CRI-O refuses to create the container" if runtime == "cri-o" else "the runtime ignores it"
            result.steps.append(f"add[{index}] {value!r} -> {kernel_name} is not a capability: {refusal}")
            continue
        how = "re-added after drop ALL" if drop_all is not None else "added by capabilities.add"
        result.capabilities[name] = Origin(how, (*CAPABILITIES, "add", index))
        result.steps.append(f"add[{index}] {value!r} -> +{kernel_name}")

    for index, value in drops:
        if index == drop_all or str(value).upper() == "ALL":
            continue
        kernel_name = runtime_name(value, runtime)
        name = kernel_name.removeprefix("CAP_")
        if name in result.capabilities:
            del result.capabilities[name]
            result.steps.append(f"drop[{index}] {value!r} -> -{kernel_name}")
            continue
        intended = name.removeprefix("CAP_")
        if intended != name and intended in result.capabilities:
            result.capabilities[intended] = Origin(
                result.capabilities[intended].reason,
                (*CAPABILITIES, "drop", index),
                IneffectiveDrop(index, value, kernel_name),
            )
            result.steps.append(f"drop[{index}] {value!r} -> {kernel_name} is not a capability: drops nothing")
        else:
            result.steps.append(f"drop[{index}] {value!r} -> {kernel_name} was not in the set")
    return result


def covered_by_drop_all(capability: Any, drops: list[Any], adds: list[Any], runtime: str = "containerd") -> bool:
    """Whether dropping the capability by name changes nothing because the drop list holds ALL: ALL empties the
    set first, so an individual drop matters only for a capability added back (adds come before individual
    drops)."""
    if str(capability).upper() == "ALL" or not any(str(drop).upper() == "ALL" for drop in drops):
        return False
    name = runtime_name(capability, runtime)
    return not any(runtime_name(added, runtime) == name for added in adds if added is not None)


def _entries(value: Any) -> list[tuple[int, Any]]:
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if v is not None]


def _value_at(entries: list[tuple[int, Any]], index: int) -> Any:
    return next(v for i, v in entries if i == index)
