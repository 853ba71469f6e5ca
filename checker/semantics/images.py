"""Container image references as the container runtime and the kubelet read them: the registry, repository,
tag and digest of ``[registry/]path[:tag][@digest]``, and the pull policy Kubernetes defaults to.

Parsing follows the normalisation of github.com/distribution/reference (ParseNormalizedNamed), which the
kubelet uses through pkg/util/parsers: a first path component is a registry host only when it contains a
``.`` or a ``:``, is ``localhost`` or has an upper-case letter; otherwise the image is on Docker Hub
(``docker.io``), where a one-component name lives under ``library/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
LEGACY_DOCKER_HUB = "index.docker.io"
DEFAULT_TAG = "latest"  # what the kubelet pulls when a reference names neither tag nor digest
# A digest as the reference grammar allows it: algorithm:hex (sha256:<64 hex>, sha512:...).
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")


@dataclass(frozen=True)
class ImageReference:
    """One image reference, split. ``tag`` and ``digest`` are None when the reference does not write them;
    ``valid`` is False for text that is no image reference (whitespace, an empty name, a malformed tag or
    digest), which the API server rejects or the runtime cannot pull."""

    text: str
    registry: str
    repository: str  # the path inside the registry: library/nginx, team/app
    tag: str | None
    digest: str | None
    valid: bool = True

    @property
    def name(self) -> str:
        """registry/repository, as the runtime names the image without tag and digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def mutable(self) -> bool:
        """Whether what the reference pulls can change: anything not pinned by a digest."""
        return self.digest is None

    @property
    def effective_tag(self) -> str | None:
        """The tag the kubelet resolves: the written one, or ``latest`` when neither tag nor digest is written."""
        if self.tag is None and self.digest is None:
            return DEFAULT_TAG
        return self.tag


def parse_image(text: str) -> ImageReference:
    """Split an image reference; never raises (a malformed one comes back with ``valid`` False)."""
    stripped = text.strip()
    rest, digest = stripped, None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
    tag = None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    registry, repository = _split_registry(rest)
    valid = (
        bool(repository)
        and stripped == text
        and not any(c.isspace() for c in text)
        and (tag is None or bool(_TAG.match(tag)))
        and (digest is None or bool(_DIGEST.match(digest)))
    )
    return ImageReference(text, registry, repository, tag, digest, valid)


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, remainder = name.partition("/")
    if slash and (("." in first or ":" in first) or first == "localhost" or first.lower() != first):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, name
    if registry == LEGACY_DOCKER_HUB:
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and repository and "/" not in repository:
        repository = f"library/{repository}"
    return registry, repository


PULL_ALWAYS, PULL_IF_NOT_PRESENT, PULL_NEVER = "Always", "IfNotPresent", "Never"


def default_pull_policy(reference: ImageReference) -> str:
    """The imagePullPolicy the API server sets when a container leaves it out (SetDefaults_Container in
    pkg/apis/core/v1/defaults.go): Always when the resolved tag is ``latest`` (written, or implied by a
    reference with neither tag nor digest), else IfNotPresent (a digest without a tag included)."""
    return PULL_ALWAYS if reference.effective_tag == DEFAULT_TAG else PULL_IF_NOT_PRESENT
