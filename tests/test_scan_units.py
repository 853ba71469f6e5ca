"""The streamed scan's input names and units of work kept flat (checker/scan_units.py): they read back as
the lists they were made from, by index, from the end and by slice, and pickle whole."""

from __future__ import annotations

import pickle

import pytest

from checker.scan_units import Names, Units

NAMES = ["-", "a/b.yaml", "", "dir with space/é.yaml", "x" * 300]


def test_names_read_back_as_the_list_they_were_made_from() -> None:
    names = Names(NAMES)
    assert len(names) == len(NAMES) and list(names) == NAMES
    assert names[-1] == NAMES[-1] and names[1:3] == NAMES[1:3]
    assert pickle.loads(pickle.dumps(names))[3] == NAMES[3]
    with pytest.raises(IndexError):
        names[len(NAMES)]
    assert list(Names()) == []


def test_units_read_back_in_order_and_grow() -> None:
    units = Units([(0, -1), (1, 0), (1, 1)])
    units.append((-1, 0))
    assert list(units) == [(0, -1), (1, 0), (1, 1), (-1, 0)]
    assert units[-1] == (-1, 0) and list(units[1:3]) == [(1, 0), (1, 1)]
    assert (1, 1) in units and (2, 0) not in units
    assert list(pickle.loads(pickle.dumps(units))) == list(units)
