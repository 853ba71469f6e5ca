"""Facts with Kubernetes semantics: low ports a process cannot bind (by user and by how NET_BIND_SERVICE got
into its set), the unprivileged-port start, required sysctls and host namespaces, Spark envVars."""

from __future__ import annotations

from types import SimpleNamespace

from checker.api import plan, scan_text
from checker.commands.explain import explain
from checker.engine import scopes_of
from checker.facts import FACTS
from checker.facts.listening import ports_of
from checker.facts.scope import Scope
from checker.inputs.documents import Source
from checker.inputs.loading import parse_source
from checker.inputs.resources import resources_of
from checker.workloads.index import ScanContext

POD = """apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  securityContext: {pod}
  containers:
  - name: c
    image: nginx:1.27
    ports: [{{containerPort: 80}}]
    securityContext: {container}
"""


def _scopes(text: str, kind: str = "container", settings: tuple[str, ...] = ()) -> list[Scope]:
    params = plan(packs=["network-hardening"], settings=list(settings)).params
    parsed = parse_source(Source("test.yaml", text, is_json=False))
    found = resources_of(parsed.documents)
    context = ScanContext.of(found.items)
    return [scope for resource in found.items for scope in scopes_of(resource, {kind}, params, context)]


def _fact(name: str, scope: Scope) -> list:
    return FACTS[name].compute(scope)


def _reasons(scope: Scope, name: str = "container.unbindable_ports") -> str:
    detail = FACTS[name].detail
    assert detail is not None
    return "\n".join(detail(scope))


def _pod(pod: str = "{}", container: str = "{}") -> Scope:
    return _scopes(POD.format(pod=pod, container=container))[0]


def _messages(text: str, rule: str = "privileged-port-without-capability", settings: tuple[str, ...] = ()) -> list[str]:
    """The messages the rule (its words in its rule file) writes for the manifest."""
    report = scan_text(plan(rules=[rule], settings=list(settings)), "test.yaml", text)
    return [finding.message for finding in report.findings]


def _port_message(pod: str = "{}", container: str = "{}") -> str:
    [message] = _messages(POD.format(pod=pod, container=container))
    return message


def test_non_root_with_the_default_set_cannot_bind() -> None:
    scope = _pod(pod="{runAsUser: 101}")
    [match] = _fact("container.unbindable_ports", scope)
    assert (match.value, match.note) == (80, "containerPort 80")
    assert match.record["standing"] == "not-effective" and match.record["capability_source"] == "runtime-default"
    assert match.record["user"] == "runAsUser 101 in the pod securityContext"
    assert (
        "runs as non-root (runAsUser 101 in the pod securityContext): a non-root process has no effective "
        "capabilities, and NET_BIND_SERVICE from the runtime default set does not help it unless its binary "
        "carries the file capability cap_net_bind_service"
    ) in _port_message(pod="{runAsUser: 101}")
    assert "a finding each" in _reasons(scope)


def test_non_root_with_add_all_or_privileged_cannot_bind_either() -> None:
    added_all = ("{runAsNonRoot: true}", "{capabilities: {add: [ALL]}}")
    assert _fact("container.unbindable_ports", _pod(*added_all))[0].record["capability_source"] == "all"
    assert "NET_BIND_SERVICE added by ALL in capabilities.add" in _port_message(*added_all)
    privileged = ("{runAsUser: 1000}", "{privileged: true}")
    assert _fact("container.unbindable_ports", _pod(*privileged))[0].record["capability_source"] == "privileged"
    assert "NET_BIND_SERVICE granted by privileged: true" in _port_message(*privileged)


def test_non_root_that_names_the_capability_in_add_is_no_finding_and_explain_says_why() -> None:
    scope = _pod(container="{runAsUser: 101, capabilities: {drop: [ALL], add: [net_bind_service]}}")
    assert _fact("container.unbindable_ports", scope) == []
    reasons = _reasons(scope)
    assert "capabilities.add names NET_BIND_SERVICE" in reasons and "file capability" in reasons
    assert reasons.endswith("no finding")


def test_unknown_user_is_no_finding_the_image_decides() -> None:
    scope = _pod()
    assert _fact("container.unbindable_ports", scope) == []
    assert "the image's USER decides" in _reasons(scope) and "no finding" in _reasons(scope)


