"""The streamed scan of files, directories and stdin: each input is read, checked and let go on --jobs
worker processes, keeping only its findings and the small scan-wide index of the objects others look up;
the report is byte for byte the one api.run() gives over the same inputs read all at once.

Two passes over the inputs, in command-line order:
1. index: the inputs whose text names a kind that rules or facts look up (Plan.related_kinds: Services,
   ConfigMaps, ServiceAccounts, and the kinds of rules' related: subjects) or a Kustomization are parsed,
   and those objects kept; the files Kustomizations name as
   patches are found. Lookups then see exactly the objects ScanContext.of(all the scan's objects) holds
   of those kinds, in the same order (patch files and refused objects left out).
2. check: every input in full against that index: its objects evaluated, its findings located, rendered
   and matched against suppressions and exemptions; only what the report needs comes back.
Notes on suppressions and exemptions are made once every input is done (suppress.summarise), as is the
report, in the order run() gives. Rendered charts and overlays are one input, the last (parsed by
render_inputs, handed over packed, checked after the workers end: one part per batch of documents). A run
with --framework uses the in-memory run(): a framework's controls count objects across the whole scan; so
does a plan with rules over the workloads of a namespace or the pods a Service selects (the references
pack), which need every workload of the scan in the index.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import signal
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, overload

from .api import Plan, run_plan
from .engine import evaluate
from .exemptions import EXPIRED_INFO
from .finalise import finalise_part
from .findings import Finding, Report, RuleInfo
from .inputs import pieces as pieces_
from .inputs.decoding import MAX_FILE_BYTES, MAX_STREAMED_BYTES, read_source
from .inputs.discovery import MANIFEST_SUFFIXES, Discovery, discover
from .inputs.documents import Document, InputError, LoadResult, Source
from .inputs.excludes import Excluded
from .inputs.kustomize import KUSTOMIZE_KINDS, patch_files
from .inputs.loading import Progress, parse_input
from .inputs.pieces import Piece, detached, naming, parse_piece
from .inputs.render import Rendered, RenderOptions, render_inputs
from .inputs.resources import Resource, resources_of
from .report.spill import FindingSpill
from .scan_cache import ScanCache, code_hash, content_hash, plan_hash
from .scan_units import Names, Unit, Units
from .suppress import Matched, Suppressed, summarise
from .workloads.index import WORKLOAD, ScanContext
from .workloads.packed import OnDisk, PackedObjects
from .workloads.packed import forget as forget_packed
from .workloads.shapes import set_aside_misshapen

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

R = TypeVar("R")
T = TypeVar("T")
PARALLEL_MIN_INPUTS = 64  # fewer inputs than this are checked in this process: workers would cost more
CHUNK_SIZE = 16  # inputs a worker takes at a time
# While this process checks chunks, the pool's feeder thread (which hands the worker its next chunk and reads
# its results) waits for the GIL up to the switch interval (5 ms by default) each time it wakes: with chunks
# of some 50 ms the worker idled about a tenth of the time. Measured on the 50,000-file tree at --jobs 2:
# 165-172 s with the default interval, 156-161 s with this one (--jobs 1: 262 s).
SWITCH_INTERVAL = 0.0005  # seconds
CHUNKS_AHEAD = 3  # chunks sent to each worker before it is done with the first (so it never waits for one)
PIECE_WEIGHT = 16  # a piece of a big input (about a mebibyte) is as much work as this many small inputs
WHOLE = -1  # the part number of an input read whole (not cut into pieces)


@dataclass
class Checked:
    """What checking one input gave: everything the report needs of it, nothing it was made from."""

    number: int
    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    matched: Matched = field(default_factory=Matched)
    errors: list[InputError] = field(default_factory=list)  # the input's own, then its refused objects
    refused: list[InputError] = field(default_factory=list)
    resources: int = 0
    skipped_documents: int = 0
    patch_notes: list[str] = field(default_factory=list)
    generic_notes: list[str] = field(default_factory=list)


@dataclass
class Collected:
    """What the report needs of every input checked, summed as each comes (in input order): one
    Checked per input is not kept (an empty one is about 1.5 KB: 150 MB for 100,000 files), and the kept
    findings wait in a spill file (report/spill.py) with only their sort keys in memory."""

    spill: FindingSpill = field(default_factory=FindingSpill)
    inputs: int = 0
    suppressed: list[Suppressed] = field(default_factory=list)
    matched: Matched = field(default_factory=Matched)
    errors: list[InputError] = field(default_factory=list)
    refused: list[InputError] = field(default_factory=list)
    resources: int = 0
    skipped_documents: int = 0
    patch_notes: list[str] = field(default_factory=list)
    generic_notes: list[str] = field(default_factory=list)

    def spill_findings(self, checked: Checked) -> None:
        """Move the kept findings of an input or one of its parts into the spill, in the order they come (a
        big input's parts, the rendered input's batches: none holds them all)."""
        self.spill.add(checked.kept)
        checked.kept = []

    def add(self, checked: Checked) -> None:
        """Count in an input whose parts are all in (and their findings spilled)."""
        self.inputs += 1
        self.suppressed += checked.suppressed
        self.matched.merge(checked.matched)
        self.errors += checked.errors
        self.refused += checked.refused
        self.resources += checked.resources
        self.skipped_documents += checked.skipped_documents
        self.patch_notes += checked.patch_notes
        self.generic_notes += checked.generic_notes


@dataclass
class _IndexPart:
    """What pass 1 keeps of one input or piece: its Kustomizations (read for the files they name as
    patches), and its objects of the kinds looked up, packed (workloads/packed.py)."""

    kustomizations: list[Resource] = field(default_factory=list)
    related: PackedObjects = field(default_factory=PackedObjects)

    def __len__(self) -> int:
        return len(self.kustomizations) + len(self.related)

    def add(self, resources: list[Resource]) -> None:
        self.kustomizations += [resource for resource in resources if resource.kind in KUSTOMIZE_KINDS]
        self.related.add(resource for resource in resources if resource.kind in _state.related)

    def objects(self) -> list[Resource]:
        """Every object it holds (those packed made again), in the order they were added."""
        return [*self.kustomizations, *self.related.objects()]


@dataclass
class _State:
    """What worker processes inherit (they are forked after the index is built)."""

    plan: Plan | None = None
    positions: bool = True
    related: frozenset[str] = frozenset()
    texts: dict[str, Source | InputError] = field(default_factory=dict)  # stdin, read once
    rendered: LoadResult = field(default_factory=LoadResult)  # charts and overlays (the last input): errors
    rendered_documents: list[bytes] = field(default_factory=list)  # and their documents, packed in batches
    rendered_index: _IndexPart = field(default_factory=_IndexPart)  # the index's objects of them
    context: ScanContext = field(default_factory=ScanContext)
    patches: frozenset[str] = frozenset()
    patch_names: frozenset[str] = frozenset()
    parent: int = 0
    pieces: dict[int, list[Piece]] = field(default_factory=dict)  # stdin, cut (pieces.py)
    cut: dict[int, int] = field(default_factory=dict)  # big files: how many pieces (cut again where read)
    piece_chars: int = pieces_.PIECE_CHARS
    cache: ScanCache | None = None
    plan_key: str = ""  # scan_cache.plan_hash of the run
    index_key: str = ""  # the inputs that gave the index, by name and content hash


_state = _State()
RENDERED = -1  # the number of the rendered input


def scan(
    chosen: Plan,
    paths: Iterable[str],
    include_hidden: bool = False,
    reading: Progress | None = None,
    checking: Progress | None = None,
    render: RenderOptions | None = None,
    jobs: int | None = None,
    cache: str | None = None,
    piece_chars: int = pieces_.PIECE_CHARS,
) -> Report:
    """Scan files, directories or "-" (stdin) with a plan on ``jobs`` processes (default: one per core), the
    same report as api.run_plan(); the kinds the plan's rules and facts look up in other inputs
    (Plan.related_kinds) are indexed in pass 1; ``cache``: a directory where inputs' results are kept
    between scans (scan_cache.py); inputs longer than ``piece_chars`` are cut into pieces of about that size
    (pieces.py: checked on their own, by several workers). Raises CacheError when that directory cannot be
    used."""
    paths = list(paths)
    if chosen.frameworks or WORKLOAD in chosen.related_kinds:
        # a framework counts objects over the whole scan; a rule over the workloads of a namespace (the
        # references pack) needs every workload in the index: both take the in-memory run
        return run_plan(chosen, paths, include_hidden, reading, checking, render)
    with _few_collections():
        return _scan(chosen, paths, include_hidden, reading, checking, render, jobs, cache, piece_chars)


# The cyclic garbage collector's thresholds during a streamed scan: parsing makes and drops millions of dicts
# and lists (none in cycles: reference counting frees them), and with the default 700 young collections
# run every few documents and a full one every few pieces, a fifth of a big stream's time (stream-5000:
# 3.6-4.2 s of CPU with the defaults, 2.8-3.1 s with these and the plan frozen).
GC_THRESHOLDS = (50_000, 20, 20)


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Collect garbage cycles less often while the scan runs (and never look again at the objects made
    before it, the plan's: gc.freeze); the process's settings are restored after."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _scan(
    chosen: Plan,
    paths: list[str],
    include_hidden: bool,
    reading: Progress | None,
    checking: Progress | None,
    render: RenderOptions | None,
    jobs: int | None,
    cache: str | None,
    piece_chars: int,
) -> Report:
    global _state
    _state = _State(chosen, True, chosen.related_kinds, parent=os.getpid())
    kept = ScanCache(cache) if cache is not None else None
    discovery, handed = _discover_and_render(paths, include_hidden, render, jobs, kept)
    excluded = discovery.excluded
    rendered = handed.rendered
    inputs = handed.names
    _state.rendered = rendered.result  # its errors: its documents come packed
    _state.rendered_documents, _state.rendered_index = handed.documents, handed.index
    if kept is not None:
        _state.cache = kept
        _state.plan_key = plan_hash(chosen.rules, chosen.params, chosen.controls, _state.related)
    _state.piece_chars = piece_chars
    units = _units(inputs)
    if handed.any_documents or rendered.result.errors:  # one part per batch, checked like a big input's pieces
        units.extend((RENDERED, part) for part in range(max(1, len(handed.documents))))
    workers = _workers(jobs, _weight(units))
    try:
        parts: dict[Unit, _IndexPart] = {}  # of the inputs and pieces that hold any
        index_key = hashlib.sha256()
        for unit, part, digest in _map(_index_part, units, inputs, workers):
            number = unit[0]
            if part is not None:
                parts[unit] = part
            if part is not None and cache is not None:
                index_key.update(f"{number}\0{inputs[number] if number != RENDERED else ''}\0{unit[1]}\0".encode())
                index_key.update(digest.encode() if digest else _objects_hash(part))
            if reading is not None and number != RENDERED and unit[1] <= 0:
                reading(1, len(inputs))
        _state.index_key = index_key.hexdigest()
        _build_index(parts.pop(unit) for unit in units if unit in parts)
        _state.rendered_index = _IndexPart()
        _cut_file.cache_clear()
        collected = Collected()
        done = objects = 0
        pending: Checked | None = None  # the input whose pieces are being joined
        for checked in _map(_check_part, units, inputs, workers):
            done += 1  # in input order: the files (a cut input's pieces one after another), then the rendered input
            objects += checked.resources
            collected.spill_findings(checked)
            if checking is not None:
                checking(checked.resources, max(objects, objects * len(units) // done))
            if pending is not None and pending.number == checked.number:
                _join(pending, checked)
                continue
            if pending is not None:
                collected.add(pending)
            pending = checked
        if pending is not None:
            collected.add(pending)
        errors = [*discovery.errors, *collected.errors, *collected.refused]  # the rendered input's last
        loaded = LoadResult(
            errors=errors,
            inputs=len(inputs) + rendered.result.inputs,
            hidden=discovery.hidden,
            notes=[*dict.fromkeys(excluded.notes()), *rendered.notes],
            warnings=excluded.warnings(),
        )
        return _report(chosen, loaded, collected)
    finally:
        _state = _State()
        _cut_file.cache_clear()
        forget_packed()


# --- processes -------------------------------------------------------------------------------------------


def _units(inputs: Sequence[str]) -> Units:
    """The work of the scan: each input whole, or each piece of an input too big to read whole (stdin and
    files longer than _state.piece_chars are cut). Stdin's pieces are kept in _state for the workers; of a
    file, only how many: its text is read and cut again where a piece is parsed (_pieces_of), so the scan
    does not hold the text of every big file (a 2 MB file in each of 34 copies of a tree: 66 MB, shared
    with every worker)."""
    units = Units()
    for number, name in enumerate(inputs):
        split = _split(name)
        if split is None:
            units.append((number, WHOLE))
            continue
        if name == "-":
            _state.pieces[number] = split
        else:
            _state.cut[number] = len(split)
        units.extend((number, part) for part in range(len(split)))
    _cut_file.cache_clear()
    return units


def _piece(number: int, part: int, name: str) -> Piece | InputError:
    """One piece of a cut input: stdin's from _state, a file's from the file, cut again the way _units cut
    it (the last file cut is kept: its pieces are mostly taken one after another). A file that no longer
    cuts into as many pieces changed while it was scanned: an error, not a guess."""
    if number in _state.pieces:
        return _state.pieces[number][part]
    pieces = _cut_file(name, _state.piece_chars)
    if len(pieces) != _state.cut[number]:
        return InputError(name, None, "the file changed while it was scanned; read it again")
    return pieces[part]


@functools.lru_cache(maxsize=1)
def _cut_file(name: str, piece_chars: int) -> list[Piece]:
    source = read_source(name, MAX_STREAMED_BYTES)
    return pieces_.split(source, piece_chars) if isinstance(source, Source) else []


def _split(name: str) -> list[Piece] | None:
    """The pieces of a big input (None: read it whole). Only a cut input may be longer than MAX_FILE_BYTES:
    one that cannot be cut is refused as before."""
    if name == "-":
        source = read_source(name, MAX_STREAMED_BYTES)
    else:
        try:
            if os.path.getsize(name) <= _state.piece_chars:
                return None
        except OSError:
            return None  # read_source says why, in pass 1
        source = read_source(name, MAX_STREAMED_BYTES)
    if isinstance(source, Source) and len(source.text) > _state.piece_chars:
        cut = pieces_.split(source, _state.piece_chars)
        if len(cut) > 1 or cut[0].refused:
            return cut
    if isinstance(source, Source) and _bytes(source.text) > MAX_FILE_BYTES:
        size = MAX_FILE_BYTES // (1024 * 1024)
        message = f"input is larger than {size} MiB and cannot be cut into documents; refused"
        _state.texts[name] = InputError(source.name, None, message)
    elif name == "-":
        _state.texts[name] = source
    return None


def _bytes(text: str) -> int:
    return len(text) if len(text) * 4 <= MAX_FILE_BYTES else len(text.encode("utf-8", "surrogatepass"))


def _weight(units: Iterable[Unit]) -> int:
    return sum(PIECE_WEIGHT if part != WHOLE else 1 for _, part in units)


def _join(whole: Checked, piece: Checked) -> None:
    """Add the results of a cut input's next piece to those of its pieces before."""
    whole.kept += piece.kept
    whole.suppressed += piece.suppressed
    whole.matched.merge(piece.matched)
    whole.errors = list(dict.fromkeys([*whole.errors, *piece.errors]))  # a List's duplicate keys: once
    whole.refused += piece.refused
    whole.resources += piece.resources
    whole.skipped_documents += piece.skipped_documents
    whole.patch_notes += piece.patch_notes
    whole.generic_notes += piece.generic_notes


