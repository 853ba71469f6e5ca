"""Image facts: the registry, name, tag and digest of a container's image as the runtime resolves them, and
the pull policy the container ends up with (written, or the API server's default for its tag).

A container without an image, or with text that is no image reference, has none of these facts.
"""

from __future__ import annotations

from ..semantics.images import ImageReference, default_pull_policy, parse_image
from .registry import fact
from .scope import Match, Scope


def _image(scope: Scope) -> tuple[ImageReference, Match] | None:
    """The container's parsed image and a match located at its image field, or None."""
    assert scope.container is not None
    text = scope.container.spec.get("image")
    if not isinstance(text, str):
        return None
    reference = parse_image(text)
    if not reference.valid:
        return None
    return reference, Match(text, scope.container_path(("image",)), f"image {text}")


@fact("container.image_registry", "container")
def _image_registry(scope: Scope) -> list[Match]:
    """The registry host the image is pulled from (docker.io when the reference names none)."""
    found = _image(scope)
    if found is None:
        return []
    reference, at = found
    return [Match(reference.registry, at.path, at.note)]


@fact("container.image_name", "container")
def _image_name(scope: Scope) -> list[Match]:
    """registry/repository of the image, normalized as the runtime does (nginx is docker.io/library/nginx)."""
    found = _image(scope)
    if found is None:
        return []
    reference, at = found
    return [Match(reference.name, at.path, at.note)]


@fact("container.image_tag", "container", record={"written": ("true", "false")})
def _image_tag(scope: Scope) -> list[Match]:
    """The tag the kubelet pulls: the one written, or latest when the reference has neither tag nor digest
    (record written: false). None for an image pinned by digest alone."""
    found = _image(scope)
    if found is None:
        return []
    reference, at = found
    tag = reference.effective_tag
    if tag is None:
        return []
    return [Match(tag, at.path, at.note, record={"written": reference.tag is not None})]


@fact("container.image_digest", "container")
def _image_digest(scope: Scope) -> list[Match]:
    """The digest the image is pinned by (sha256:...), when the reference writes one."""
    found = _image(scope)
    if found is None or found[0].digest is None:
        return []
    reference, at = found
    return [Match(reference.digest, at.path, at.note)]


@fact("container.image_pull_policy", "container", record={"defaulted": ("true", "false")})
def _image_pull_policy(scope: Scope) -> list[Match]:
    """The container's imagePullPolicy: as written (located there), or the API server's default for its image
    (Always for the latest tag, written or implied, else IfNotPresent; record defaulted: true, located at the
    image)."""
    assert scope.container is not None
    written = scope.container.spec.get("imagePullPolicy")
    if isinstance(written, str):
        return [Match(written, scope.container_path(("imagePullPolicy",)), "imagePullPolicy as written")]
    found = _image(scope)
    if found is None:
        return []
    reference, at = found
    tag = reference.effective_tag
    note = f"the default for {'the tag ' + tag if tag else 'an image pinned by digest alone'}"
    return [Match(default_pull_policy(reference), at.path, note, record={"defaulted": True})]
