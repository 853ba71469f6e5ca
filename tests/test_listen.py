"""Bind and listen addresses from command, args and env, and the IPv6 wildcard pattern that rules match them
with (policies/data.yaml)."""

from __future__ import annotations

import functools
import ipaddress
import random
import re
import time

import pytest
import yaml

from checker.semantics.expansion import expand_references
from checker.semantics.listen import env_settings, flag_settings, is_address_name, listen_addresses, split_addresses
from checker.semantics.shell import shell_words

from .conftest import FIXTURES, ROOT, examples, scan


def test_flag_forms_and_paths() -> None:
    container = {"args": ["--bind-address=[::]:8443", "--metrics-listen", ":::9090", "-v=2", "--host", "0.0.0.0"]}
    found = [(s.name, s.value, s.path) for s in listen_addresses(container)]
    assert found == [
        ("bind-address", "[::]:8443", ("args", 0)),
        ("metrics-listen", ":::9090", ("args", 2)),
        ("host", "0.0.0.0", ("args", 5)),
    ]


def test_flags_inside_a_shell_string_point_at_that_entry() -> None:
    container = {"command": ["sh", "-c", "exec server --listen-addr '[::]:80' --workers 4"]}
    assert [(s.value, s.path) for s in listen_addresses(container)] == [("[::]:80", ("command", 2))]


def test_flag_value_may_sit_in_args_after_command() -> None:
    settings = flag_settings({"command": ["server", "--bind"], "args": ["::"]})
    assert [(s.name, s.value, s.path) for s in settings] == [("bind", "::", ("args", 0))]


def test_env_names_that_say_address() -> None:
    container = {
        "env": [
            {"name": "LISTEN_ADDRESS", "value": "::"},
            {"name": "PORT", "value": "80"},
            {"name": "BIND_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ]
    }
    assert [(s.name, s.path) for s in listen_addresses(container)] == [("LISTEN_ADDRESS", ("env", 0, "value"))]


def test_unrelated_flags_are_ignored() -> None:
    assert listen_addresses({"args": ["--config=::", "--log-level", "debug", "positional"]}) == []


def test_flag_in_command_value_in_args_origin_names_both_places() -> None:
    settings = flag_settings({"command": ["/app", "--bind-address"], "args": ["::"]})
    assert [(s.path, s.origin) for s in settings] == [(("args", 0), "command: --bind-address, args[0]: ::")]
    same_field = flag_settings({"args": ["--bind-address", "::"]})
    assert [(s.path, s.origin) for s in same_field] == [(("args", 1), "args: --bind-address ::")]


def test_comma_separated_addresses_are_one_each() -> None:
    container = {
        "args": ["--web.listen-address=[::]:9090,[::]:9091"],
        "env": [{"name": "LISTEN", "value": "0.0.0.0:80, [::]:80,"}],
    }
    assert [(s.value, s.path) for s in listen_addresses(container)] == [
        ("[::]:9090", ("args", 0)),
        ("[::]:9091", ("args", 0)),
        ("0.0.0.0:80", ("env", 0, "value")),
        ("[::]:80", ("env", 0, "value")),
    ]
    assert split_addresses("") == [""] and split_addresses("a") == ["a"]


def test_spark_local_ip_is_an_address_variable() -> None:
    container = {"env": [{"name": "SPARK_LOCAL_IP", "value": "::"}, {"name": "SPARK_HOME", "value": "/opt"}]}
    assert [s.name for s in listen_addresses(container)] == ["SPARK_LOCAL_IP"]
    assert is_address_name("spark.executorEnv.SPARK_LOCAL_IP") and not is_address_name("spark.ui.port")


@pytest.mark.parametrize(
    "name",
    [
        "bind-address",
        "web.listen-address",
        "metrics-addr",
        "host",
        "LISTEN_ADDR",
        "KAFKA_LISTENERS",
        "KAFKA_CFG_LISTENERS",
        "listenaddr",
        "bindHost",
        "spark.driver.bindAddress",
        "Dserver.address",
        "addresses",
        "spark.kubernetes.driverEnv.BIND_ADDRESS",
        "REDIS_BIND",
        "proxy-listen",
    ],
)
def test_names_that_say_bind(name: str) -> None:
    assert is_address_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "HOSTNAME",
        "DB_HOST",
        "ghost-mode",
        "advertise-address",
        "KAFKA_ADVERTISED_LISTENERS",
        "external-addr",
        "public-address",
        "cluster-announce-ip",
        "spark.driver.host",
        "REDIS_HOST",
        "upstreamHost",
        "GET_HOSTS_FROM",
        "remote-address",
        "database-host",
    ],
)
def test_names_that_say_others_connect_there(name: str) -> None:
    assert not is_address_name(name)