def _workers(jobs: int | None, inputs: int) -> int:
    """Worker processes for this scan: none for few inputs, or where forking is unsafe or impossible (the
    Helm SDK's Go runtime, once loaded to render a chart, can hang in a forked child)."""
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    forkable = sys.platform == "linux" and "helm_python" not in sys.modules
    return jobs if jobs > 1 and inputs >= PARALLEL_MIN_INPUTS and forkable else 1


@dataclass
class _HandedOver:
    """What rendering the charts and overlays hands the scan: render_inputs()'s result without its documents,
    which come packed (pickle and zlib: unpacked only when the rendered input is checked, last, after the
    workers are gone), and the objects of them the index keeps. The scan's process so never holds every
    rendered document while it reads the other inputs or forks workers (34 copies of the corpus render
    about 3,400 overlays and charts: some 70 MB of parsed documents)."""

    rendered: Rendered  # without its inputs: they are in names
    documents: list[bytes] = field(default_factory=list)  # batches of RENDERED_BATCH documents or more
    index: _IndexPart = field(default_factory=_IndexPart)
    names: Names = field(default_factory=Names)  # the inputs left to read, in one string (scan_units.py)

    @property
    def any_documents(self) -> bool:
        return bool(self.documents)  # a batch is packed only when it holds documents


