"""Findings kept on disk while a scan runs: each one pickled to a temporary file as its input is done, and
in memory only a compact sort key per finding (its strings shared), so a scan's memory does not grow with
the size of its findings; read back in report order, one at a time, as the writers ask for them.

FindingSpill takes the inputs' findings as they come; sorted() gives the Sequence a Report holds. The order
is sorted(every finding, key=Finding.sort_key) over the findings in the order they were added, as the
in-memory scan gives it (ties keep the order of adding).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from ..findings import Finding, Severity

KEY_FIELDS = 7  # the fields of Finding.sort_key()


class FindingSpill:
    """Findings written to an unnamed temporary file (removed when the last reader is gone). Of each finding
    only its sort key stays in memory, as numbers in arrays (45 bytes a finding), each key field's values
    numbered in a table of the distinct values seen: the 88,910 findings of 34 copies of the corpus keep
    11.1 MB, where a tuple per finding took 21.7 MB."""

    def __init__(self, directory: str | None = None) -> None:
        self._file: Any = None
        self._memory: bytearray | None = None  # where findings go when the temporary file cannot be written
        try:
            # unbuffered: what was written is on disk, so a failing write can fall back to memory exactly
            self._file = tempfile.TemporaryFile(dir=directory, buffering=0)  # noqa: SIM115 - open while read
        except OSError:
            self._memory = bytearray()
        self._end = 0
        self._values: list[dict[Any, int]] = [{} for _ in range(KEY_FIELDS)]  # per field: value -> its number
        self._keys = [array("I") for _ in range(KEY_FIELDS)]  # per field: each finding's value's number
        self._offsets, self._sizes = array("q"), array("q")
        self._severities = bytearray()

    def add(self, findings: Iterable[Finding]) -> None:
        """Write findings; only their sort keys stay in memory."""
        chunk = bytearray()
        for finding in findings:
            data = pickle.dumps(finding, protocol=pickle.HIGHEST_PROTOCOL)
            for value, values, keys in zip(finding.sort_key(), self._values, self._keys, strict=True):
                keys.append(values.setdefault(value, len(values)))
            self._offsets.append(self._end)
            self._sizes.append(len(data))
            self._severities.append(int(finding.severity))
            self._end += len(data)
            chunk += data
        self._write(bytes(chunk))

    def _write(self, chunk: bytes) -> None:
        """Append to the file; a full disk or a failing $TMPDIR moves the findings into memory instead."""
        if self._memory is None:
            written = self._end - len(chunk)
            try:
                view = memoryview(chunk)
                while view:
                    view = view[self._file.write(view) :]
                return
            except OSError:
                self._memory = bytearray(os.pread(self._file.fileno(), written, 0))
                self._file = None
        self._memory += chunk

    def sorted(self) -> SpilledFindings:
        """Every finding added, in report order (sorted by Finding.sort_key(), ties in the order added); the
        spill's keys are let go. Each finding's key is one integer: the ranks of its fields' values among the
        distinct values of the field, each given its own bits, most significant first."""
        composite = [0] * len(self._offsets)
        for values, keys in zip(self._values, self._keys, strict=True):
            ranks = array("I", bytes(4 * len(values)))
            for rank, number in enumerate(sorted(range(len(values)), key=list(values).__getitem__)):
                ranks[number] = rank
            width = max(1, len(values).bit_length())
            for index, number in enumerate(keys):
                composite[index] = (composite[index] << width) | ranks[number]
        order = sorted(range(len(composite)), key=composite.__getitem__)
        offsets = array("q", (self._offsets[i] for i in order))
        sizes = array("q", (self._sizes[i] for i in order))
        severities = bytes(self._severities[i] for i in order)
        self._values, self._keys = [{} for _ in range(KEY_FIELDS)], [array("I") for _ in range(KEY_FIELDS)]
        self._offsets, self._sizes, self._severities = array("q"), array("q"), bytearray()
        return SpilledFindings(self._file if self._memory is None else bytes(self._memory), offsets, sizes, severities)


class SpilledFindings(Sequence[Finding]):
    """A read-only sequence of findings in a spill file: each read (unpickled) when it is asked for."""

    def __init__(self, file: Any, offsets: array[int], sizes: array[int], severities: bytes) -> None:
        self._file = file  # the temporary file, held open (and so on disk) while any reader lives; or bytes
        self._offsets, self._sizes, self._severities = offsets, sizes, severities

    def __len__(self) -> int:
        return len(self._offsets)

    def _read(self, index: int) -> Finding:
        offset, size = self._offsets[index], self._sizes[index]
        if isinstance(self._file, bytes):
            data = self._file[offset : offset + size]
        else:
            data = os.pread(self._file.fileno(), size, offset)
        finding: Finding = pickle.loads(data)
        return finding

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        if isinstance(index, slice):
            return self._subset(range(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("finding index out of range")
        return self._read(index)

    def __iter__(self) -> Iterator[Finding]:
        for index in range(len(self)):
            yield self._read(index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} spilled findings>"

    def severities(self) -> Iterator[Severity]:
        """Each finding's severity, in order, without reading the findings."""
        return (Severity(value) for value in self._severities)

    def where(self, keep: Callable[[Finding], bool]) -> SpilledFindings:
        """The findings for which keep() is true, still on disk (each read once to decide)."""
        return self._subset(index for index in range(len(self)) if keep(self._read(index)))

    def _subset(self, indexes: Iterable[int]) -> SpilledFindings:
        chosen = list(indexes)
        offsets = array("q", (self._offsets[i] for i in chosen))
        sizes = array("q", (self._sizes[i] for i in chosen))
        return SpilledFindings(self._file, offsets, sizes, bytes(self._severities[i] for i in chosen))
