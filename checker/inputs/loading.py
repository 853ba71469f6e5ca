"""Read and parse every input discovery.py finds, in command-line order (many files in worker
processes); each source goes to the parser registered for its format.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable

from .decoding import read_source
from .discovery import discover
from .documents import STDIN_NAME, InputError, LoadResult, Source
from .json_parser import parse_json
from .render import RenderOptions, render_inputs
from .yaml_parser import parse_yaml

# The parser of each input format (Source.format): a function from a source to its documents and errors.
PARSERS: dict[str, Callable[[Source], LoadResult]] = {"yaml": parse_yaml, "json": parse_json}


def parse_source(source: Source) -> LoadResult:
    """Split a source into documents. A broken document is reported and its neighbours still parsed."""
    result = PARSERS[source.format](source)
    if source.encoding == "utf-32":
        result.errors.append(
            InputError(
                source.name,
                None,
                "UTF-32 text: kubectl reads only UTF-8 and UTF-16, so it cannot apply this file; kubecheck checked it",
            )
        )
    return result


PARALLEL_MIN_INPUTS = 200  # below this, starting worker processes costs more than it saves
CHUNK_SIZE = 64


Progress = Callable[[int, int], object]  # (inputs just done, inputs in all): for a progress bar


def load(
    paths: Iterable[str],
    include_hidden: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    render: RenderOptions | None = None,
) -> LoadResult:
    """Discover, read and parse every input, in command-line order. Many inputs are parsed in worker
    processes, in chunks whose results are joined in input order, so output stays deterministic.
    ``progress`` is told of each input (or chunk of inputs) parsed."""
    discovery = discover(paths, include_hidden, render.excludes if render else None)
    rendered = render_inputs(discovery.inputs, render)  # charts and overlays; the files they consumed are left out
    discovery.inputs = rendered.inputs
    result = LoadResult(errors=list(discovery.errors), inputs=len(discovery.inputs), hidden=discovery.hidden)
    excluded = discovery.excluded
    result.notes.extend(dict.fromkeys(excluded.notes()))
    result.warnings.extend(excluded.warnings())
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    files = [name for name in discovery.inputs if name != "-"]
    parsed: dict[str, LoadResult] = {}
    if workers > 1 and len(files) >= PARALLEL_MIN_INPUTS:
        parsed = _parse_in_workers(files, workers, progress)
    for name in discovery.inputs:
        part = parsed.get(name)
        if part is None:
            part = _read_and_parse(name)
            if progress is not None:
                progress(1, len(discovery.inputs))
        result.documents.extend(part.documents)
        result.errors.extend(part.errors)
    if excluded.listed or excluded.named:  # a chart renders whole: leave out what its excluded templates gave
        kept = [doc for doc in rendered.result.documents if not excluded.covers(doc.source.name)]
        rendered.result.documents = kept
    result.documents.extend(rendered.result.documents)
    result.errors.extend(rendered.result.errors)
    result.inputs += rendered.result.inputs
    result.notes.extend(rendered.notes)
    return result


def _read_and_parse(name: str) -> LoadResult:
    return parse_input(name, read_source(name))


def parse_input(name: str, source: Source | InputError) -> LoadResult:
    """The documents and errors of one input as read (an empty stdin is an error: see below)."""
    if isinstance(source, InputError):
        return LoadResult(errors=[source])
    result = parse_source(source)
    if name == "-" and not result.errors and all(document.data is None for document in result.documents):
        # `kubectl ... | kubecheck scan -` with a failed kubectl: an empty pipe must not pass the gate
        result.errors.append(InputError(STDIN_NAME, None, "no input on stdin (did the command before the pipe fail?)"))
    return result


def _parse_chunk(names: list[str]) -> list[tuple[str, LoadResult]]:
    return [(name, _read_and_parse(name)) for name in names]


def _parse_in_workers(files: list[str], workers: int, progress: Progress | None = None) -> dict[str, LoadResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [files[i : i + CHUNK_SIZE] for i in range(0, len(files), CHUNK_SIZE)]
    # fork is cheap and safe here (no threads); elsewhere the platform's default start method is used.
    # Not after the Helm SDK's Go runtime was loaded into this process (a forked Go runtime can hang).
    fork = sys.platform == "linux" and "helm_python" not in sys.modules
    context = multiprocessing.get_context("fork" if fork else None)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parsed: dict[str, LoadResult] = {}
            for chunk in pool.map(_parse_chunk, chunks):
                parsed.update(chunk)
                if progress is not None:
                    progress(len(chunk), len(files))
            return parsed
    except (OSError, RuntimeError):
        return {}  # no worker processes here: the caller parses in this process
