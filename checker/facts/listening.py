"""Listening facts: the addresses and ports a container listens on, from args, command, env, Spark
settings and mounted ConfigMaps, each at the place it is written.
"""

from __future__ import annotations

import re
from typing import Any

from ..semantics import spark_conf
from ..semantics.limits import is_oversized
from ..semantics.listen import ListenSettings, ignored_entries, is_address_name, listen_settings, split_addresses
from ..semantics.mounted_config import mounted_addresses
from ..semantics.ports import Port, listen_ports, specific_ipv6
from ..workloads.pods import value_at
from ..workloads.spark import SPARK_CONF, spark_main_container
from .registry import fact, fact_of
from .scope import Match, Scope

# sparkConf keys of the executor: spark.executor.*, spark.executorEnv.*, spark.kubernetes.executor.*
SPARK_EXECUTOR_KEY = re.compile(r"(?:^|\.)executor(?:Env)?\.")


def _ignored_entries(scope: Scope) -> list[str]:
    assert scope.container is not None
    return ignored_entries(scope.container.spec)


@fact("container.unanalysed_values", "container")
def _unanalysed_values(scope: Scope) -> list[Match]:
    """The command and args entries and env values longer than the per-value bound (256 Ki characters):
    they are not parsed for listen addresses and ports; each is named by where it is written."""
    assert scope.container is not None
    spec = scope.container.spec
    found = []
    for field_name in ("command", "args"):
        entries = spec.get(field_name)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if is_oversized(entry):
                found.append(Match(f"{field_name}[{index}]", scope.container_path((field_name, index))))
    env = spec.get("env")
    for index, entry in enumerate(env if isinstance(env, list) else []):
        if isinstance(entry, dict) and is_oversized(entry.get("value")):
            name = f"env {entry.get('name')}" if isinstance(entry.get("name"), str) else f"env[{index}]"
            found.append(Match(name, scope.container_path(("env", index, "value"))))
    return found


@fact("container.listen_addresses", "container", detail=_ignored_entries)
def _listen_addresses(scope: Scope) -> list[Match]:
    """Listen/bind addresses from args, command and env; for a Spark driver or executor also its envVars map
    and sparkConf (bindAddress settings and driverEnv/executorEnv variables; spark.driver.host is the host
    others connect to); and ConfigMaps of the scan the container mounts or takes variables from (located
    inside the ConfigMap). A comma-separated value is one address per element."""
    assert scope.container is not None
    matches = [
        Match(s.value, scope.container_path(s.path), s.origin, None, s.line_in_value, s.column_in_value)
        for s in settings_of(scope, scope.container.spec).addresses
    ]
    workload, container = scope.workload, scope.container
    spark_conf_path = workload.extras.get("sparkConf") if workload else None
    if workload and spark_conf_path and container is not None and spark_main_container(workload) is container:
        matches += _spark_env_vars(scope)
        settings = value_at(scope.resource.obj, spark_conf_path)
        refused = _refused_settings(scope)
        if isinstance(settings, dict):
            for key, value in settings.items():
                role = "executor" if SPARK_EXECUTOR_KEY.search(str(key)) else "driver"
                if (
                    role == workload.role
                    and key not in refused  # Spark refuses it in cluster mode: no bind happens
                    and is_address_name(str(key))
                    and isinstance(value, str)
                ):
                    matches += [
                        Match(address, (*spark_conf_path, key), f"sparkConf {key}")
                        for address in split_addresses(value)
                    ]
    if workload is not None and container is not None:
        for found in mounted_addresses(workload, container, scope.context):
            matches.append(
                Match(
                    found.value,
                    ("data", found.key),
                    found.origin,
                    found.config_map,
                    found.line_in_value,
                    found.column_in_value,
                )
            )
    return matches


@fact("container.ipv6_address_binds", "container")
def _ipv6_address_binds(scope: Scope) -> list[Match]:
    """The listen addresses (see container.listen_addresses) that are one specific IPv6 address: ::1,
    [::1]:9090, fd00::1, [fe80::1%eth0]:80; not the all-zero wildcard, IPv4, IPv4-mapped or host names."""
    return [
        match
        for match in fact_of(scope, "container.listen_addresses")
        if isinstance(match.value, str) and specific_ipv6(match.value)
    ]