def test_a_flag_in_a_block_scalar_script_is_at_its_line_and_column() -> None:
    script = "exec /app \\\n  --listen-address=[::]:443 \\\n  --metrics-addr ':80' # comment --bind=::\n"
    settings = flag_settings({"command": ["/bin/sh", "-c"], "args": [script]})
    assert [(s.name, s.value, s.line_in_value, s.column_in_value) for s in settings] == [
        ("listen-address", "[::]:443", 1, 19),
        ("metrics-addr", ":80", 2, 18),
    ]


def test_a_script_in_a_file_is_reported_at_the_line_of_the_flag() -> None:
    report = scan(
        [FIXTURES / "rules" / "no-ipv6-wildcard-bind" / "fail" / "shell-block-scalar.yaml"],
        rules=["no-ipv6-wildcard-bind"],
        settings=["ipv6=disabled"],
    )
    assert [(f.line, f.column) for f in report.findings] == [(16, 26), (17, 25)]


def test_shell_words_keep_quotes_substitutions_and_separators_apart() -> None:
    words = shell_words("a \"b c\" d'e f' # x\ny $(foo bar)&&z>/dev/null 2>&1; w")
    assert [(w.text, w.operator) for w in words] == [
        ("a", False),
        ("b c", False),
        ("de f", False),
        ("\n", True),
        ("y", False),
        ("$(foo bar)", False),
        ("&&", True),
        ("z", False),
        (">", True),
        ("/dev/null", False),
        ("2", False),
        (">&", True),
        ("1", False),
        (";", True),
        ("w", False),
    ]


def test_a_flag_takes_no_value_across_a_command_separator() -> None:
    settings = flag_settings({"args": ["/app --listen && exec other :80; next --host\n[::]"]})
    assert settings == []


@pytest.mark.parametrize(
    ("text", "expected", "through"),
    [
        ("$(A)", "::", ("A",)),
        ("[$(A)]:$(P)", "[::]:80", ("A", "P")),
        ("$$(A)", "$(A)", ()),  # an escaped reference is the text itself
        ("$$", "$", ()),
        ("$(UNKNOWN):80", "$(UNKNOWN):80", ()),  # kept as written, like the kubelet does
        ("$(A", "$(A", ()),
        ("$A ${A} $", "$A ${A} $", ()),
    ],
)
def test_references_expand_as_the_kubelet_does(text: str, expected: str, through: tuple) -> None:
    expanded = expand_references(text, {"A": "::", "P": "80"})
    assert (expanded.text, expanded.through) == (expected, through)


def test_env_and_args_references_use_literal_variables_defined_before() -> None:
    container = {
        "env": [
            {"name": "LATE", "value": "$(WILDCARD)"},
            {"name": "WILDCARD", "value": "::"},
            {"name": "BIND_ADDRESS", "value": "[$(WILDCARD)]:$(P)"},
            {"name": "P", "value": "80"},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ],
        "args": ["--bind-address=$(WILDCARD)", "--listen=:$(P)", "--host=$(POD_IP)", "--addr=$$(WILDCARD)"],
    }
    assert [(s.name, s.value) for s in env_settings(container)][:3] == [
        ("LATE", "$(WILDCARD)"),
        ("WILDCARD", "::"),
        ("BIND_ADDRESS", "[::]:$(P)"),
    ]
    assert [(s.value, s.origin) for s in listen_addresses(container)] == [
        ("::", "args: --bind-address=$(WILDCARD), with $(WILDCARD) from env WILDCARD"),
        (":80", "args: --listen=:$(P), with $(P) from env P"),
        ("$(POD_IP)", "args: --host=$(POD_IP)"),
        ("$(WILDCARD)", "args: --addr=$$(WILDCARD)"),
        ("[::]:$(P)", "env BIND_ADDRESS, with $(WILDCARD) from env WILDCARD"),
    ]


def test_gunicorn_short_bind_flag() -> None:
    commands = [
        (["gunicorn", "-b", "[::]:8000", "app:wsgi"], "command: -b [::]:8000"),
        (["/usr/bin/gunicorn", "-b[::]:8000"], "command: -b[::]:8000"),
        (["sh", "-c", "exec gunicorn -w 4 -b [::]:8000 app:wsgi"], "command: -b [::]:8000"),
    ]
    for command, origin in commands:
        assert [(s.value, s.origin) for s in listen_addresses({"command": command})] == [("[::]:8000", origin)]
    assert listen_addresses({"command": ["other", "-b", "[::]:8000"]}) == []


def test_client_programs_give_no_listen_setting() -> None:
    script = (
        "rsync -a --port=873 /data backup::data && psql --host=::1 --port=5432 -c 'select 1'; "
        "curl --connect-to ::1:80 http://x; wait-for-it.sh --host=web --port=80; nc -z ::1 80"
    )
    assert flag_settings({"command": ["sh", "-c", script]}) == []
    daemon = flag_settings({"command": ["rsync", "--daemon", "--address=::", "--port=873"]})
    assert [(s.name, s.value) for s in daemon] == [("address", "::"), ("port", "873")]
    listener = flag_settings({"command": ["sh", "-c", "nc -lk -s :: --port 80"]})
    assert [s.name for s in listener] == ["s", "port"]