def _discover_and_render(
    paths: list[str], include_hidden: bool, render: RenderOptions | None, jobs: int | None, cache: ScanCache | None
) -> tuple[Discovery, _HandedOver]:
    """discover() and render_inputs(), in a forked child when the scan may fork workers (_workers, on a
    quick count of the inputs: _at_least). Rendering a chart loads the Helm SDK's Go runtime, after which
    this process must not fork (a forked Go runtime can hang); and the walk's high-water mark (each file's
    path, real path and order key: some 45 MB at 100,000 files, scattered over memory the allocator then
    cannot give back) stays in the child, which sends back the names in one string. With a cache,
    unchanged charts and overlays are not rendered again (inputs/render/cache.py)."""
    salt = code_hash() if cache is not None else ""
    if _workers(jobs, _at_least(PARALLEL_MIN_INPUTS, paths, include_hidden)) <= 1:
        return _discovered_and_handed(paths, include_hidden, render, cache, salt, jobs)
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_die_with_parent) as pool:
        return pool.submit(_discovered_and_handed, paths, include_hidden, render, cache, salt, jobs).result()


def _discovered_and_handed(
    paths: list[str],
    include_hidden: bool,
    render: RenderOptions | None,
    cache: ScanCache | None,
    salt: str,
    jobs: int | None,
) -> tuple[Discovery, _HandedOver]:
    """discover() and _hand_over() where this runs: the Discovery without its list of names, which come as
    one Names (scan_units.py) in what is handed over, with render_inputs()'s result."""
    discovery = discover(paths, include_hidden, render.excludes if render else None)
    handed = _hand_over(
        discovery.inputs, render, cache, salt, _workers(jobs, len(discovery.inputs)), discovery.excluded
    )
    handed.names = Names(handed.rendered.inputs)
    discovery.inputs = handed.rendered.inputs = []
    return discovery, handed


