"""Image references split as the runtime reads them (registry, repository, tag, digest), the pull policy the
API server defaults to, and the image facts rules read."""

from __future__ import annotations

import pytest

from checker.api import plan
from checker.engine import scopes_of
from checker.facts import FACTS
from checker.inputs.documents import Source
from checker.inputs.loading import parse_source
from checker.inputs.resources import resources_of
from checker.semantics.images import default_pull_policy, parse_image
from checker.workloads.index import ScanContext

DIGEST = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("nginx", "docker.io", "library/nginx", None, None),
        ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
        ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", None),
        ("index.docker.io/library/nginx", "docker.io", "library/nginx", None, None),
        ("localhost/app", "localhost", "app", None, None),
        ("localhost:5000/app", "localhost:5000", "app", None, None),  # a port is not a tag
        ("registry.example.com:5000/team/app:v2", "registry.example.com:5000", "team/app", "v2", None),
        ("ghcr.io/acme/app@" + DIGEST, "ghcr.io", "acme/app", None, DIGEST),
        ("quay.io/app:latest@" + DIGEST, "quay.io", "app", "latest", DIGEST),
        ("Registry/app", "Registry", "app", None, None),  # upper case: a host, as the reference grammar says
        ("team/app", "docker.io", "team/app", None, None),
    ],
)
def test_references_split_as_the_runtime_does(text, registry, repository, tag, digest) -> None:
    reference = parse_image(text)
    assert reference.valid
    assert (reference.registry, reference.repository, reference.tag, reference.digest) == (
        registry,
        repository,
        tag,
        digest,
    )


@pytest.mark.parametrize("text", ["", " nginx", "nginx:", "nginx@sha256:abc", "ngi nx:1", "nginx:{{ .Values.tag }}"])
def test_text_that_is_no_image_reference_is_marked_invalid(text) -> None:
    assert not parse_image(text).valid


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("nginx", "Always"),  # no tag, no digest: latest
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("nginx@" + DIGEST, "IfNotPresent"),  # a digest without a tag: no tag to be latest
        ("nginx:latest@" + DIGEST, "Always"),
    ],
)
def test_the_default_pull_policy_follows_the_resolved_tag(text, policy) -> None:
    assert default_pull_policy(parse_image(text)) == policy


POD = """apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
  - {{name: c, image: "{image}"{extra}}}
"""


def _facts(image: str, extra: str = "") -> dict[str, list]:
    params = plan(packs=["best-practices"]).params
    parsed = parse_source(Source("t.yaml", POD.format(image=image, extra=extra), is_json=False))
    found = resources_of(parsed.documents)
    (scope,) = list(scopes_of(found.items[0], {"container"}, params, ScanContext.of(found.items)))
    names = ("registry", "name", "tag", "digest", "pull_policy")
    return {name: FACTS[f"container.image_{name}"].compute(scope) for name in names}


def test_image_facts_are_located_at_the_image_and_record_what_was_written() -> None:
    facts = _facts("nginx")
    assert [m.value for m in facts["name"]] == ["docker.io/library/nginx"]
    (tag,) = facts["tag"]
    assert (tag.value, tag.record, tag.path) == ("latest", {"written": False}, ("spec", "containers", 0, "image"))
    assert facts["digest"] == []
    (policy,) = facts["pull_policy"]
    assert (policy.value, policy.record) == ("Always", {"defaulted": True})


def test_a_written_pull_policy_is_located_at_its_field() -> None:
    (policy,) = _facts("app:1.2", ", imagePullPolicy: Never")["pull_policy"]
    assert (policy.value, policy.path, policy.record) == ("Never", ("spec", "containers", 0, "imagePullPolicy"), {})


def test_digest_only_images_have_no_tag_and_malformed_ones_no_facts() -> None:
    pinned = _facts("app@" + DIGEST)
    assert pinned["tag"] == [] and [m.value for m in pinned["digest"]] == [DIGEST]
    assert all(matches == [] for matches in _facts("app:{{ .Values.tag }}").values())
