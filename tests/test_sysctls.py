"""Sysctl names the way the kubelet reads them."""

from __future__ import annotations

import pytest

from checker.semantics.sysctls import container_sysctls, normalize_name, pod_sysctls


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.all.disable_ipv6"),
        ("net/ipv6/conf/all/disable_ipv6", "net.ipv6.conf.all.disable_ipv6"),
        ("net/ipv4/conf/eno2.100/rp_filter", "net.ipv4.conf.eno2/100.rp_filter"),
        ("net.ipv4.conf.eno2/100.rp_filter", "net.ipv4.conf.eno2/100.rp_filter"),
    ],
)
def test_normalize(raw: str, normalized: str) -> None:
    assert normalize_name(raw) == normalized


def test_pod_and_container_entries() -> None:
    pod = {"spec": {"securityContext": {"sysctls": [{"name": "net/ipv6/conf/all/disable_ipv6", "value": 1}]}}}
    assert [(e.name, e.value, e.path) for e in pod_sysctls(pod)] == [
        ("net.ipv6.conf.all.disable_ipv6", "1", ("spec", "securityContext", "sysctls", 0))
    ]
    container = {"securityContext": {"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "0"}]}}
    assert container_sysctls(container, ("spec", "containers", 2))[0].path == (
        "spec",
        "containers",
        2,
        "securityContext",
        "sysctls",
        0,
    )