def _at_least(count: int, paths: list[str], include_hidden: bool) -> int:
    """How many manifest files the paths name, counted up to ``count`` (a walk that stops there): what
    deciding to fork needs to know before discovery, which then finds the real inputs."""
    found = 0
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            found += 1
        else:
            for _, folders, files in os.walk(path):
                if not include_hidden:
                    folders[:] = [name for name in folders if not name.startswith(".")]
                found += sum(1 for name in files if name.lower().endswith(MANIFEST_SUFFIXES))
                if found >= count:
                    break
        if found >= count:
            break
    return found


def _hand_over(
    inputs: list[str], render: RenderOptions | None, cache: ScanCache | None, salt: str, jobs: int, excluded: Excluded
) -> _HandedOver:
    """render_inputs() with each chart's and overlay's documents packed as they come (a batch as soon as it
    is whole, the index's objects of them at once), so that at most one batch is held parsed."""
    handed = _HandedOver(Rendered([]))
    batches = _Batches()

    def take(documents: list[Document]) -> None:
        if excluded.listed or excluded.named:  # a chart renders whole: leave out what its excluded templates gave
            documents = [d for d in documents if not excluded.covers(d.source.name)]
        handed.index.add(resources_of(documents).items)
        handed.documents += [_packed_batch(batch) for batch in batches.add(documents)]

    handed.rendered = render_inputs(inputs, render, cache, salt, jobs, take)
    handed.documents += [_packed_batch(batch) for batch in batches.add([], last=True)]
    return handed