def _spark_env_vars(scope: Scope) -> list[Match]:
    """The deprecated ``envVars`` map (NAME: value) of a SparkApplication driver or executor, read like env.
    The role's fields sit where the normalized main container maps to, so its real path is found there."""
    path = scope.container_path(("envVars",))
    env_vars = value_at(scope.resource.obj, path)
    if not isinstance(env_vars, dict):
        return []
    return [
        Match(address, (*path, name), f"envVars {name}")
        for name, value in env_vars.items()
        if is_address_name(str(name)) and isinstance(value, str | int) and not isinstance(value, bool)
        for address in split_addresses(str(value))
    ]


def _refused_settings(scope: Scope) -> list[str]:
    """The sparkConf keys of a Spark driver that Spark refuses in its deploy mode (cluster: the driver's
    bind address and host); [] for other workloads."""
    workload = scope.workload
    app_path = workload.extras.get("sparkApp") if workload else None
    if workload is None or app_path is None or workload.role != spark_conf.DRIVER:
        return []
    app = value_at(scope.resource.obj, app_path)
    conf = app.get("sparkConf") if isinstance(app, dict) else None
    if not isinstance(app, dict) or not isinstance(conf, dict):
        return []
    return spark_conf.refused_driver_settings(conf, spark_conf.deploy_mode(app))


@fact("pod.spark_refused_settings", "pod", record={"key": spark_conf.MANAGED_DRIVER_KEYS})
def _spark_refused_settings(scope: Scope) -> list[Match]:
    """sparkConf settings Spark refuses for a SparkApplication's (or ScheduledSparkApplication's) driver in
    cluster mode, the default: spark.driver.bindAddress and spark.driver.host, because the driver's bind
    address is the pod IP and its host the driver Service (Spark's DriverServiceFeatureStep); at the key."""
    workload = scope.workload
    assert workload is not None
    conf_path = workload.extras.get("sparkConf")
    conf = value_at(scope.resource.obj, conf_path) if conf_path else None
    if conf_path is None or not isinstance(conf, dict):
        return []
    return [
        Match(conf[key], (*conf_path, key), f"sparkConf {key}", record={"key": key}) for key in _refused_settings(scope)
    ]


@fact("container.listen_ports", "container")
def _listen_ports(scope: Scope) -> list[Match]:
    """Ports from containerPort, port flags, listen addresses and PORT env variables, each at its entry;
    for the Spark process of a Spark Operator pod also Spark's port settings (spark.driver.port,
    spark.driver.blockManager.port, spark.ui.port for the driver; spark.blockManager.port for executors;
    Spark's defaults where unset, located at the role)."""
    assert scope.container is not None
    return [
        Match(port.number, scope.container_path(port.path), port.origin, None, port.line_in_value, port.column_in_value)
        for port in ports_of(scope, scope.container.spec)
    ]


def ports_of(scope: Scope, container: dict[str, Any]) -> list[Port]:
    """listen_ports of a container spec, worked out once per scan (each container of a pod needs all of them).
    The entry keeps the spec too: a pod view built for one resource is freed after it, and a spec built later
    could take its id and be handed its ports."""
    kept, ports = scope.context.cached(
        ("listen-ports", id(container)), _with_ports, container, settings_of(scope, container)
    )
    assert kept is container
    workload = scope.workload
    main = spark_main_container(workload) if workload is not None else None
    if workload is None or main is None or main.spec is not container:
        return ports
    conf_path = workload.extras["sparkConf"]
    conf = value_at(scope.resource.obj, conf_path)
    assert workload.role is not None
    spark = spark_conf.spark_ports(conf if isinstance(conf, dict) else {}, workload.role)
    return [*ports, *(Port(p.number, (SPARK_CONF, p.key) if p.key else (), p.origin) for p in spark)]


def settings_of(scope: Scope, container: dict[str, Any]) -> ListenSettings:
    """listen_settings of a container spec, read once per scan: its listen addresses and its listen ports
    both come from them (the context keeps the spec, so its id cannot be taken over)."""
    return scope.context.cached(("listen-settings", id(container)), listen_settings, container)


def _with_ports(container: dict[str, Any], settings: ListenSettings) -> tuple[dict[str, Any], list[Port]]:
    return container, listen_ports(container, settings)
