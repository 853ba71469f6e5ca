"""Bind and listen addresses from command, args and env."""

from __future__ import annotations

from checker.listen import flag_settings, listen_addresses


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