def _packed_batch(batch: list[Document]) -> bytes:
    return zlib.compress(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL), 1)


RENDERED_BATCH = 500  # rendered documents checked at a time (the whole sources they come from)


class _Batches:
    """The rendered documents in batches of whole sources (a chart template's, an overlay build's), each of
    RENDERED_BATCH documents or more but the last: checked one after another like the pieces of a big input
    (34 copies of the corpus render some 40,000 documents: checked at once, they took 200 MB more). Given
    the documents as they are rendered, a batch is handed out as soon as the next source begins."""

    def __init__(self) -> None:
        self.batch: list[Document] = []

    def add(self, documents: list[Document], last: bool = False) -> Iterator[list[Document]]:
        for document in documents:
            if len(self.batch) >= RENDERED_BATCH and document.source.name != self.batch[-1].source.name:
                yield self.batch
                self.batch = []
            self.batch.append(document)
        if last and self.batch:
            yield self.batch
            self.batch = []


def _map(function: Callable[[Unit, str], R], units: Units, inputs: Sequence[str], workers: int) -> Iterator[R]:
    """function over the units of work, in order: here, or in ``workers`` forked processes that inherit the
    scan's state; the rendered input (already parsed, its units last) is always done here, last."""
    files = units[: sum(1 for unit in units if unit[0] != RENDERED)]
    if workers > 1:
        yield from _in_workers(function, files, inputs, workers)
    else:
        for unit in files:
            yield function(unit, inputs[unit[0]])
    for unit in units[len(files) :]:
        yield function(unit, "")