def test_root_binds_with_the_default_set_but_not_without_the_capability() -> None:
    assert _fact("container.unbindable_ports", _pod(container="{runAsUser: 0}")) == []
    dropped = "{runAsUser: 0, capabilities: {drop: [NET_BIND_SERVICE]}}"
    [match] = _fact("container.unbindable_ports", _pod(container=dropped))
    assert (match.record["standing"], match.record["capability_source"]) == ("missing", "none")
    assert "Cheapest fix: set the safe sysctl" in _port_message(container=dropped)


def test_a_misspelt_drop_leaves_the_default_set_which_does_not_help_non_root() -> None:
    message = _port_message(pod="{runAsUser: 1000}", container="{capabilities: {drop: [CAP_NET_BIND_SERVICE]}}")
    assert "from the runtime default set" in message


def test_host_network_ignores_the_port_sysctl() -> None:
    pod = "{runAsUser: 1000, sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: '80'}]}"
    text = POD.format(pod=pod, container="{}").replace("spec:\n", "spec:\n  hostNetwork: true\n", 1)
    scope = _scopes(text)[0]
    [start] = _fact("pod.unprivileged_port_start", scope)
    assert start.value == 1024 and "with hostNetwork: true Kubernetes rejects net.* sysctls" in start.note
    assert start.record == {"start_source": "host-network-sysctl", "start_sysctl": "80"}
    [finding] = _fact("container.unbindable_ports", scope)
    assert finding.record["fix_plan"] == "host-network"
    [message] = _messages(text)
    assert "hostNetwork: true rules out the net.ipv4.ip_unprivileged_port_start sysctl" in message
    assert "the pod's net.ipv4.ip_unprivileged_port_start=80 does not count" in message
    [counted] = _fact("pod.unprivileged_port_start", _pod(pod=pod))
    assert (counted.value, counted.record["start_source"]) == (80, "sysctl")


def test_the_sysctl_fix_needs_kubernetes_v1_22() -> None:
    text = POD.format(pod="{runAsUser: 1000}", container="{}")
    [old] = _messages(text, settings=("k8s.version=v1.21",))
    assert "Cheapest fix: listen on port 1024 or above; or run as root" in old
    assert "sysctl" not in old.split("Cheapest fix:")[1]


def test_the_suggested_sysctl_is_the_lowest_low_port_of_the_pod() -> None:
    text = POD.format(pod="{runAsUser: 1000}", container="{}") + (
        "  initContainers:\n  - {name: init, image: x, args: [--port=22]}\n"
        "  - {name: high, image: x, args: [--port=8080]}\n"
    )
    scopes = {scope.container.name: scope for scope in _scopes(text)}
    [c] = _fact("container.unbindable_ports", scopes["c"])
    assert (c.record["lowest"], c.record["lowest_is_port"]) == (22, False)
    messages = {message.split()[1]: message for message in _messages(text)}
    assert (
        "set the safe sysctl net.ipv4.ip_unprivileged_port_start=22 in spec.securityContext.sysctls (port 22 "
        "is the lowest below 1024 that the pod's containers cannot bind, and the sysctl is pod-wide)"
    ) in messages["c"]
    assert "ip_unprivileged_port_start=22 in spec.securityContext.sysctls;" in messages["init"]


TWO = """apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - name: dns
    image: coredns
    securityContext: {runAsUser: 0}
    ports: [{containerPort: 53, protocol: UDP}]
  - name: web
    image: nginx-unpriv
    securityContext: {runAsUser: 101}
    ports: [{containerPort: 80}]
"""


def test_a_port_the_pod_binds_does_not_lower_the_suggested_sysctl() -> None:
    """Root keeps NET_BIND_SERVICE and binds 53 whatever the sysctl: only web's 80 fails, so 80 is enough."""
    scopes = {scope.container.name: scope for scope in _scopes(TWO)}
    assert _fact("container.unbindable_ports", scopes["dns"]) == []
    [web] = _fact("container.unbindable_ports", scopes["web"])
    assert web.record["lowest"] == 80
    [message] = _messages(TWO)
    assert "set the safe sysctl net.ipv4.ip_unprivileged_port_start=80 in spec.securityContext.sysctls;" in message


