"""Addresses in mounted ConfigMaps: what a data value says, which keys a container sees, which ConfigMap
a workload finds, and how the findings are reported (one per workload, container and value)."""

from __future__ import annotations

import textwrap
import time

import pytest

from checker.inputs.documents import Document, Source
from checker.inputs.resources import Resource
from checker.semantics import mounted_config
from checker.semantics.mounted_config import addresses_in, mounted_files
from checker.workloads.index import ScanContext, same_namespace

from .conftest import scan

IPV6_OFF = ["ipv6=disabled"]


def _found(text: str) -> list[tuple[str, int, int]]:
    return [(a.value, a.line, a.column) for a in addresses_in(textwrap.dedent(text))]


# --- what a data value says -----------------------------------------------------------------------------


def test_bind_and_listen_address_directives_of_haproxy_redis_and_sshd() -> None:
    text = """\
        frontend web
            bind :::80 v4v6
            bind [::]:443 ssl crt /etc/ssl/site.pem
        # redis.conf
        bind 127.0.0.1 ::1
        ListenAddress ::
        """
    assert _found(text) == [(":::80", 1, 9), ("[::]:443", 2, 9), ("127.0.0.1", 4, 5), ("::1", 4, 15), ("::", 5, 14)]


def test_haproxy_address_family_prefixes() -> None:
    assert _found("bind ipv6@:8443\nbind ipv6@:::8443 ssl\nbind ipv4@:80\n") == [
        ("ipv6@:8443", 0, 5),
        ("ipv6@:::8443", 1, 5),
        ("ipv4@:80", 2, 5),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bind * -::*\n", [("*", 0, 5)]),  # Redis 7's default: -::* is optional
        ("bind 0.0.0.0 ::*\n", [("0.0.0.0", 0, 5)]),  # Redis skips an IPv6 socket it cannot create
        ("bind 127.0.0.1 ::\n", [("127.0.0.1", 0, 5)]),
        ("bind ::*\n", [("::*", 0, 5)]),  # IPv6 only: Redis listens nowhere without IPv6
        ("bind 127.0.0.1 -::1\n", [("127.0.0.1", 0, 5)]),
        ("bind 127.0.0.1 ::1\n", [("127.0.0.1", 0, 5), ("::1", 0, 15)]),  # ::1 fails where the sysctl removed it
    ],
)
def test_redis_bind_lines_keep_only_addresses_that_can_fail(text: str, expected) -> None:
    assert _found(text) == expected


def test_spark_defaults_keys_and_values_separated_by_blanks() -> None:
    text = """\
        spark.driver.bindAddress        ::
        spark.blockManager.port         7079
        spark.driver.host               driver-svc
        export LISTEN_HOST=::
        """
    assert _found(text) == [("::", 0, 32), ("::", 3, 19)]


def test_comma_separated_lists_and_spark_local_ip_in_data() -> None:
    assert _found("listen_address = 0.0.0.0:80,[::]:80\n") == [("0.0.0.0:80", 0, 17), ("[::]:80", 0, 28)]
    assert _found("hosts:\n  listen: '0.0.0.0:80, [::]:80'\n") == [("0.0.0.0:80", 1, 11), ("[::]:80", 1, 23)]
    assert _found("SPARK_LOCAL_IP=::\n") == [("::", 0, 15)]


def test_nginx_listen_directives_anywhere_on_a_line_and_several_per_line() -> None:
    text = """\
        http {
          server { listen [::]:80 default_server; }
          server {
            listen [::]:8443 ssl; listen 8080;
            listen 80; listen [::]:81;
            server_name listen.example.com;
          }
        }
        """
    assert _found(text) == [
        ("[::]:80", 1, 18),
        ("[::]:8443", 3, 11),
        ("8080", 3, 33),
        ("80", 4, 11),
        ("[::]:81", 4, 22),
    ]


def test_nginx_comments_are_not_read() -> None:
    text = """\
        # listen [::]:80;
        listen 80; # listen [::]:81;
            #listen [::]:82;
        return 200 "see # listen [::]:83";
        proxy_pass http://backend#listen;
        """
    assert _found(text) == [("80", 1, 7)]


