"""Listen ports from containerPort, port flags, listen addresses and PORT variables; endpoints the container
connects to are not listen ports."""

from __future__ import annotations

import pytest

from checker.semantics.listen import joined_words
from checker.semantics.ports import address_host, address_port, host_kind, listen_ports, specific_ipv6


def _ports(container: dict) -> list[tuple[int, str]]:
    return [(port.number, port.origin) for port in listen_ports(container)]


def test_listen_settings_are_ports() -> None:
    container = {
        "command": ["sh", "-c", "exec server --port 443 --listen=0.0.0.0:444"],
        "args": [
            "--https-address=[::]:446",
            "--metrics-bind-address",
            "127.0.0.1:447",
            "--metrics-addr=:8080",
            "--health-probe-bind-address=$(POD_IP):8081",
        ],
        "env": [
            {"name": "HTTPS_PORT", "value": "448"},
            {"name": "LISTEN_ADDR", "value": ":449"},
            {"name": "GRPC_PORT", "value": 450},
            {"name": "SERVER_PORT", "value": "8443"},
        ],
    }
    assert sorted(number for number, _ in _ports(container)) == [443, 444, 446, 447, 448, 449, 450, 8080, 8081, 8443]


@pytest.mark.parametrize(
    "setting",
    [
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
    ],
)
def test_remote_flags_are_not_listen_ports(setting: str) -> None:
    assert _ports({"args": [setting]}) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ELASTICSEARCH_HOST", "10.0.0.6:443"),
        ("DB_HOST", "10.0.0.2:5432"),
        ("SMTP_HOST", "10.0.0.3:25"),
        ("PROXY_HOST", "10.0.0.5:80"),
        ("KUBERNETES_SERVICE_PORT", "443"),
        ("REDIS_PORT", "6379"),
        ("PRODUCT_CATALOG_SERVICE_ADDR", "10.0.0.7:80"),
        ("FRONTEND_ADDR", "frontend:80"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:443"),
    ],
)
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
        "any",
        "any",
        "any",
        "any",
        "loopback",
        "loopback",
        "ip",
        "variable",
        "hostname",
    ]
    assert {"apiserver", "host", "es"} <= joined_words("apiServer-host") | joined_words("ES_HOST")
    assert "es" not in joined_words("--metrics-address")


@pytest.mark.parametrize(
    "flag",
    [
        "--report-interval=30",
        "--export-period=60",
        "--transport-retries=3",
        "--support-bundle-timeout=300",
        "--sport=22",
        "--passport=80",
    ],
)
def test_port_must_be_a_word_of_the_flag_name(flag: str) -> None:
    assert _ports({"args": [flag]}) == []


@pytest.mark.parametrize(
    ("setting", "number"),
    [
        ("--port=80", 80),
        ("--webhook-port=443", 443),
        ("--httpsPort=8443", 8443),
        ("--http.port=81", 81),
        ("-Dserver.port=82", 82),
    ],
)
def test_port_flags(setting: str, number: int) -> None:
    assert [port for port, _ in _ports({"args": [setting]})] == [number]
    assert [port for port, _ in _ports({"env": [{"name": "HTTP_PORT", "value": "83"}]})] == [83]


@pytest.mark.parametrize(
    "setting",
    [
        "--syslog-address=10.0.0.5:514",  # a concrete IP: a pod does not know its own IP in advance
        "--dns-server-address=8.8.8.8:53",
        "--advertise-address=10.1.2.3:443",  # advertised: where others connect
        "--advertise-address=0.0.0.0:443",
        "--external-addr=203.0.113.7:80",
        "--ssh-port=22",
        "--syslog-port=514",
    ],
)
def test_endpoints_and_advertised_addresses_are_not_listen_ports(setting: str) -> None:
    assert _ports({"args": [setting]}) == []


def test_a_port_beside_a_concrete_remote_host_is_that_host_s_port() -> None:
    assert _ports({"args": ["--host=web.ops.svc", "--port=80", "--timeout=60"]}) == []
    assert _ports({"args": ["--db-host=10.0.0.2", "--db-port=5432", "--port=8080"]}) == [(8080, "args: --port=8080")]
    assert _ports({"env": [{"name": "HOST", "value": "web.ops.svc"}, {"name": "PORT", "value": "80"}]}) == []
    # a host this pod binds (wildcard, loopback, $(POD_IP)) leaves the port a listen port
    for host in ("0.0.0.0", "127.0.0.1", "$(POD_IP)"):
        assert _ports({"args": [f"--host={host}", "--port=80"]}) == [(80, "args: --port=80")]


def test_client_programs_and_advertised_kafka_listeners_give_no_port() -> None:
    script = "rsync -a --port=873 /data backup.example.com::data && ssh-backup --ssh-port=22 --syslog-port 514"
    assert _ports({"command": ["sh", "-c", script]}) == []
    container = {
        "env": [
            {"name": "KAFKA_CFG_LISTENERS", "value": "client://:9092,EXTERNAL_TLS://:9094"},
            {
                "name": "KAFKA_CFG_ADVERTISED_LISTENERS",
                "value": "client://kafka-0.kafka:9092,external://kafka.example.com:443",
            },
            {"name": "KAFKA_LISTENERS", "value": "PLAINTEXT://[::]:9093,SASL_SSL://[::]:94"},
        ]
    }
    assert [port for port, _ in _ports(container)] == [9092, 9094, 9093, 94]


def test_addresses_of_an_address_name_with_a_loopback_or_variable_host_are_listen_ports() -> None:
    assert address_port("metrics-addr", "127.0.0.1:8080") == 8080
    assert address_port("metrics-addr", "[$(POD_IP)]:8080") == 8080
    assert address_port("metrics-addr", "10.0.0.1:8080") is None
    assert address_port("bind-address", "10.0.0.1:8080") == 8080  # bind says so whatever the host
    assert address_port("listen", "ipv6@:8443") == 8443
    assert address_port("listen", "http://[::]:80/metrics") == 80


def test_a_flag_and_its_port_inside_a_script_keep_their_position() -> None:
    [port] = listen_ports({"command": ["sh", "-c", "exec app \\\n  --port 80"]})
    assert (port.number, port.line_in_value, port.column_in_value) == (80, 1, 9)


@pytest.mark.parametrize(
    ("value", "host", "specific"),
    [
        ("::1", "::1", True),
        ("[::1]:9090", "::1", True),
        ("fd00::1", "fd00::1", True),
        ("[fe80::1%eth0]:80", "fe80::1%eth0", True),
        ("tcp://[::1]:80/x", "::1", True),
        ("::1:80", "::1:80", True),
        ("http://::1/metrics", "::1", True),
        ("::", "::", False),
        (":::80", "::", False),
        ("[::]:80", "::", False),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1", False),
        ("127.0.0.1:80", "127.0.0.1", False),
        ("ipv6@:8443", "", False),
        ("web:80", "web", False),
        ("localhost", "localhost", False),
        ("::/0", "::/0", False),
    ],
)
def test_the_host_of_an_address_and_whether_it_is_one_ipv6_address(value: str, host: str, specific: bool) -> None:
    assert (address_host(value), specific_ipv6(value)) == (host, specific)