def _in_workers(function: Callable[[Unit, str], R], units: Units, inputs: Sequence[str], workers: int) -> Iterator[R]:
    from concurrent.futures import ProcessPoolExecutor

    work = _Chunks(units, inputs)
    context = multiprocessing.get_context("fork")
    # The workers share the parent's memory (the index) until they write to it, and a
    # garbage collection in a worker writes to every object it walks, copying the parent's heap page by
    # page into each worker. gc.freeze() moves the parent's objects out of the collector's reach before the
    # fork (https://docs.python.org/3/library/gc.html#gc.freeze), so they stay shared. They stay frozen
    # until the scan ends (_few_collections unfreezes everything then).
    gc.collect()
    gc.freeze()
    # This process is one of the workers: it forks one fewer and checks chunks too while they check theirs.
    # Each forked worker costs its own memory (the pages of this process it copies, and its own high-water
    # mark: some 125 MB each at 34 copies of the corpus), and this process would only wait for them.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context, initializer=_die_with_parent) as pool:
            for done in _in_order(function, work, pool, workers - 1):
                yield from done
    finally:
        sys.setswitchinterval(switch)


class _Chunks(Sequence[list[tuple[Unit, str]]]):
    """The units of work in chunks: CHUNK_SIZE small inputs at a time, or one piece of a big one; each made
    when it is taken, so the scan does not hold every (unit, name) pair (100,000 of them at 34 copies of the
    corpus, made before the workers are forked: the pages they sat on were copied into each as they were
    read). Only where each chunk starts is kept."""

    def __init__(self, units: Units, inputs: Sequence[str]) -> None:
        self.units, self.inputs = units, inputs
        self.starts = array("q", [0])
        weight = 0
        for number, (_, part) in enumerate(units):
            if weight >= CHUNK_SIZE:
                self.starts.append(number)
                weight = 0
            weight += PIECE_WEIGHT if part != WHOLE else 1
        self.starts.append(len(units))

    def __len__(self) -> int:
        return len(self.starts) - 1 if self.units else 0

    @overload
    def __getitem__(self, number: int) -> list[tuple[Unit, str]]: ...

    @overload
    def __getitem__(self, number: slice) -> Sequence[list[tuple[Unit, str]]]: ...

    def __getitem__(self, number: int | slice) -> list[tuple[Unit, str]] | Sequence[list[tuple[Unit, str]]]:
        if isinstance(number, slice):
            return [self[n] for n in range(*number.indices(len(self)))]
        units = self.units[self.starts[number] : self.starts[number + 1]]
        return [(unit, self.inputs[unit[0]]) for unit in units]


def _in_order(
    function: Callable[[Unit, str], R], work: Sequence[list[tuple[Unit, str]]], pool: Executor, size: int
) -> Iterator[list[R]]:
    """The results of every chunk of ``work``, in order (as pool.map gives them), the chunks shared between
    the pool and this process: the pool is kept CHUNKS_AHEAD chunks ahead per worker, and while the chunk due next
    is not back, this process checks the next chunk nobody has taken (its results wait for their turn)."""
    sent: dict[int, Future[list[R]]] = {}
    ready: dict[int, list[R]] = {}
    taken = 0  # the chunks before this one are sent or done here
    for number in range(len(work)):
        while number not in ready:
            future = sent.get(number)
            if future is not None and (future.done() or taken == len(work)):
                ready[number] = sent.pop(number).result()
                continue
            while len(sent) < CHUNKS_AHEAD * size and taken < len(work):
                sent[taken] = pool.submit(_run_chunk, function, work[taken])
                taken += 1
            if taken < len(work):
                ready[taken] = _run_chunk(function, work[taken])
                taken += 1
        yield ready.pop(number)


def _run_chunk(function: Callable[[Unit, str], R], chunk: list[tuple[Unit, str]]) -> list[R]:
    return [function(unit, name) for unit, name in chunk]