def test_fixes_come_cheapest_first_and_the_capability_fix_names_its_trade_off() -> None:
    assert _port_message(container="{runAsUser: 0, capabilities: {drop: [ALL]}}").endswith(
        "Cheapest fix: set the safe sysctl net.ipv4.ip_unprivileged_port_start=80 in "
        "spec.securityContext.sysctls; or listen on port 1024 or above; or keep "
        "NET_BIND_SERVICE, which drop-net-bind-service reports"
    )
    assert _port_message(pod="{runAsUser: 1000}").endswith(
        "or run as root, or name NET_BIND_SERVICE in capabilities.add for a binary that "
        "carries the file capability cap_net_bind_service; either keeps the capability, "
        "which drop-net-bind-service reports"
    )
    assert _port_message(pod="{runAsUser: 1000}", container="{capabilities: {drop: [ALL]}}").endswith(
        "or keep NET_BIND_SERVICE and run as root, which drop-net-bind-service reports"
    )


def test_a_cap_prefixed_add_is_named_as_the_no_op_it_is_on_containerd() -> None:
    prefixed = "{runAsUser: 1000, capabilities: {add: [CAP_NET_BIND_SERVICE], drop: [ALL]}}"
    [finding] = _fact("container.unbindable_ports", _pod(container=prefixed))
    assert finding.record["prefixed_add"] is True and finding.record["capability_fix"] == "write-add"
    message = _port_message(container=prefixed)
    assert (
        "NET_BIND_SERVICE is not in its capability set (the kernel checks the capability, for root too); "
        "capabilities.add[0] CAP_NET_BIND_SERVICE is a no-op, because containerd adds the CAP_ prefix again "
        "(write NET_BIND_SERVICE)"
    ) in message
    assert message.endswith(
        "or write NET_BIND_SERVICE in capabilities.add for a binary that carries the file "
        "capability cap_net_bind_service, which drop-net-bind-service reports"
    )
    root = "{runAsUser: 0, capabilities: {add: [CAP_NET_BIND_SERVICE], drop: [ALL]}}"
    assert _port_message(container=root).endswith(
        "or write NET_BIND_SERVICE in capabilities.add, which drop-net-bind-service reports"
    )
    no_drop = "{runAsUser: 1000, capabilities: {add: [CAP_NET_BIND_SERVICE]}}"
    kept = _port_message(container=no_drop)
    assert "from the runtime default set" in kept and "CAP_NET_BIND_SERVICE is a no-op" in kept
    assert "CAP_NET_BIND_SERVICE is a no-op" in _reasons(_pod(container=no_drop))
    cri_o = _scopes(POD.format(pod="{}", container=prefixed), settings=("container-runtime=cri-o",))[0]
    assert _fact("container.unbindable_ports", cri_o) == []  # CRI-O keeps the prefix: the plan is stated


def test_a_drop_that_drops_nothing_is_named_by_the_drop_rule() -> None:
    scope = _pod(container="{capabilities: {drop: [CAP_NET_BIND_SERVICE]}}")
    match = next(m for m in _fact("container.effective_capabilities", scope) if m.value == "NET_BIND_SERVICE")
    assert match.note == "in the containerd runtime default set and not dropped"
    assert match.record == {
        "ineffective_drop": True,
        "drop_entry": "CAP_NET_BIND_SERVICE",
        "drop_runtime_name": "CAP_CAP_NET_BIND_SERVICE",
    }
    [message] = _messages(
        POD.format(pod="{}", container="{capabilities: {drop: [CAP_NET_BIND_SERVICE]}}"), "drop-net-bind-service"
    )
    assert message == (
        "container c keeps NET_BIND_SERVICE: in the containerd runtime default set and not dropped; drop entry "
        "'CAP_NET_BIND_SERVICE' becomes CAP_CAP_NET_BIND_SERVICE at the runtime and drops nothing (write "
        "NET_BIND_SERVICE)"
    )
    [plain] = _messages(POD.format(pod="{}", container="{}"), "drop-net-bind-service")
    assert plain == "container c keeps NET_BIND_SERVICE: in the containerd runtime default set and not dropped"


