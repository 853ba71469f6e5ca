"""The streamed scan's input names and units of work, kept as a few flat objects (one string, arrays of
numbers) instead of one Python object each, and made into str and tuples when read.

A scan of 100,000 files held 100,000 names twice (discovery's, and the list the render child sent back) and
100,000 unit tuples. Worker processes are forked with them, and reading a Python object writes to it (its
reference count): the pages they sat on were copied into each worker as the scan went through them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import overload

Unit = tuple[int, int]  # an input's number and its part: WHOLE, or the number of one of its pieces


class Names(Sequence[str]):
    """Input names (file paths, or "-"), in order, in one string: a path holds no NUL character."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = list(names)
        self._text = "\0".join(names)
        self._ends = array("q")
        end = -1
        for name in names:
            end += len(name) + 1
            self._ends.append(end)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, number: int) -> str: ...

    @overload
    def __getitem__(self, number: slice) -> list[str]: ...

    def __getitem__(self, number: int | slice) -> str | list[str]:
        if isinstance(number, slice):
            return [self[n] for n in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self)
        if not 0 <= number < len(self):
            raise IndexError(number)
        start = self._ends[number - 1] + 1 if number else 0
        return self._text[start : self._ends[number]]


class Units(Sequence[Unit]):
    """Units of work, (input number, part) each, in order, in two arrays."""

    def __init__(self, units: Iterable[Unit] = ()) -> None:
        self._numbers = array("q")
        self._parts = array("q")
        self.extend(units)

    def append(self, unit: Unit) -> None:
        self._numbers.append(unit[0])
        self._parts.append(unit[1])

    def extend(self, units: Iterable[Unit]) -> None:
        for unit in units:
            self.append(unit)

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, number: int) -> Unit: ...

    @overload
    def __getitem__(self, number: slice) -> Units: ...

    def __getitem__(self, number: int | slice) -> Unit | Units:
        if isinstance(number, slice):
            taken = Units()
            taken._numbers, taken._parts = self._numbers[number], self._parts[number]
            return taken
        return self._numbers[number], self._parts[number]
