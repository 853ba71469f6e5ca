"""kubecheck explain: facts with their steps and places, each clause's verdict, and the finding."""

from __future__ import annotations

from checker.api import plan
from checker.explain import explain

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
    file.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  os: {name: windows}\n"
                    "  containers:\n  - {name: c, image: x}\n")
    text, _ = explain(plan(rules=["drop-net-bind-service"]), [str(file)])
    assert "verdict: the rule does not apply here" in text


def test_explain_root_process_keeps_capability_no_finding(tmp_path) -> None:
    file = tmp_path / "root.yaml"
    file.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n  containers:\n"
                    "  - name: web\n    image: nginx\n    securityContext: {runAsUser: 0}\n"
                    "    ports: [{containerPort: 80}]\n")
    text, _ = explain(plan(rules=["privileged-port-without-capability"]), [str(file)], "web")
    assert "runAsUser 0 in the container securityContext" in text
    assert "80  at spec.containers[0].ports[0].containerPort (line 9)" in text
    assert "the process is root (runAsUser 0 in the container securityContext) and keeps NET_BIND_SERVICE" in text
    assert "verdict: passes: no finding" in text


def test_explain_filters_by_container_and_reports_nothing_to_explain(tmp_path) -> None:
    text, _ = explain(plan(rules=["drop-net-bind-service"]), [str(FIXTURES / "positions" / "list.json")], "nope")
    assert "no container named 'nope'" in text
