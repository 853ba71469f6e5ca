"""The Spark Operator story end to end: the chart's default rendering fails the network-hardening pack
on an IPv4-only cluster, the hardened variant passes all of it."""

from __future__ import annotations

from .conftest import FIXTURES, scan

SPARK = FIXTURES / "spark-operator"
IPV4_ONLY = ["ipv6=disabled"]


def test_chart_defaults_keep_net_bind_service_and_lack_the_sysctl() -> None:
    report = scan([SPARK / "chart-default.yaml"], packs=["network-hardening"], settings=IPV4_ONLY)
    found = sorted((f.resource["name"], f.rule, f.path) for f in report.findings)
    assert found == [
        (
            "spark-operator-controller",
            "drop-net-bind-service",
            "spec.template.spec.containers[0].securityContext.capabilities.drop",
        ),
        ("spark-operator-controller", "required-sysctls", "spec.template.spec.securityContext.sysctls"),
        (
            "spark-operator-webhook",
            "drop-net-bind-service",
            "spec.template.spec.containers[0].securityContext.capabilities.drop",
        ),
        ("spark-operator-webhook", "required-sysctls", "spec.template.spec.securityContext.sysctls"),
    ]


def test_ipv4_hardened_variant_passes_every_network_hardening_rule() -> None:
    settings = [*IPV4_ONLY, "allowed-unsafe-sysctls=net.ipv6.conf.all.disable_ipv6"]
    report = scan([SPARK / "ipv4-hardened.yaml"], packs=["network-hardening"], settings=settings)
    assert report.resources == 3 and report.findings == []
    restricted = scan([SPARK / "ipv4-hardened.yaml"], packs=["pss-restricted"])
    # The one trade-off left: Pod Security forbids the unsafe sysctl an IPv4-only cluster needs.
    assert {(f.rule, f.message) for f in restricted.findings} == {
        ("pss-sysctls", "forbidden sysctls: net.ipv6.conf.all.disable_ipv6")
    }


def test_without_the_node_allowlist_the_sysctl_trade_off_is_reported() -> None:
    report = scan([SPARK / "ipv4-hardened.yaml"], packs=["network-hardening"], settings=IPV4_ONLY)
    assert {f.rule for f in report.findings} == {"unsafe-sysctls"}
    assert all("required-sysctls demands it" in f.message for f in report.findings)


def test_spark_application_binding_ipv6_wildcard() -> None:
    report = scan([SPARK / "spark-pi-ipv6-bind.yaml"], rules=["no-ipv6-wildcard-bind"], settings=IPV4_ONLY)
    assert [(f.container, f.path, f.line) for f in report.findings] == [
        ("spark-kubernetes-driver", 'spec.sparkConf["spark.driver.bindAddress"]', 16)
    ]


def test_spark_application_fixed_for_ipv4_passes_and_its_driver_host_is_no_bind(tmp_path) -> None:
    settings = [*IPV4_ONLY, "allowed-unsafe-sysctls=net.ipv6.conf.all.disable_ipv6"]
    report = scan([SPARK / "spark-pi-ipv4.yaml"], packs=["network-hardening"], settings=settings)
    assert report.findings == []
    fixed = (SPARK / "spark-pi-ipv4.yaml").read_text()
    variants = {
        "host": (fixed.replace('"spark-pi-driver-svc.default.svc"', '"[::]"'), []),
        "bind": (
            fixed.replace('bindAddress: "0.0.0.0"', 'bindAddress: "[::]"'),
            ['spec.sparkConf["spark.driver.bindAddress"]'],
        ),
    }
    for name, (text, expected) in variants.items():
        file = tmp_path / f"{name}.yaml"
        file.write_text(text)
        found = scan([file], rules=["no-ipv6-wildcard-bind"])  # the pod's own sysctl disables IPv6
        assert [f.path for f in found.findings] == expected