def _die_with_parent() -> None:
    """A worker ends when the scan's process does, even if that one is killed (SIGKILL leaves no time to
    stop its pool): Linux's PR_SET_PDEATHSIG (prctl(2)) sends SIGKILL to the worker when its parent dies.
    The parent may have died before the call: then the worker has a new parent and stops now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the pool's own checks remain
        pass
    if os.getppid() != _state.parent:
        os._exit(1)


# --- pass 1: the index -----------------------------------------------------------------------------------


def _source(name: str) -> Source | InputError:
    source = _state.texts.get(name)
    return source if source is not None else read_source(name)


def _cacheable(number: int, name: str, source: Source | InputError) -> bool:
    return _state.cache is not None and number != RENDERED and name not in _state.texts and isinstance(source, Source)


def _index_part(unit: Unit, name: str) -> tuple[Unit, _IndexPart | None, str]:
    """The objects of one input (or piece) that others may look up, or that name patch files (an input
    whose text names none of those kinds is not parsed; of a piece, only the documents that name one; None
    when there are none), and the hash of the input's content ("" when not cached)."""
    wanted = _state.related | set(KUSTOMIZE_KINDS)
    number, part = unit
    kept = _IndexPart()
    if number == RENDERED:
        return unit, (_state.rendered_index or None) if part == 0 else None, ""
    if part != WHOLE:
        piece = _piece(number, part, name)
        if isinstance(piece, InputError):
            return unit, None, ""  # pass 2 says why
        found = [r for r in resources_of(naming(piece, sorted(wanted)).documents).items if r.kind in wanted]
        own: dict[int, Document] = {}
        for resource in found:  # each keeps its own document's text, not the whole piece's
            document = resource.document
            resource.document = own.setdefault(id(document), detached(document))
        kept.add(found)
        return unit, kept or None, ""
    source = _source(name)
    text = source.text if isinstance(source, Source) else ""
    if not any(kind in text for kind in wanted):
        return unit, None, ""
    digest, key = "", ""
    if _cacheable(number, name, source) and _state.cache is not None:
        digest = content_hash(name, text)
        key = ScanCache.key("index", code_hash(), *sorted(wanted), digest)
        cached = _state.cache.get(key)
        if isinstance(cached, _IndexPart):
            return unit, cached or None, digest
    found = [
        resource for resource in resources_of(parse_input(name, source).documents).items if resource.kind in wanted
    ]
    if name not in _state.texts and found:
        first = found[0].document.source
        on_disk = OnDisk(first.name, "", first.is_json, first.encoding)
        for resource in found:  # its text is read again if ever needed: not kept for the whole scan
            document = resource.document
            resource.document = Document(
                on_disk, document.index, document.line, document.data, document.start, document.end
            )
    kept.add(found)
    if key and _state.cache is not None:
        _state.cache.put(key, kept)
    return unit, kept or None, digest


def _text_of(name: str) -> str:
    source = _state.texts.get(name)
    if source is None:
        source = read_source(name)
    return source.text if isinstance(source, Source) else ""


def _objects_hash(part: _IndexPart) -> bytes:
    """The hash of objects that were not read from a cached file (stdin, a rendered chart)."""
    described = [(r.document.source.name, r.document.index, r.base, r.obj) for r in part.objects()]
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=repr).encode()).digest()


def _build_index(parts: Iterable[_IndexPart]) -> None:
    """The scan-wide index from pass 1's parts in scan order: what ScanContext.of(checked) would hold of
    the related kinds (checked: not a patch file named by a Kustomization of the scan, not refused). The
    parts' packed objects are made again one part at a time and packed into one buffer (PackedObjects), so
    this process never holds them all as Python objects (which lookups would then copy into each worker)."""
    parts = list(parts)
    _state.patches = frozenset(patch_files([resource for part in parts for resource in part.kustomizations]))
    _state.patch_names = frozenset(os.path.basename(path) for path in _state.patches)  # resolve only these
    indexed = PackedObjects()
    parts.reverse()
    while parts:  # in scan order, each let go once added
        related = parts.pop().related.objects()
        indexed.add(set_aside_misshapen([resource for resource in related if not _is_patch(resource)])[0])
    _state.context = ScanContext(indexed, _state.related)
    _state.context.build_indexes()  # here, once: the workers share them


def _is_patch(resource: Resource) -> bool:
    """kustomize.split_patches' test for one object."""
    if not _state.patches:
        return False
    source = resource.document.source.name
    return os.path.basename(source) in _state.patch_names and os.path.realpath(source) in _state.patches


# --- pass 2: checking ------------------------------------------------------------------------------------