def test_compact_json_on_one_line_points_at_the_value() -> None:
    assert _found('{"bind":"::","port":80}') == [("::", 0, 9)]


def test_pretty_json_values_at_their_lines() -> None:
    text = """\
        {
          "server": {
            "listenAddress": "[::]:7000",
            "port": 7000
          },
          "upstreamHost": "::",
          "bindHost": "::"
        }
        """
    # upstreamHost names where the program connects (a remote word), not an address it binds
    assert _found(text) == [("[::]:7000", 2, 22), ("::", 6, 15)]


def test_yaml_lists_flow_maps_and_nested_mappings() -> None:
    text = """\
        server:
          listen:
            - "[::]:5000"
            - 0.0.0.0:5001
          addresses: ["::"]
          tls: {host: "::", port: 443}
        metrics:
          listen_address: 0.0.0.0:9100
        name: listen-here
        """
    assert _found(text) == [
        ("[::]:5000", 2, 7),
        ("0.0.0.0:5001", 3, 6),
        ("::", 4, 15),
        ("::", 5, 15),
        ("0.0.0.0:9100", 7, 18),
    ]


def test_yaml_block_scalars_empty_values_and_documents() -> None:
    text = """\
        listen: |
          [::]:80
        host:
        bind: ~
        ---
        - address: "::"
        """
    assert _found(text) == [("[::]:80", 1, 2), ("::", 5, 12)]


def test_aliases_are_walked_once_and_keep_their_meaning() -> None:
    text = "base: &b ['[::]:80']\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*{'b' if i == 0 else f'l{i - 1}'}"] * 9) + "]\n" for i in range(9)
    )
    started = time.monotonic()
    assert _found(text + "listen: *l8\n") == [("[::]:80", 0, 11)]
    assert time.monotonic() - started < 1


def test_properties_ini_toml_and_env_text_are_read_line_by_line() -> None:
    text = """\
        server.address=::
        management.server.address=[::]
        spring.datasource.url=jdbc:postgresql://db:5432/x
        # server.address=::
        [http]
        bind_address = "[::]:9090"
        export LISTEN_HOST=::
        """
    assert _found(text) == [("::", 0, 15), ("[::]", 1, 26), ("[::]:9090", 5, 16), ("::", 6, 19)]


def test_text_that_is_not_valid_yaml_falls_back_to_lines() -> None:
    text = "host: ::\nbind = [::]\n{{ .Values.x }}\n"
    assert _found(text) == [("::", 0, 6), ("[::]", 1, 7)]


@pytest.mark.parametrize("text", ["listen: " + "[" * 100_000, "host: " + "{a: " * 50_000, "x" * 1_000_000])
def test_hostile_values_end_quickly(text: str) -> None:
    started = time.monotonic()
    addresses_in(text)
    assert time.monotonic() - started < 2


# --- which keys a container sees ------------------------------------------------------------------------

KEYS = {"conf": ["ipv4.conf", "ipv6.conf"], "extra": ["a.yaml", "b.yaml"]}


def _files(volumes: list, mounts: list, env: list | None = None) -> list[tuple[str, str, str]]:
    container = {"volumeMounts": mounts, "env": env or []}
    return [
        (f.config_map, f.key, f.path)
        for f in mounted_files({"volumes": volumes}, container, lambda name: KEYS.get(name, []))
    ]


def test_every_key_without_items() -> None:
    assert _files(
        [{"name": "v", "configMap": {"name": "conf", "items": []}}], [{"name": "v", "mountPath": "/etc"}]
    ) == [("conf", "ipv4.conf", "/etc/ipv4.conf"), ("conf", "ipv6.conf", "/etc/ipv6.conf")]


def test_items_mount_only_the_listed_keys_at_their_paths() -> None:
    volume = {"name": "v", "configMap": {"name": "conf", "items": [{"key": "ipv4.conf", "path": "./sub/default.conf"}]}}
    assert _files([volume], [{"name": "v", "mountPath": "/etc/nginx/"}]) == [
        ("conf", "ipv4.conf", "/etc/nginx/sub/default.conf")
    ]