REQUIRED = """apiVersion: v1
kind: Pod
metadata: {name: r}
spec:
  hostNetwork: true
  hostIPC: true
  containers: [{name: c, image: x}]
"""
TWO_REQUIRED = ("ipv6=disabled", "required-sysctls=net.ipv6.conf.all.disable_ipv6=1,kernel.msgmax=65536")


def test_host_namespaces_exempt_their_sysctls_and_explain_says_why() -> None:
    scope = _scopes(REQUIRED, "pod", TWO_REQUIRED)[0]
    assert _fact("pod.missing_required_sysctls", scope) == []
    reasons = _reasons(scope, "pod.missing_required_sysctls")
    assert (
        "net.ipv6.conf.all.disable_ipv6=1: not demanded: with hostNetwork: true the pod shares the node's "
        "network namespace" in reasons
    )
    assert "kernel.msgmax=65536: not demanded: with hostIPC: true the pod shares the node's IPC namespace" in reasons
    only_network = _scopes(REQUIRED.replace("  hostIPC: true\n", ""), "pod", TWO_REQUIRED)[0]
    assert [m.value for m in _fact("pod.missing_required_sysctls", only_network)] == ["kernel.msgmax"]


def test_a_host_network_pod_sysctl_does_not_disable_ipv6_nor_count_as_demanded() -> None:
    text = REQUIRED.replace(
        "  hostIPC: true\n", "  securityContext:\n    sysctls: [{name: net.ipv6.conf.all.disable_ipv6, value: '1'}]\n"
    )
    scope = _scopes(text, "pod")[0]
    [disabled] = _fact("pod.ipv6_disabled", scope)
    assert disabled.value is False and disabled.path == ("spec", "securityContext", "sysctls", 0)
    assert disabled.record == {"ignored_because": "host-network", "sysctl": "net.ipv6.conf.all.disable_ipv6"}
    demanded = _scopes(text, "pod", ("ipv6=disabled",))[0]
    assert [m.note for m in _fact("pod.sysctls", demanded)] == [""]
    assert "(the pod sets it anyway, which Kubernetes rejects: see unsafe-sysctls)" in _reasons(
        demanded, "pod.missing_required_sysctls"
    )


def test_explain_shows_why_required_sysctls_passes_a_host_network_pod(tmp_path) -> None:
    file = tmp_path / "hostnet.yaml"
    file.write_text(REQUIRED.replace("  hostIPC: true\n", ""))
    text, _ = explain(plan(rules=["required-sysctls"], settings=["ipv6=disabled"]), [str(file)])
    assert "not demanded: with hostNetwork: true" in text and "verdict: passes: no finding" in text


SPARK = """apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: s}
spec:
  sparkConf:
    spark.executorEnv.SPARK_LOCAL_IP: "0.0.0.0"
    spark.kubernetes.driverEnv.BIND_ADDRESS: "[::]:7078,[::]:7079"
  driver:
    envVars: {SPARK_LOCAL_IP: "::", JAVA_HOME: /opt/java}
    sidecars: [{name: side, image: x, env: [{name: LISTEN, value: ":80"}]}]
  executor: {}
"""


def test_spark_env_vars_and_env_keys_belong_to_their_role() -> None:
    found = {
        (scope.workload.role, scope.container.name): [
            (m.value, m.path, m.note) for m in _fact("container.listen_addresses", scope)
        ]
        for scope in _scopes(SPARK)
    }
    assert found[("driver", "spark-kubernetes-driver")] == [
        ("::", ("spec", "driver", "envVars", "SPARK_LOCAL_IP"), "envVars SPARK_LOCAL_IP"),
        (
            "[::]:7078",
            ("spec", "sparkConf", "spark.kubernetes.driverEnv.BIND_ADDRESS"),
            "sparkConf spark.kubernetes.driverEnv.BIND_ADDRESS",
        ),
        (
            "[::]:7079",
            ("spec", "sparkConf", "spark.kubernetes.driverEnv.BIND_ADDRESS"),
            "sparkConf spark.kubernetes.driverEnv.BIND_ADDRESS",
        ),
    ]
    assert found[("driver", "side")] == [(":80", ("spec", "driver", "sidecars", 0, "env", 0, "value"), "env LISTEN")]
    assert found[("executor", "spark-kubernetes-executor")] == [
        (
            "0.0.0.0",
            ("spec", "sparkConf", "spark.executorEnv.SPARK_LOCAL_IP"),
            "sparkConf spark.executorEnv.SPARK_LOCAL_IP",
        )
    ]


