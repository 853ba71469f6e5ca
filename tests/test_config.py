"""The .kubecheck.yaml configuration: read, validated with file and line, and overridden by options."""

from __future__ import annotations

import json

import pytest

from checker.config import ConfigError, load_config
from checker.policy.loader import load_catalog

from .conftest import FIXTURES
from .test_cli import run

CONFIG = FIXTURES / "config" / "kubecheck.yaml"


def test_config_is_read() -> None:
    config = load_config(str(CONFIG))
    assert config.packs == ["network-hardening", "pss-restricted"]
    assert config.skip_rules == ["ipv4-only-service-ipv6-bind"]
    assert config.settings == [
        "ipv6=disabled",
        "allowed-unsafe-sysctls=net.ipv6.conf.all.disable_ipv6",
        "pss.version=v1.33",
    ]
    assert config.fail_on == "high"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("packs: network-hardening\n", ":1: 'packs' takes a list of strings"),
        ("fail-on: high\ncolour: red\n", ":2: unknown key 'colour'"),
        ("params: [ipv6]\n", ":1: 'params' maps parameter names to values"),
        ("params:\n  ipv6: disabled\n  ipv6: enabled\n", ":3: invalid YAML: duplicate key 'ipv6'"),
        ("fail-on: extreme\n", ":1: fail-on: "),
        ("policy-dirs: [nowhere]\n", ":1: policy-dirs: "),
    ],
)
def test_config_mistakes_name_file_and_line(tmp_path, text: str, message: str) -> None:
    file = tmp_path / ".kubecheck.yaml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(file))


def test_the_cli_uses_the_config_and_options_win() -> None:
    hardened = "fixtures/spark-operator/ipv4-hardened.yaml"
    report = json.loads(run("scan", hardened, "--config", str(CONFIG), "-o", "json").stdout)
    # ipv6=disabled and the allowed sysctl come from the file; pss-restricted forbids the sysctl.
    assert {f["rule"] for f in report["findings"]} == {"pss-sysctls"}
    # network-hardening less the skipped rule, and pss-restricted at v1.33: 19 controls, less two that start
    # later (probe hosts v1.34, restricted procMount v1.35) and three baseline ones overridden.
    network = [r for r in load_catalog().rules.values() if "network-hardening" in r.packs]
    assert report["summary"]["rules"] == len(network) - 1 + 14
    overridden = run(
        "scan",
        hardened,
        "--config",
        str(CONFIG),
        "--pack",
        "network-hardening",
        "--set",
        "allowed-unsafe-sysctls=",
        "-o",
        "json",
    )
    assert {f["rule"] for f in json.loads(overridden.stdout)["findings"]} == {"unsafe-sysctls"}
    assert overridden.returncode == 1  # fail-on high from the file
    assert run("scan", hardened, "--config", "nope.yaml").returncode == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("packs: [nope]\n", ":1: packs: unknown pack 'nope'"),
        ("fail-on: high\nrules: [nope]\n", ":2: rules: unknown rule 'nope'"),
        ("params:\n  ipv6: disabled\n  bogus: 1\n", ":3: params: bogus: unknown parameter"),
        ("params:\n  ipv6: maybe\n", ":2: params: ipv6: 'maybe' is not one of enabled, disabled"),
    ],
)
def test_selection_and_parameter_mistakes_in_the_file_name_its_line(tmp_path, text: str, message: str) -> None:
    file = tmp_path / ".kubecheck.yaml"
    file.write_text(text)
    result = run("scan", "fixtures/kubectl/deployment-web.yaml", "--config", str(file))
    assert result.returncode == 2
    assert f"error: {file}{message}" in result.stderr.decode()


def test_a_rule_option_replaces_the_files_packs(tmp_path) -> None:
    file = tmp_path / ".kubecheck.yaml"
    file.write_text("packs: [network-hardening]\n")
    report = json.loads(
        run(
            "scan",
            "fixtures/kubectl/deployment-web.yaml",
            "--config",
            str(file),
            "--rule",
            "pss-privileged",
            "-o",
            "json",
        ).stdout
    )
    assert report["summary"]["rules"] == 1
    explained = run(
        "explain", "fixtures/kubectl/deployment-web.yaml", "--config", str(file), "--rule", "pss-privileged"
    ).stdout.decode()
    assert explained.startswith("rule pss-privileged ")


def test_a_named_rule_outside_its_version_range_is_a_usage_error() -> None:
    result = run(
        "scan",
        "fixtures/kubectl/deployment-web.yaml",
        "--rule",
        "pss-host-probes-and-lifecycle",
        "--set",
        "pss.version=v1.30",
    )
    assert result.returncode == 2
    assert (
        "rule 'pss-host-probes-and-lifecycle' applies to pss.version since v1.34, not v1.30" in result.stderr.decode()
    )