def test_sub_path_shows_one_key_or_one_item_path_or_one_directory() -> None:
    plain = {"name": "v", "configMap": {"name": "conf"}}
    assert _files([plain], [{"name": "v", "mountPath": "/etc/nginx/nginx.conf", "subPath": "ipv4.conf"}]) == [
        ("conf", "ipv4.conf", "/etc/nginx/nginx.conf")
    ]
    itemised = {
        "name": "v",
        "configMap": {
            "name": "conf",
            "items": [{"key": "ipv6.conf", "path": "d/x.conf"}, {"key": "ipv4.conf", "path": "y.conf"}],
        },
    }
    assert _files([itemised], [{"name": "v", "mountPath": "/m", "subPath": "ipv6.conf"}]) == []
    assert _files([itemised], [{"name": "v", "mountPath": "/m", "subPath": "y.conf"}]) == [("conf", "ipv4.conf", "/m")]
    assert _files([itemised], [{"name": "v", "mountPath": "/m", "subPath": "d/"}]) == [
        ("conf", "ipv6.conf", "/m/x.conf")
    ]


def test_projected_sources_each_with_their_items() -> None:
    volume = {
        "name": "v",
        "projected": {
            "sources": [
                {"configMap": {"name": "conf", "items": [{"key": "ipv4.conf", "path": "default.conf"}]}},
                {"secret": {"name": "s"}},
                {"configMap": {"name": "extra"}},
            ]
        },
    }
    assert _files([volume], [{"name": "v", "mountPath": "/cfg"}]) == [
        ("conf", "ipv4.conf", "/cfg/default.conf"),
        ("extra", "a.yaml", "/cfg/a.yaml"),
        ("extra", "b.yaml", "/cfg/b.yaml"),
    ]
    assert _files([volume], [{"name": "v", "mountPath": "/cfg/b.yaml", "subPath": "b.yaml"}]) == [
        ("extra", "b.yaml", "/cfg/b.yaml")
    ]


def test_sub_path_expr_with_literal_variables_or_unknown() -> None:
    volume = {"name": "v", "configMap": {"name": "conf"}}
    mount = {"name": "v", "mountPath": "/etc/x.conf", "subPathExpr": "$(FAMILY).conf"}
    assert _files([volume], [mount], [{"name": "FAMILY", "value": "ipv4"}]) == [("conf", "ipv4.conf", "/etc/x.conf")]
    assert _files([volume], [mount], [{"name": "FAMILY", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}]) == []


def test_sub_path_expr_expands_as_env_does() -> None:
    """subPathExpr goes through the same $(VAR) expansion as command and env: $$ escapes, a variable's own
    value is expanded from earlier ones, and only an unknown reference makes the file unknown."""
    volume = {"name": "v", "configMap": {"name": "conf"}}
    env = [{"name": "BASE", "value": "ipv4"}, {"name": "FAMILY", "value": "$(BASE)"}]
    mount = {"name": "v", "mountPath": "/etc/x.conf", "subPathExpr": "$(FAMILY).conf"}
    assert _files([volume], [mount], env) == [("conf", "ipv4.conf", "/etc/x.conf")]
    odd = {"name": "v", "configMap": {"name": "conf", "items": [{"key": "ipv4.conf", "path": "$(NOPE).conf"}]}}
    escaped = {"name": "v", "mountPath": "/etc/x.conf", "subPathExpr": "$$(NOPE).conf"}  # the text $(NOPE).conf
    assert _files([odd], [escaped], env) == [("conf", "ipv4.conf", "/etc/x.conf")]
    unknown = {"name": "v", "mountPath": "/etc/x.conf", "subPathExpr": "$(BASE)-$(OTHER).conf"}
    assert _files([volume], [unknown], env) == []


def test_unmounted_volumes_and_malformed_entries_give_nothing() -> None:
    volumes = [
        {"name": "v", "configMap": {"name": "conf"}},
        {"name": "w", "configMap": "conf"},
        "junk",
        {"name": "p", "projected": {"sources": "junk"}},
    ]
    assert _files(volumes, [{"name": "w", "mountPath": "/a"}, {"name": "p", "mountPath": "/b"}, "junk"]) == []


# --- which ConfigMap or Service a workload finds --------------------------------------------------------


