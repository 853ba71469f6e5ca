"""Objects with a field of a type Kubernetes refuses are input errors with file and line, never findings;
the other objects of the scan are checked as usual."""

from __future__ import annotations

import pytest

from checker.api import plan, read_text, run
from checker.workloads.shapes import set_aside_misshapen

from .conftest import FIXTURES, scan

SHAPES = FIXTURES / "shapes"
CASES = {
    "unquoted-arg-read-as-mapping.yaml": (
        11,
        "spec.containers[0].args[0] is a mapping where Kubernetes expects a string",
    ),
    "containers-as-mapping.yaml": (16, "spec.template.spec.containers is a mapping where Kubernetes expects a list"),
    "env-value-boolean.yaml": (
        15,
        "spec.containers[0].env[0].value is true (true or false) where Kubernetes expects a string",
    ),
    "run-as-user-string.yaml": (
        9,
        "spec.securityContext.runAsUser is a string ('0') where Kubernetes expects an integer",
    ),
}
PACKS = ["network-hardening", "pss-baseline", "pss-restricted"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_misshapen_object_is_an_input_error_at_its_field(name) -> None:
    line, message = CASES[name]
    report = scan([SHAPES / name, FIXTURES / "kubectl" / "deployment-web.yaml"], packs=PACKS)
    [error] = report.errors
    assert (error.file, error.line) == (str(SHAPES / name), line)
    assert message in error.message and "Kubernetes refuses the object" in error.message
    assert {f.file for f in report.findings} == {str(FIXTURES / "kubectl" / "deployment-web.yaml")}
    assert report.resources == 1  # the sibling was checked, the refused object was not


def test_every_shape_fixture_has_a_case() -> None:
    assert {p.name for p in SHAPES.glob("*.yaml")} == set(CASES)


def test_well_typed_and_null_fields_and_unknown_kinds_are_not_refused() -> None:
    text = """apiVersion: v1
kind: Pod
metadata: {name: fine}
spec:
  securityContext: ~
  hostNetwork: false
  containers:
  - name: app
    image: app:1
    args: ["--port", "8080"]
    ports: [{containerPort: 8080}]
    env: [{name: A, value: "true"}]
    securityContext: {runAsUser: 1000, capabilities: {drop: [ALL]}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: custom}
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
        args: [{not: a string}]
"""
    loaded = read_text("fine.yaml", text)
    scanned = run(plan(), loaded)
    assert scanned.errors == [] and len(scanned.resources) == 2


def test_true_is_not_an_integer() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsUser: true}\n"
    scanned = run(plan(), read_text("p.yaml", text))
    [error] = scanned.errors
    assert "runAsUser is true (true or false) where Kubernetes expects an integer" in error.message
    assert set_aside_misshapen([]) == ([], [])
