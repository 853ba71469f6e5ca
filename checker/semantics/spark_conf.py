"""Spark on Kubernetes settings as Spark and the Spark Operator read them: which sparkConf keys Spark refuses in
cluster mode, and the ports a driver, executor or Spark Connect server listens on (set or by default).

Sources (apache/spark, resource-managers/kubernetes/core/.../k8s): DriverServiceFeatureStep requires that
spark.driver.bindAddress and spark.driver.host are unset ("not supported in Kubernetes mode, as the driver's
bind address is managed and set to the driver pod's IP address") and sets spark.driver.port and
spark.driver.blockManager.port (Constants DEFAULT_DRIVER_PORT 7078, DEFAULT_BLOCKMANAGER_PORT 7079);
BasicExecutorFeatureStep opens spark.blockManager.port (default 7079; 0 picks a random port, and it refuses
values below 1024); the UI listens on spark.ui.port (4040) unless spark.ui.enabled is false. Executors' RPC
endpoints take random ports, so none is listed. The operator's Spark Connect server
(kubeflow/spark-operator internal/controller/sparkconnect/options.go) appends spark.driver.bindAddress=0.0.0.0,
spark.driver.port=7078 and spark.driver.blockManager.port=7079 after the user's sparkConf, so those win, and
Spark Connect listens on spark.connect.grpc.binding.port (15002).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLUSTER, CLIENT = "cluster", "client"
MANAGED_DRIVER_KEYS = ("spark.driver.bindAddress", "spark.driver.host")
DRIVER, EXECUTOR, CONNECT_SERVER = "driver", "executor", "server"


@dataclass(frozen=True)
class SparkPort:
    """A port a Spark process listens on: the sparkConf key that sets it (None where the operator fixes it)
    and whether the value is Spark's default (the key is unset)."""

    number: int
    key: str | None
    default: bool
    origin: str


# (key, default) per role, in the order Spark opens them.
PORT_SETTINGS: dict[str, tuple[tuple[str, int], ...]] = {
    DRIVER: (("spark.driver.port", 7078), ("spark.driver.blockManager.port", 7079), ("spark.ui.port", 4040)),
    EXECUTOR: (("spark.blockManager.port", 7079),),
    CONNECT_SERVER: (("spark.ui.port", 4040), ("spark.connect.grpc.binding.port", 15002)),
}
CONNECT_FIXED_PORTS = (("spark.driver.port", 7078), ("spark.driver.blockManager.port", 7079))


def deploy_mode(app: dict[str, Any]) -> str:
    """The SparkApplication's spec.mode: cluster unless it says client (the CRD's default is cluster)."""
    return CLIENT if app.get("mode") == CLIENT else CLUSTER


def refused_driver_settings(conf: dict[str, Any], mode: str) -> list[str]:
    """The sparkConf keys Spark refuses for this deploy mode: in cluster mode the driver's address."""
    if mode != CLUSTER:
        return []
    return [key for key in MANAGED_DRIVER_KEYS if key in conf]


def spark_ports(conf: dict[str, Any], role: str) -> list[SparkPort]:
    """The ports the role's Spark process listens on, set in sparkConf or Spark's default where unset; a
    value that is not a port number (a placeholder, 0 for random) gives none."""
    found: list[SparkPort] = []
    if role == CONNECT_SERVER:
        for key, number in CONNECT_FIXED_PORTS:
            found.append(SparkPort(number, None, False, f"{key}={number} (set by the operator)"))
    for key, default in PORT_SETTINGS.get(role, ()):
        if key == "spark.ui.port" and str(conf.get("spark.ui.enabled", "true")).strip().lower() == "false":
            continue
        if key not in conf:
            found.append(SparkPort(default, None, True, f"{key} unset: Spark's default {default}"))
            continue
        text = str(conf[key]).strip()
        if text.isdigit() and 0 < int(text) < 65536:
            found.append(SparkPort(int(text), key, False, f"sparkConf {key}"))
    return found