def _resource(kind: str, name: str, namespace: str | None, file: str = "f", **spec: object) -> Resource:
    obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return Resource(Document(Source(file, ""), 0, 1, obj), (), obj, "v1", kind, name, namespace)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_workload_without_namespace_prefers_a_config_map_without_one(reverse: bool) -> None:
    named, bare = _resource("ConfigMap", "conf", "team-a"), _resource("ConfigMap", "conf", None)
    context = ScanContext.of([bare, named] if reverse else [named, bare])
    assert context.find("ConfigMap", None, "conf") is bare
    assert context.find("ConfigMap", "team-a", "conf") is named
    assert context.find("ConfigMap", "team-b", "conf") is bare


def test_namespace_fallbacks_and_ambiguity() -> None:
    a, b = _resource("ConfigMap", "conf", "a"), _resource("ConfigMap", "conf", "b")
    assert same_namespace([a], None) == [a]  # the workload may be applied with -n a
    assert same_namespace([a, b], None) == []  # applied with -n a or -n b: cannot tell
    assert same_namespace([a, b], "b") == [b]
    assert same_namespace([a], "b") == []
    later = _resource("ConfigMap", "conf", "a")
    assert ScanContext.of([a, later]).find("ConfigMap", "a", "conf") is later  # the last applied wins


def test_of_several_candidates_the_one_written_nearest_the_workload() -> None:
    base = _resource("ConfigMap", "conf", None, "app/base/configmap.yaml")
    grpc = _resource("ConfigMap", "conf", None, "app/grpc/configmap.yaml")
    same_file = _resource("ConfigMap", "conf", None, "app/grpc/all.yaml")
    context = ScanContext.of([base, grpc])
    assert context.find("ConfigMap", None, "conf", near=_resource("Pod", "p", None, "app/base/pod.yaml")) is base
    assert context.find("ConfigMap", None, "conf", near=_resource("Pod", "p", None, "app/grpc/pod.yaml")) is grpc
    assert context.find("ConfigMap", None, "conf", near=_resource("Pod", "p", None, "other/pod.yaml")) is grpc
    context = ScanContext.of([same_file, base, grpc])
    assert context.find("ConfigMap", None, "conf", near=_resource("Pod", "p", None, "app/grpc/all.yaml")) is same_file


def test_services_follow_the_same_namespace_rule() -> None:
    bare = _resource("Service", "s1", None, selector={"app": "x"})
    named = _resource("Service", "s2", "team-a", selector={"app": "x"})
    other = _resource("Service", "s3", "team-b", selector={"app": "x"})
    for order in ([bare, named, other], [other, named, bare]):
        context = ScanContext.of(order)
        assert context.services_selecting({"app": "x"}, None) == [bare]
        assert context.services_selecting({"app": "x"}, "team-a") == [named]
        assert context.services_selecting({"app": "x"}, "team-c") == [bare]
    context = ScanContext.of([named, other])
    assert context.services_selecting({"app": "x"}, None) == []
    assert context.services_selecting({"app": "x"}, "team-b") == [other]


# --- findings: one per workload, container and value ----------------------------------------------------

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: site}
data:
  default.conf: |
    server { listen [::]:80; }