WILDCARD_SPELLINGS = [
    "::",
    "::0",
    "0::",
    "0::0",
    "::00",
    "0:0:0:0:0:0:0:0",
    ":".join(["0000"] * 8),
    "0:0::0",
    "::0.0.0.0",
    "[::]",
    "[::0]",
    "[0:0:0:0:0:0:0:0]:80",
    "[::]:8080",
    "[::]:http",
    ":::8080",
    "0:::8080",
    "0:0:0:0:0:0:0:0:8080",
    "tcp://[::]:80",
    "tcp6://[::]:80",
    "tcp://:::80",
    "[::]/",
    "http://[::]:8080/",
    "PLAINTEXT://[::]:9092",
    "SASL_SSL://[::]:9094",
    "TCP://[::]:8080",
    ":::http",
    "0:::https",
    "http://[::]:80/metrics",
    "tcp://:::80/x",
    "::*",
    "ipv6@:8443",
    "ipv6@:::8443",
    "tcp6@:80",
    "tcp@[::]:80",
    "[::]:HTTP",
]
NOT_WILDCARD = [
    "::1",
    "[::1]:80",
    "::1:80",
    "::0:8080",
    "::8080",
    ":8080",
    "0.0.0.0",
    "0.0.0.0:80",
    "foo::bar",
    "::/0",
    "::ffff:0.0.0.0",
    "[::ffff:0.0.0.0]:80",
    "fe80::",
    "10::",
    ":::",
    "[::]:",
    "localhost",
    "",
    "INTERNAL_PLAIN://:9095",
    "ipv4@:80",
    "ipv6@[::1]:80",
    "6@:80",
    "::/metrics",
    "::1/x",
    "-::*",
    "::*:80",
    "::abc",
]


@pytest.mark.parametrize("value", WILDCARD_SPELLINGS)
def test_every_spelling_of_the_all_zero_address_is_the_wildcard(value: str) -> None:
    assert _wildcard().search(value), value


@pytest.mark.parametrize("value", NOT_WILDCARD)
def test_look_alikes_are_not_the_wildcard(value: str) -> None:
    assert not _wildcard().search(value), value


def test_the_pattern_agrees_with_ipaddress_on_generated_values() -> None:
    """A bracketed host is the wildcard when it parses as the zero address; a bare value when it parses so,
    or (not being an address) when what precedes its last colon does and a port number follows."""
    generator = random.Random(7)
    alphabet = ["0", "0", "00", "0000", ":", ":", "1", ".", "8"]
    for _ in range(examples(20_000, 2_000_000)):
        value = "".join(generator.choice(alphabet) for _ in range(generator.randint(1, 16)))
        if generator.random() < 0.25:
            value = f"[{value}]" + generator.choice(["", ":80", ":http"])
        if re.search(r":\d{5,}$", value):
            continue  # "::0:10000" is an invalid address; the pattern does not read it as :: and a port
        assert bool(_wildcard().search(value)) == _reference(value), value


@functools.cache  # read data.yaml once: reading it per value made the generated test take ~50 s
def _wildcard() -> re.Pattern[str]:
    data = yaml.safe_load((ROOT / "policies" / "data.yaml").read_text(encoding="utf-8"))
    return re.compile(data["ipv6_wildcard_pattern"])


def _reference(value: str) -> bool:
    bracketed = re.match(r"^\[([^\]]*)\](?::(?:\d+|[a-z][a-z0-9-]*))?$", value)
    if bracketed:
        return _zero(bracketed.group(1))
    if _ipv6(value):
        return _zero(value)
    host, colon, port = value.rpartition(":")
    return bool(colon) and port.isdigit() and _zero(host)


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _zero(text: str) -> bool:
    return _ipv6(text) and ipaddress.IPv6Address(text) == ipaddress.IPv6Address("::")


def test_hostile_references_and_scripts_end_quickly() -> None:
    started = time.monotonic()
    doubling = [{"name": "A", "value": "$(A)$(A)"} for _ in range(64)]  # each value twice the one before
    container = {"env": [{"name": "A", "value": "::"}, *doubling], "args": ["--listen=$(A)", "$(" * 100000]}
    [setting] = listen_addresses(container)
    assert len(setting.value) <= 2 * 65536
    script = "".join(f"curl --port={i} x && app --listen=:{i % 60000 + 1}\n" for i in range(5000))
    assert len(flag_settings({"command": ["sh", "-c", script]})) == 5000  # curl's flags are not listen settings
    assert time.monotonic() - started < 5