def _check_part(unit: Unit, name: str) -> Checked:
    """What checking one input (or piece) gives; from the cache when it holds the input's content checked
    with this run's rules and index (pieces of a big input are not cached)."""
    number, part = unit
    if number == RENDERED:  # one batch of the rendered documents; the first part also has their errors
        return _check(number, LoadResult(_unpacked_batch(part), list(_state.rendered.errors) if part == 0 else []))
    if part != WHOLE:
        piece = _piece(number, part, name)
        if isinstance(piece, InputError):
            return _check(number, LoadResult(errors=[piece]))
        return _check(number, parse_piece(piece))
    source = _source(name)
    if not _cacheable(number, name, source) or _state.cache is None or not isinstance(source, Source):
        return _check(number, parse_input(name, source))
    key = ScanCache.key("check", _state.plan_key, _state.index_key, content_hash(name, source.text))
    checked = _state.cache.get(key)
    if isinstance(checked, Checked):
        checked.number = number
        return checked
    checked = _check(number, parse_input(name, source))
    _state.cache.put(key, checked)
    return checked


def _unpacked_batch(part: int) -> list[Document]:
    """A batch of rendered documents (our own bytes, packed by _hand_over), let go of as it is read."""
    batches = _state.rendered_documents
    if part >= len(batches):
        return []
    packed, batches[part] = batches[part], b""
    documents: list[Document] = pickle.loads(zlib.decompress(packed))
    return documents


def _check(number: int, parsed: LoadResult) -> Checked:
    chosen = _state.plan
    assert chosen is not None
    found = resources_of(parsed.documents)
    checked = Checked(number, errors=list(parsed.errors), skipped_documents=found.skipped)
    own: list[Resource] = []
    patches: list[Resource] = []
    for resource in found.items:
        (patches if _is_patch(resource) else own).append(resource)
    own, checked.refused = set_aside_misshapen(own)
    checked.resources = len(own)
    checked.patch_notes = [
        f"{r.document.source.name}:{r.document.line}: {r.kind} {r.name}: a kustomize patch (named by a "
        "Kustomization of this scan), not checked as a whole object"
        for r in patches
    ]
    index = _state.context
    context = index.sharing_indexes()  # its own derived cache
    evaluation = evaluate(own, chosen.rules, chosen.params, context)
    documents = list(parsed.documents)
    seen = {id(d) for d in documents}
    for raw in evaluation.findings:  # witnesses in other inputs' objects: their comments may excuse them
        witness = raw.witness.resource
        if witness is not None and id(witness.document) not in seen:
            seen.add(id(witness.document))
            documents.append(witness.document)
    located, checked.matched = finalise_part(
        evaluation.findings, chosen.params, documents, _state.positions, chosen.controls
    )
    checked.kept = [item.finding for item in located if item.suppressed_by is None]
    checked.suppressed = checked.matched.suppressed
    checked.matched.kept, checked.matched.suppressed = [], []
    checked.generic_notes = [
        f"{w.resource.document.source.name}:{w.resource.document.line}: {w.resource.kind} "
        f"{w.resource.name}: pod template found by the generic spec.template fallback"
        for w in evaluation.generic_workloads
    ]
    return checked


# --- the report ------------------------------------------------------------------------------------------


def _report(chosen: Plan, loaded: LoadResult, collected: Collected) -> Report:
    """Run.report() from the inputs' results: the same fields, in the same order; the kept findings are
    read back from the spill as the report is written."""
    outcome = summarise(collected.matched, chosen.controls)
    report = Report(
        errors=sorted(loaded.errors, key=lambda e: (e.file, e.line or 0, e.message)),
        resources=collected.resources,
        skipped_documents=collected.skipped_documents,
        rules=len(chosen.rules),
        kustomize_patches=len(collected.patch_notes),
        files=loaded.inputs,
    )
    report.rule_info = [
        RuleInfo(r.id, r.title, r.severity, r.packs, r.description, r.remediation, r.references)
        for r in (compiled.rule for compiled in chosen.rules)
    ]
    if outcome.expired:
        report.rule_info.append(EXPIRED_INFO)
    collected.spill.add(outcome.expired)
    report.findings = collected.spill.sorted()
    report.suppressed = sorted(collected.suppressed, key=lambda s: s.finding.sort_key())
    report.notes.extend(f"{path}: hidden, not scanned (use --include-hidden)" for path in loaded.hidden)
    report.notes.extend(loaded.notes)
    report.notes.extend(collected.patch_notes)
    report.notes.extend(outcome.notes)
    report.notes.extend(collected.generic_notes)
    return report
