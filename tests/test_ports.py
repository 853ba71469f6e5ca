"""Listen ports from containerPort, port flags, listen addresses and PORT variables; endpoints the container
connects to are not listen ports."""

from __future__ import annotations

import pytest

from checker.ports import address_port, host_kind, listen_ports, name_words


def _ports(container: dict) -> list[tuple[int, str]]:
    return [(port.number, port.origin) for port in listen_ports(container)]


def test_listen_settings_are_ports() -> None:
    container = {"command": ["sh", "-c", "exec server --port 443 --listen=0.0.0.0:444"],
                 "args": ["--https-address=[::]:446", "--metrics-bind-address", "127.0.0.1:447",
                          "--metrics-addr=:8080", "--health-probe-bind-address=$(POD_IP):8081"],
                 "env": [{"name": "HTTPS_PORT", "value": "448"}, {"name": "LISTEN_ADDR", "value": ":449"},
                         {"name": "GRPC_PORT", "value": 450}, {"name": "SERVER_PORT", "value": "8443"}]}
    assert sorted(number for number, _ in _ports(container)) == [443, 444, 446, 447, 448, 449, 450, 8080, 8081, 8443]


@pytest.mark.parametrize("setting", [
    "--apiserver-host=https://10.96.0.1:443",  # a *-host setting, a URL, a remote word
    "--statsd-host=127.0.0.1:125",  # a *-host setting with a concrete (loopback) host
    "--kubernetes-port=443",
    "--service-port=80",
    "--elasticsearch-port=9200",
    "--es-port=443",
    "--upstream=frontend:80",
    "--host=myservice.example:80",
    "--server=https://10.0.0.1:443",
    "--metrics-address=https://10.0.0.9:443",  # a URL with a concrete host: an endpoint
    "--server-address=collector.example:80",  # a host name: an endpoint
    "--target-port=80",
    "--apiServerPort=443",  # camelCase words joined: apiserver
])
def test_remote_flags_are_not_listen_ports(setting: str) -> None:
    assert _ports({"args": [setting]}) == []


@pytest.mark.parametrize(("name", "value"), [
    ("ELASTICSEARCH_HOST", "10.0.0.6:443"), ("DB_HOST", "10.0.0.2:5432"), ("SMTP_HOST", "10.0.0.3:25"),
    ("PROXY_HOST", "10.0.0.5:80"), ("KUBERNETES_SERVICE_PORT", "443"), ("REDIS_PORT", "6379"),
    ("PRODUCT_CATALOG_SERVICE_ADDR", "10.0.0.7:80"), ("FRONTEND_ADDR", "frontend:80"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:443"),
])
def test_remote_variables_are_not_listen_ports(name: str, value: str) -> None:
    assert _ports({"env": [{"name": name, "value": value}]}) == []


def test_listen_or_bind_in_the_name_wins_over_remote_words_and_hosts() -> None:
    assert address_port("listen-peer-urls", "https://10.0.0.1:2380") == 2380
    assert address_port("proxy-listen", "myhost:8443") == 8443
    assert _ports({"args": ["--proxy-listen-port=8080"]}) == [(8080, "args: --proxy-listen-port=8080")]


def test_wildcard_host_is_a_listen_address_even_for_a_host_setting() -> None:
    assert address_port("host", "0.0.0.0:8080") == 8080
    assert address_port("host", ":8080") == 8080
    assert address_port("host", "127.0.0.1:8080") is None
    assert address_port("metrics-addr", "http://0.0.0.0:8080/metrics") == 8080


def test_an_ipv6_address_has_no_port_unless_bracketed_or_after_double_colon() -> None:
    assert address_port("listen", "::1:80") is None  # the address ::1:80
    assert address_port("listen", ":::8080") == 8080
    assert address_port("listen", "[::1]:80") == 80


def test_comma_separated_addresses_give_each_port() -> None:
    container = {"command": ["etcd", "--listen-client-urls=https://0.0.0.0:2379,unixs://${NODE_IP}:0"]}
    assert [number for number, _ in _ports(container)] == [2379]


def test_a_port_named_twice_is_one_entry_with_every_origin() -> None:
    container = {"args": ["--port=443"], "ports": [{"containerPort": 443}]}
    assert _ports(container) == [(443, "args: --port=443; containerPort 443")]


def test_host_kinds_and_name_words() -> None:
    hosts = ["", "*", "0.0.0.0", "[::]", "localhost", "[::1]", "10.0.0.1", "$(POD_IP)", "x.y"]
    assert [host_kind(host) for host in hosts] == [
        "any", "any", "any", "any", "loopback", "loopback", "ip", "variable", "hostname"]
    assert {"apiserver", "host", "es"} <= name_words("apiServer-host") | name_words("ES_HOST")
    assert "es" not in name_words("--metrics-address")
