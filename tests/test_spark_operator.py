"""The Spark Operator story end to end on renders of the real chart: v2.0.1 and current, default and hardened
values, each finding at its line of the rendered file; the fixtures fail here when they drift from the chart."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES, SHARED, need_shared, scan
from .spark_fixtures import RENDERS, fixture_text, helm_available

SPARK = FIXTURES / "spark-operator"
CHARTS = SHARED / "corpus" / "charts"
IPV4_ONLY = ["ipv6=disabled"]
SYSCTL_ALLOWED = [*IPV4_ONLY, "allowed-unsafe-sysctls=net.ipv6.conf.all.disable_ipv6"]


@pytest.mark.parametrize("render", RENDERS, ids=[r.fixture for r in RENDERS])
def test_fixture_is_what_the_chart_renders(render) -> None:
    need_shared(CHARTS / render.chart)
    if not helm_available():
        pytest.skip("helm-python-sdk is not installed (pip install '.[test]')")
    expected = fixture_text(render, CHARTS)
    assert (SPARK / render.fixture).read_text() == expected, "re-render with: python -m tests.spark_fixtures"


def _found(name: str, settings: list[str] = IPV4_ONLY) -> list[tuple[str, str, int | None]]:
    report = scan([SPARK / name], packs=["network-hardening"], settings=settings)
    return sorted((f.resource["name"], f.rule, f.line) for f in report.findings)


def _line_of(name: str, text: str, after: int = 0) -> int:
    """The 1-based line number of the first line at or after `after` that holds `text`."""
    lines = (SPARK / name).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if number >= after and text in line)


def test_chart_v2_0_1_defaults_keep_net_bind_service_and_lack_the_sysctl() -> None:
    name = "chart-v2.0.1-default.yaml"
    controller = _line_of(name, "name: spark-operator-controller", _line_of(name, "kind: Deployment"))
    webhook = _line_of(name, "name: spark-operator-webhook", _line_of(name, "kind: Deployment", controller + 1))
    assert _found(name) == [
        # Both pods have no securityContext (the chart's podSecurityContext is {}): reported at the pod spec.
        ("spark-operator-controller", "drop-net-bind-service", _line_of(name, "- name: spark-operator-controller")),
        ("spark-operator-controller", "required-sysctls", _line_of(name, "    spec:", controller)),
        ("spark-operator-webhook", "drop-net-bind-service", _line_of(name, "- name: spark-operator-webhook")),
        ("spark-operator-webhook", "required-sysctls", _line_of(name, "    spec:", webhook)),
    ]


def test_chart_v2_0_1_hardened_values_pass_but_hide_the_file_capability_trap() -> None:
    # The manifest is clean; the v2.0.1 image's +ep file capability is what broke (see the values file).
    assert _found("chart-v2.0.1-hardened.yaml", SYSCTL_ALLOWED) == []
    assert "getcap" in (SPARK / "values-v2.0.1-hardened.yaml").read_text()


def test_current_chart_defaults_drop_all_and_lack_only_the_sysctl() -> None:
    name = "chart-default.yaml"
    assert _found(name) == [
        ("spark-operator-controller", "required-sysctls", _line_of(name, "fsGroup: 185") - 1),
        (
            "spark-operator-webhook",
            "required-sysctls",
            _line_of(name, "fsGroup: 185", _line_of(name, "fsGroup") + 1) - 1,
        ),
    ]


def test_ipv4_hardened_values_pass_every_network_hardening_rule() -> None:
    report = scan([SPARK / "ipv4-hardened.yaml"], packs=["network-hardening"], settings=SYSCTL_ALLOWED)
    assert report.resources == 22 and report.findings == []
    restricted = scan([SPARK / "ipv4-hardened.yaml"], packs=["pss-restricted"])
    # The one trade-off left: Pod Security forbids the unsafe sysctl an IPv4-only cluster needs.
    assert {(f.rule, f.message) for f in restricted.findings} == {
        ("pss-sysctls", "forbidden sysctls: net.ipv6.conf.all.disable_ipv6")
    }


def test_without_the_node_allowlist_the_sysctl_trade_off_is_reported() -> None:
    report = scan([SPARK / "ipv4-hardened.yaml"], packs=["network-hardening"], settings=IPV4_ONLY)
    assert {f.rule for f in report.findings} == {"unsafe-sysctls"}
    assert all("required-sysctls demands it" in f.message for f in report.findings)


def test_webhook_port_443_cannot_be_bound_by_the_non_root_webhook() -> None:
    name = "chart-webhook-port-443.yaml"
    report = scan([SPARK / name], rules=["privileged-port-without-capability"])
    assert [(f.resource["name"], f.line) for f in report.findings] == [
        ("spark-operator-webhook", _line_of(name, "- --webhook-port=443"))
    ]
    assert "--webhook-port=443" in report.findings[0].message


def test_spark_application_binding_the_ipv6_wildcard() -> None:
    report = scan([SPARK / "spark-pi-ipv6-bind.yaml"], rules=["no-ipv6-wildcard-bind"], settings=IPV4_ONLY)
    assert [(f.container, f.path, f.line) for f in report.findings] == [
        ("spark-kubernetes-driver", 'spec.sparkConf["spark.kubernetes.driverEnv.SPARK_LOCAL_IP"]', 19)
    ]


def test_spark_application_fixed_for_ipv4_passes(tmp_path) -> None:
    report = scan([SPARK / "spark-pi-ipv4.yaml"], packs=["network-hardening"], settings=SYSCTL_ALLOWED)
    assert report.findings == []
    text = (SPARK / "spark-pi-ipv4.yaml").read_text().replace('SPARK_LOCAL_IP: "0.0.0.0"', 'SPARK_LOCAL_IP: "[::]"')
    file = tmp_path / "wildcard.yaml"
    file.write_text(text)
    found = scan([file], rules=["no-ipv6-wildcard-bind"])  # the pod's own sysctl disables IPv6
    assert [f.path for f in found.findings] == ['spec.sparkConf["spark.kubernetes.driverEnv.SPARK_LOCAL_IP"]']
