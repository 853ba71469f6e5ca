"""Bind and listen addresses from command, args and env, and the IPv6 wildcard pattern that rules match them
with (policies/data.yaml)."""

from __future__ import annotations

import ipaddress
import random
import re

import pytest
import yaml

from checker.listen import flag_settings, is_address_name, listen_addresses, split_addresses

from .conftest import ROOT


def test_flag_forms_and_paths() -> None:
    container = {"args": ["--bind-address=[::]:8443", "--metrics-listen", ":::9090", "-v=2", "--host", "0.0.0.0"]}
    found = [(s.name, s.value, s.path) for s in listen_addresses(container)]
    assert found == [("bind-address", "[::]:8443", ("args", 0)), ("metrics-listen", ":::9090", ("args", 2)),
                     ("host", "0.0.0.0", ("args", 5))]


def test_flags_inside_a_shell_string_point_at_that_entry() -> None:
    container = {"command": ["sh", "-c", "exec server --listen-addr '[::]:80' --workers 4"]}
    assert [(s.value, s.path) for s in listen_addresses(container)] == [("[::]:80", ("command", 2))]


def test_flag_value_may_sit_in_args_after_command() -> None:
    settings = flag_settings({"command": ["server", "--bind"], "args": ["::"]})
    assert [(s.name, s.value, s.path) for s in settings] == [("bind", "::", ("args", 0))]


def test_env_names_that_say_address() -> None:
    container = {"env": [{"name": "LISTEN_ADDRESS", "value": "::"}, {"name": "PORT", "value": "80"},
                         {"name": "BIND_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]}
    assert [(s.name, s.path) for s in listen_addresses(container)] == [("LISTEN_ADDRESS", ("env", 0, "value"))]


def test_unrelated_flags_are_ignored() -> None:
    assert listen_addresses({"args": ["--config=::", "--log-level", "debug", "positional"]}) == []


def test_flag_in_command_value_in_args_origin_names_both_places() -> None:
    settings = flag_settings({"command": ["/app", "--bind-address"], "args": ["::"]})
    assert [(s.path, s.origin) for s in settings] == [(("args", 0), "command: --bind-address, args[0]: ::")]
    same_field = flag_settings({"args": ["--bind-address", "::"]})
    assert [(s.path, s.origin) for s in same_field] == [(("args", 1), "args: --bind-address ::")]


def test_comma_separated_addresses_are_one_each() -> None:
    container = {"args": ["--web.listen-address=[::]:9090,[::]:9091"],
                 "env": [{"name": "LISTEN", "value": "0.0.0.0:80, [::]:80,"}]}
    assert [(s.value, s.path) for s in listen_addresses(container)] == [
        ("[::]:9090", ("args", 0)), ("[::]:9091", ("args", 0)),
        ("0.0.0.0:80", ("env", 0, "value")), ("[::]:80", ("env", 0, "value"))]
    assert split_addresses("") == [""] and split_addresses("a") == ["a"]


def test_spark_local_ip_is_an_address_variable() -> None:
    container = {"env": [{"name": "SPARK_LOCAL_IP", "value": "::"}, {"name": "SPARK_HOME", "value": "/opt"}]}
    assert [s.name for s in listen_addresses(container)] == ["SPARK_LOCAL_IP"]
    assert is_address_name("spark.executorEnv.SPARK_LOCAL_IP") and not is_address_name("spark.ui.port")


WILDCARD_SPELLINGS = ["::", "::0", "0::", "0::0", "::00", "0:0:0:0:0:0:0:0", ":".join(["0000"] * 8), "0:0::0",
                      "::0.0.0.0", "[::]", "[::0]", "[0:0:0:0:0:0:0:0]:80", "[::]:8080", "[::]:http", ":::8080",
                      "0:::8080", "0:0:0:0:0:0:0:0:8080", "tcp://[::]:80", "tcp6://[::]:80", "tcp://:::80", "[::]/",
                      "http://[::]:8080/"]
NOT_WILDCARD = ["::1", "[::1]:80", "::1:80", "::0:8080", "::8080", ":8080", "0.0.0.0", "0.0.0.0:80", "foo::bar",
                "::/0", "::ffff:0.0.0.0", "[::ffff:0.0.0.0]:80", "fe80::", "10::", ":::", "[::]:", "localhost", ""]


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
    for _ in range(20000):
        value = "".join(generator.choice(alphabet) for _ in range(generator.randint(1, 16)))
        if generator.random() < 0.25:
            value = f"[{value}]" + generator.choice(["", ":80", ":http"])
        if re.search(r":\d{5,}$", value):
            continue  # "::0:10000" is an invalid address; the pattern does not read it as :: and a port
        assert bool(_wildcard().search(value)) == _reference(value), value


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