"""


def _deployment(name: str, *containers: str) -> str:
    listed = ", ".join(
        f"{{name: {c}, image: nginx, volumeMounts: [{{name: v, mountPath: /etc/nginx/conf.d}}]}}" for c in containers
    )
    return textwrap.dedent(f"""\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {name}}}
        spec:
          template:
            spec:
              containers: [{listed}]
              volumes: [{{name: v, configMap: {{name: site}}}}]
        """)


def test_a_config_map_shared_by_workloads_and_containers_gives_a_finding_each(tmp_path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(CONFIG_MAP + _deployment("web", "nginx", "sidecar") + _deployment("api", "nginx"))
    report = scan([manifest], rules=["no-ipv6-wildcard-bind"], settings=IPV6_OFF)
    assert sorted((f.resource["name"], f.container, f.line, f.path) for f in report.findings) == [
        ("api", "nginx", 6, 'data["default.conf"]'),
        ("web", "nginx", 6, 'data["default.conf"]'),
        ("web", "sidecar", 6, 'data["default.conf"]'),
    ]


def test_a_pod_level_field_seen_from_each_container_is_reported_once(tmp_path) -> None:
    rules = tmp_path / "custom"
    rules.mkdir()
    (rules / "no-host-network.yaml").write_text(
        textwrap.dedent("""\
        id: no-host-network
        title: No hostNetwork
        severity: low
        packs: [custom]
        scope: container
        report: each
        assert:
          not: {pod: spec.hostNetwork, equals: true}
        message: "container {container.name} shares the host network"
        remediation: Drop hostNetwork.
        """)
    )
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {hostNetwork: true, containers: [{name: a, image: x}, {name: b, image: x}]}\n"
    )
    report = scan([manifest], rules=["no-host-network"], policy_dirs=[str(rules)])
    assert [(f.container, f.path) for f in report.findings] == [("a", "spec.hostNetwork")]


def test_different_values_at_one_place_are_separate_findings(tmp_path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: site}
        data:
          default.conf: |
            listen [::]:80; listen [::]:81; listen [::]:80;
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: c
            image: x
            command: ["sh", "-c", "exec server --bind [::]:8080 --listen=[::]:8081"]
            volumeMounts: [{name: v, mountPath: /etc/nginx/conf.d}]
          volumes: [{name: v, configMap: {name: site}}]
        """)
    )
    report = scan([manifest], rules=["no-ipv6-wildcard-bind"], settings=IPV6_OFF)
    shown = sorted((f.line, f.message.split(" binds the IPv6 wildcard ")[1].split(" ")[0]) for f in report.findings)
    assert shown == [(6, "[::]:80"), (6, "[::]:81"), (15, "[::]:8080"), (15, "[::]:8081")]


def test_findings_in_config_map_data_point_at_their_lines(tmp_path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c}
        data:
          nginx.conf: |
            http {
              server { listen [::]:80 default_server; }
              # listen [::]:79;
              server {
                listen 80; listen [::]:81;
              }
            }
          app.yaml: |
            listen:
              - "[::]:5000"
          flat.json: '{"bind":"::"}'
          ipv4.conf: "listen [::]:82;"
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: c
            image: nginx
            volumeMounts:
            - {name: v, mountPath: /etc/nginx}
            - {name: w, mountPath: /etc/nginx/conf.d/default.conf, subPath: ipv4.conf}
          volumes:
          - {name: v, configMap: {name: c, items: [{key: nginx.conf, path: nginx.conf}, {key: app.yaml, path: a.yaml},
                                                   {key: flat.json, path: f.json}]}}
          - {name: w, configMap: {name: c}}
        """)
    )
    report = scan([manifest], rules=["no-ipv6-wildcard-bind"], settings=IPV6_OFF)
    assert [(f.line, f.path) for f in report.findings] == [
        (7, 'data["nginx.conf"]'),
        (10, 'data["nginx.conf"]'),
        (15, 'data["app.yaml"]'),
        (16, 'data["flat.json"]'),
        (17, 'data["ipv4.conf"]'),
    ]
    assert "mounted at /etc/nginx/conf.d/default.conf" in report.findings[-1].message


def test_config_map_data_is_read_once_per_scan(tmp_path, monkeypatch) -> None:
    calls: list[str] = []
    original = mounted_config.addresses_in
    monkeypatch.setattr(mounted_config, "addresses_in", lambda text: calls.append(text) or original(text))
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        CONFIG_MAP
        + "".join(_deployment(f"web{i}", "nginx") for i in range(3))
        + textwrap.dedent("""\
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: unused}
        data: {nginx.conf: "listen [::]:80;"}
        """)
    )
    report = scan([manifest], rules=["no-ipv6-wildcard-bind"], settings=IPV6_OFF)
    assert len(report.findings) == 3
    assert calls == ["server { listen [::]:80; }\n"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bind=::\n", [("::", 0, 5)]),  # YAML reads this as the key "bind=:"
        ("listen = [::]:80\n", [("[::]:80", 0, 9)]),  # a property named listen, not a directive
        ("bind ::\n", [("::", 0, 5)]),  # YAML reads "bind :" as a key
    ],
)
def test_properties_and_directives_that_yaml_misreads_are_read_by_line(text: str, expected) -> None:
    assert _found(text) == expected