SYSCTLS = """apiVersion: v1
kind: Pod
metadata: {{name: s}}
spec:
  {host}securityContext: {{sysctls: {sysctls}}}
  containers: [{{name: c, image: x}}]
"""


def _disabled_by(sysctls: str, host: str = "", settings: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    scope = _scopes(SYSCTLS.format(sysctls=sysctls, host=host), "pod", settings)[0]
    return [(m.value, m.note) for m in _fact("pod.ipv6_disabled_by", scope)]


def test_how_ipv6_is_disabled_for_the_pod() -> None:
    both = (
        "[{name: net.ipv6.conf.default.disable_ipv6, value: '1'}, {name: net.ipv6.conf.all.disable_ipv6, value: '1'}]"
    )
    assert _disabled_by(both) == [("sysctl", "the pod sets sysctl net.ipv6.conf.all.disable_ipv6=1")]
    default = "[{name: net/ipv6/conf/default/disable_ipv6, value: '1'}]"
    assert _disabled_by(default) == [("default-sysctl", "the pod sets sysctl net.ipv6.conf.default.disable_ipv6=1")]
    assert _disabled_by("[{name: net.ipv6.conf.all.disable_ipv6, value: '0'}]") == []
    assert _disabled_by(both, host="hostNetwork: true\n  ") == []  # the node's own setting applies
    assert _disabled_by("[]", settings=("ipv6=disabled",)) == [
        ("declared", "IPv6 is declared disabled (--set ipv6=disabled)")
    ]


def test_required_ipv6_sysctls_warn_about_boot_flag_nodes_and_an_empty_list_demands_none() -> None:
    text = SYSCTLS.format(sysctls="[]", host="")
    [missing] = _fact("pod.missing_required_sysctls", _scopes(text, "pod", ("ipv6=disabled",))[0])
    assert (missing.record["standing"], missing.record["ipv6"], missing.record["unsafe"]) == ("absent", True, True)
    [message] = _messages(text, "required-sysctls", ("ipv6=disabled",))
    assert message.startswith('spec.securityContext.sysctls does not set net.ipv6.conf.all.disable_ipv6="1". ')
    assert message.endswith(
        "Nodes booted with ipv6.disable=1 lack it, and the pod fails to start there (scan "
        "for them with --set required-sysctls=)."
    )
    empty = _scopes(text, "pod", ("ipv6=disabled", "required-sysctls="))[0]
    assert _fact("pod.missing_required_sysctls", empty) == []
    assert _reasons(empty, "pod.missing_required_sysctls") == "required-sysctls names no sysctl: nothing to check"
    other = ("ipv6=disabled", "required-sysctls=kernel.msgmax=65536")
    [msgmax] = _fact("pod.missing_required_sysctls", _scopes(text, "pod", other)[0])
    assert msgmax.record["ipv6"] is False
    assert "ipv6.disable=1" not in _messages(text, "required-sysctls", other)[0]


def test_a_required_sysctl_set_wrong_or_misplaced_says_so_in_the_rule_words() -> None:
    wrong = SYSCTLS.format(sysctls="[{name: net.ipv6.conf.all.disable_ipv6, value: '0'}]", host="")
    [match] = _fact("pod.missing_required_sysctls", _scopes(wrong, "pod", ("ipv6=disabled",))[0])
    assert (match.record["standing"], match.record["set_value"]) == ("wrong-value", "0")
    assert _messages(wrong, "required-sysctls", ("ipv6=disabled",))[0].startswith(
        'sysctl net.ipv6.conf.all.disable_ipv6 is set to "0", not "1". It is not a safe sysctl'
    )
    misplaced = POD.format(pod="{}", container="{sysctls: [{name: net.ipv6.conf.all.disable_ipv6, value: '1'}]}")
    allowed = ("ipv6=disabled", "allowed-unsafe-sysctls=net.ipv6.*")
    [match] = _fact("pod.missing_required_sysctls", _scopes(misplaced, "pod", allowed)[0])
    assert (match.record["standing"], match.record["container"], match.record["unsafe"]) == ("misplaced", "c", False)
    assert match.path == ("spec", "containers", 0, "securityContext", "sysctls", 0)
    [message] = _messages(misplaced, "required-sysctls", allowed)
    assert message.startswith(
        "sysctl net.ipv6.conf.all.disable_ipv6 is misplaced under container 'c' securityContext, where "
        "Kubernetes rejects the field; it belongs in spec.securityContext.sysctls. Nodes booted"
    )


def test_unsafe_sysctls_says_when_required_sysctls_demands_the_sysctl() -> None:
    text = SYSCTLS.format(sysctls="[{name: net.ipv6.conf.all.disable_ipv6, value: '1'}]", host="")
    [demanded] = _fact("pod.sysctls", _scopes(text, "pod", ("ipv6=disabled",))[0])
    assert demanded.record == {"required": True}
    assert _fact("pod.sysctls", _scopes(text, "pod")[0])[0].record == {"required": False}
    [message] = _messages(text, "unsafe-sysctls", ("ipv6=disabled",))
    assert message.endswith("; required-sysctls demands it because IPv6 is disabled, so the nodes must allow it")
    [plain] = _messages(text, "unsafe-sysctls")
    assert plain.endswith("(declare that with --set allowed-unsafe-sysctls=...)")


def test_explain_names_command_entries_that_yaml_read_as_mappings() -> None:
    text = POD.format(pod="{}", container="{}").replace(
        "    ports:", "    args:\n    - --bind-address=::\n    - --v=2\n    ports:"
    )
    scope = _scopes(text)[0]
    assert _fact("container.listen_addresses", scope) == []
    assert _reasons(scope, "container.listen_addresses") == (
        "args[0] is a mapping, not a string: YAML read the unquoted `- --bind-address=::` as a key and value, so "
        "it is not read here and the API server rejects it; quote the entry"
    )
    assert _reasons(_pod(), "container.listen_addresses") == ""


def test_listen_ports_worked_out_once_per_scan_belong_to_their_spec() -> None:
    """A pod view is freed after its resource; a spec built later may take its id, and must not get its ports."""
    holder = SimpleNamespace(context=ScanContext.of([]), workload=None)
    for port in range(1000, 1100):
        spec = {"name": "c", "ports": [{"containerPort": port}]}
        assert [found.number for found in ports_of(holder, spec)] == [port]  # type: ignore[arg-type]
        del spec


def test_a_pods_work_is_linear_in_its_containers(monkeypatch) -> None:
    """Each container's standing is worked out once per pod, not once per container of the pod (a
    2,000-container pod made 4 million calls)."""
    from checker.semantics import privileged_ports

    count = 300
    containers = ", ".join(
        f'{{"name": "c{i}", "image": "nginx", "ports": [{{"containerPort": 80}}], '
        '"securityContext": {"privileged": true}}'
        for i in range(count)
    )
    pod = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, '
    text = pod + f'"spec": {{"containers": [{containers}]}}}}'
    calls = []
    failing = privileged_ports._failing_ports
    monkeypatch.setattr(privileged_ports, "_failing_ports", lambda *args: calls.append(1) or failing(*args))
    report = scan_text(plan(packs=["network-hardening", "pss-restricted"], settings=["ipv6=disabled"]), "p.json", text)
    assert len(calls) == count  # once per container of the one pod
    assert {f.container for f in report.findings} - {None} == {f"c{i}" for i in range(count)}


def test_a_container_is_found_by_its_path_in_a_big_pod() -> None:
    containers = ", ".join(f"{{name: c{i}, image: nginx}}" for i in range(500))
    pod = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{containers}]}}\n"
    [scope] = _scopes(pod, "pod")
    workload = scope.workload
    assert workload.container_at(("spec", "containers", 321, "securityContext")).name == "c321"
    assert workload.container_at(("spec", "containers", 500)) is None
    assert workload.container_at(("spec", "volumes", 0)) is None
