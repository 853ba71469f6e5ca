"""kubecheck explain: facts with their steps and places, each clause's verdict, and the finding."""

from __future__ import annotations

from checker.api import plan, plan_from
from checker.commands.explain import explain
from checker.policy.loader import load_catalog

from .conftest import FIXTURES


def test_explain_shows_capability_steps_clauses_and_verdict() -> None:
    text, errors = explain(plan(rules=["drop-net-bind-service"]), [str(FIXTURES / "positions" / "list.json")])
    assert errors == 0
    assert "drop[0] 'ALL' -> empty set" in text
    assert "add[0] 'NET_BIND_SERVICE' -> +CAP_NET_BIND_SERVICE" in text
    assert "re-added after drop ALL" in text
    assert "FAILS  not:" in text and "verdict: FINDING at" in text


def test_explain_says_why_a_rule_does_not_apply(tmp_path) -> None:
    file = tmp_path / "win.yaml"
    file.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  os: {name: windows}\n"
        "  containers:\n  - {name: c, image: x}\n"
    )
    text, _ = explain(plan(rules=["drop-net-bind-service"]), [str(file)])
    assert "verdict: the rule does not apply here" in text


def test_explain_root_process_keeps_capability_no_finding(tmp_path) -> None:
    file = tmp_path / "root.yaml"
    file.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n  containers:\n"
        "  - name: web\n    image: nginx\n    securityContext: {runAsUser: 0}\n"
        "    ports: [{containerPort: 80}]\n"
    )
    text, _ = explain(plan(rules=["privileged-port-without-capability"]), [str(file)], "web")
    assert "runAsUser 0 in the container securityContext" in text
    assert "80  at spec.containers[0].ports[0].containerPort (line 9)" in text
    assert "the process is root (runAsUser 0 in the container securityContext) and keeps NET_BIND_SERVICE" in text
    assert "verdict: passes: no finding" in text


def test_explain_filters_by_container_and_reports_nothing_to_explain(tmp_path) -> None:
    text, _ = explain(plan(rules=["drop-net-bind-service"]), [str(FIXTURES / "positions" / "list.json")], "nope")
    assert "no container named 'nope'" in text


def test_explain_rules_with_each_clauses_show_the_deciding_elements() -> None:
    file = FIXTURES / "rules" / "pss-host-path-volumes" / "fail" / "host-path.yaml"
    text, errors = explain(plan(rules=["pss-host-path-volumes"]), [str(file)])
    assert errors == 0
    assert 'FAILS  {"each": {"pod": "spec.volumes[*]"}' in text
    assert '{"path": "/var/run/docker.sock"}  at spec.volumes[1].hostPath (line 11)' in text


def test_explain_notes_only_where_a_clause_decides_against_and_with_placeholders_filled(tmp_path) -> None:
    file = tmp_path / "sysctls.yaml"
    file.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n  securityContext:\n    sysctls:\n"
        "    - {name: kernel.shm_rmid_forced, value: '1'}\n    - {name: net.core.somaxconn, value: '1'}\n"
        "  containers: [{name: c, image: x}]\n"
    )
    text, _ = explain(plan(rules=["unsafe-sysctls"], settings=["k8s.version=v1.30"]), [str(file)])
    # The namespaced-sysctl clause holds: its values are listed without the note that would condemn them.
    lines = [line.strip() for line in text.splitlines()]
    assert "kernel.shm_rmid_forced  at spec.securityContext.sysctls[0] (line 7)" in lines
    assert not any(
        line.startswith(("kernel.shm_rmid_forced", "net.core.somaxconn")) and "node-level" in line for line in lines
    )
    assert (
        "net.core.somaxconn  at spec.securityContext.sysctls[1] (line 8)  is not in the safe set of Kubernetes "
        "v1.30: the kubelet rejects the pod (SysctlForbidden) unless it runs with "
        "--allowed-unsafe-sysctls=net.core.somaxconn"
    ) in text
    values = [line for line in lines if not line.startswith(("holds", "FAILS"))]
    assert not any("{param." in line or "{value}" in line for line in values)
    assert "is a network sysctl" not in "\n".join(values)  # the hostNetwork clause is not what fails


def test_explain_runs_on_every_rule_fixture() -> None:
    """Every rule (leaf, combinator and each clauses) explains its own pass and fail fixtures."""
    catalog = load_catalog()  # once, not per rule
    for rule_dir in sorted((FIXTURES / "rules").iterdir()):
        files = sorted(str(f) for f in rule_dir.glob("*/*") if f.suffix in (".yaml", ".yml", ".json"))
        text, _ = explain(plan_from(catalog, rules=[rule_dir.name]), files)
        assert f"rule {rule_dir.name} " in text and "verdict:" in text, rule_dir.name


def test_explain_attributes_a_spark_user_to_the_field_that_wins() -> None:
    """The template's runAsUser 0 is replaced by spec.driver's 185: explain names the driver's fields."""
    file = FIXTURES / "workloads" / "spark-pod-security-context-override.yaml"
    text, _ = explain(plan(rules=["pss-run-as-user"]), [str(file)])
    assert "185  at spec.driver.podSecurityContext.runAsUser (line 22)" in text
    assert "185  at spec.driver.securityContext.runAsUser (line 19)" in text
    assert "template.spec.securityContext" not in text and "verdict: passes: no finding" in text


def test_explain_names_the_file_capability_trap_when_net_bind_service_is_dropped() -> None:
    chart = FIXTURES / "spark-operator" / "chart-default.yaml"  # drop ALL by default since chart 2.1.0
    text, _ = explain(plan(rules=["drop-net-bind-service"]), [str(chart)], "spark-operator-webhook")
    assert "fails to exec with EPERM" in text and "getcap" in text and "#2211" in text
    quiet, _ = explain(
        plan(rules=["drop-net-bind-service"], settings=["file-capabilities=none"]),
        [str(chart)],
        "spark-operator-webhook",
    )
    assert "EPERM" not in quiet
