"""Spark settings as Spark reads them on Kubernetes: refused driver keys per deploy mode, and the ports each
role's process listens on (set, defaulted, disabled or random)."""

from __future__ import annotations

from checker.semantics.spark_conf import (
    CLIENT,
    CLUSTER,
    CONNECT_SERVER,
    DRIVER,
    EXECUTOR,
    deploy_mode,
    refused_driver_settings,
    spark_ports,
)


def test_cluster_is_the_default_mode_and_refuses_the_driver_address() -> None:
    conf = {"spark.driver.bindAddress": "0.0.0.0", "spark.driver.host": "h", "spark.ui.port": "4040"}
    assert deploy_mode({}) == CLUSTER and deploy_mode({"mode": "client"}) == CLIENT
    assert refused_driver_settings(conf, CLUSTER) == ["spark.driver.bindAddress", "spark.driver.host"]
    assert refused_driver_settings(conf, CLIENT) == []


def test_driver_ports_with_defaults_and_settings() -> None:
    ports = spark_ports({"spark.ui.port": "443", "spark.driver.port": "${PORT}"}, DRIVER)
    # spark.driver.port holds no number: no port is guessed for it.
    assert [(p.number, p.key, p.default) for p in ports] == [
        (7079, None, True),
        (443, "spark.ui.port", False),
    ]
    assert [p.number for p in spark_ports({"spark.ui.enabled": "False"}, DRIVER)] == [7078, 7079]


def test_executor_block_manager_port_and_random_ports() -> None:
    assert [p.number for p in spark_ports({}, EXECUTOR)] == [7079]
    assert spark_ports({"spark.blockManager.port": "0"}, EXECUTOR) == []  # 0: a random port
    assert [p.number for p in spark_ports({"spark.blockManager.port": 7100}, EXECUTOR)] == [7100]


def test_spark_connect_server_ports_set_by_the_operator_win() -> None:
    ports = spark_ports({"spark.driver.port": "80"}, CONNECT_SERVER)
    assert [(p.number, p.key) for p in ports] == [(7078, None), (7079, None), (4040, None), (15002, None)]
