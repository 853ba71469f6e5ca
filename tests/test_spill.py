"""The streamed report: findings spilled to disk come back in report order, and the formats written piece by
piece (json_stream) give byte for byte what they gave rendered whole."""

from __future__ import annotations

import dataclasses
import io
import json
import random
from array import array
from typing import Any

import pytest

from checker.api import plan
from checker.findings import Finding, Severity
from checker.report import FORMATS, WRITERS, RenderOptions, write
from checker.report.escaping import deep, valid_unicode
from checker.report.json_stream import BATCH, Streamed, write_json
from checker.report.spill import FindingSpill, SpilledFindings
from checker.scanning import scan


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([0, -7, 2.5, None, True, False, "", "line\nbreak", "é\u2028\x1b", "bad \udcff byte"])
    if roll < 0.6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f"key{index}\udcfe": _value(rng, depth + 1) for index in range(rng.randint(0, 3))}


def _streamed(value: Any, rng: random.Random) -> Any:
    if isinstance(value, list):
        items = [_streamed(item, rng) for item in value]
        return Streamed(iter(items)) if rng.random() < 0.5 else items
    if isinstance(value, dict):
        return {key: _streamed(item, rng) for key, item in value.items()}
    return value


def test_json_written_in_pieces_is_json_dumps_byte_for_byte() -> None:
    rng = random.Random(8)
    for _ in range(400):
        document = _value(rng, 0)
        out = io.StringIO()
        write_json(_streamed(document, rng), out, lambda piece: deep(piece, valid_unicode))
        expected = json.dumps(deep(document, valid_unicode), indent=2, ensure_ascii=False) + "\n"
        assert out.getvalue() == expected


@pytest.mark.parametrize("count", [BATCH - 1, BATCH, BATCH + 1, 2 * BATCH + 5])
def test_long_streamed_lists_are_written_in_batches_byte_for_byte(count: int) -> None:
    rng = random.Random(count)
    items = [_value(rng, 1) for _ in range(count)]
    items[count // 2] = [1, 2]  # an item holding a Streamed list: written on its own, between batches
    document = {"a": 1, "deep": [{"findings": items}], "after": "x"}
    streamed = {
        "a": 1,
        "deep": [
            {"findings": Streamed(iter([*items[: count // 2], Streamed(iter([1, 2])), *items[count // 2 + 1 :]]))}
        ],
        "after": "x",
    }
    out = io.StringIO()
    write_json(streamed, out, lambda piece: deep(piece, valid_unicode))
    assert out.getvalue() == json.dumps(deep(document, valid_unicode), indent=2, ensure_ascii=False) + "\n"


def _finding(file: str, line: int, rule: str = "r", value: str = "", severity: Severity = Severity.HIGH) -> Finding:
    resource = {"apiVersion": "v1", "kind": "Pod", "namespace": None, "name": "p"}
    return Finding(rule, severity, "m", file, line, 1, resource, None, ".spec", "fix", value=value)


def _spilled(findings: list[Finding], step: int = 3) -> SpilledFindings:
    spill = FindingSpill()
    for start in range(0, len(findings), step):
        spill.add(findings[start : start + step])
    return spill.sorted()


def test_spill_gives_sort_key_order_and_keeps_ties_in_the_order_added() -> None:
    rng = random.Random(3)
    findings = [
        _finding(rng.choice("abc"), rng.randint(1, 4), rng.choice("xy"), value=str(n), severity=Severity(n % 5))
        for n in range(60)
    ]
    expected = sorted(findings, key=lambda f: f.sort_key())
    spilled = _spilled(findings)
    assert list(spilled) == expected  # ties (same key, different value) in the order they were added
    assert [f.value for f in spilled] == [f.value for f in expected]
    assert list(spilled.severities()) == [f.severity for f in expected]
    assert spilled == expected and len(spilled) == 60
    assert spilled[0] == expected[0] and spilled[-1] == expected[-1]
    assert list(spilled[5:9]) == expected[5:9]
    with pytest.raises(IndexError):
        spilled[60]
    high = spilled.where(lambda f: f.severity >= Severity.HIGH)
    assert list(high) == [f for f in expected if f.severity >= Severity.HIGH]
    assert list(high.severities()) == [f.severity for f in high]


def test_every_key_field_orders_the_spill_as_the_sort_key_does() -> None:
    rng = random.Random(5)
    findings = []
    for n in range(3000):  # many distinct values per field (wide ranks), and ties on every field but the last
        finding = _finding(
            rng.choice(["b/x.yaml", "a.yaml", "a/z.yaml", "é.yaml"]), rng.randint(0, 10**6), value=str(n)
        )
        findings.append(
            dataclasses.replace(
                finding,
                document=rng.randint(0, 3),
                column=rng.choice([1, 2, 70_000]),
                rule=rng.choice(["KC-1", "KC-10", "KC-2"]),
                path=rng.choice([".spec", ".spec.x", ""]),
                message=rng.choice(["a", "b", "A"]),
                line=rng.choice([1, 2, finding.line]),
            )
        )
    spill = FindingSpill()
    spill.add(findings)
    assert all(isinstance(keys, array) for keys in spill._keys)  # no object per finding kept in memory
    assert [f.value for f in spill.sorted()] == [f.value for f in sorted(findings, key=lambda f: f.sort_key())]


def test_a_spill_that_cannot_write_its_file_keeps_the_findings_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = [_finding("f", line) for line in range(9, 0, -1)]
    spill = FindingSpill()
    spill.add(findings[:4])

    class Full:
        def __init__(self, file) -> None:
            self.file = file

        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str):
            return getattr(self.file, name)

    spill._file = Full(spill._file)
    spill.add(findings[4:])
    assert list(spill.sorted()) == sorted(findings, key=lambda f: f.sort_key())
    monkeypatch.setattr("tempfile.TemporaryFile", lambda **_: (_ for _ in ()).throw(OSError(13, "denied")))
    spill = FindingSpill()
    spill.add(findings)
    assert list(spill.sorted()) == sorted(findings, key=lambda f: f.sort_key())


def test_every_format_is_the_same_from_spilled_findings_as_from_a_list() -> None:
    report = scan(plan(), ["fixtures/kubectl", "fixtures/positions"], jobs=1)
    assert isinstance(report.findings, SpilledFindings) and len(report.findings) > 5
    whole = dataclasses.replace(report, findings=list(report.findings))
    for name in FORMATS:
        for options in (RenderOptions(), RenderOptions(verbose=True, show_suppressed=True, width=80)):
            expected = FORMATS[name](whole, options)
            assert FORMATS[name](report, options) == expected, name
            out = io.StringIO()
            write(name, report, options, out)
            assert out.getvalue() == expected, name
    assert set(WRITERS) == {"text", "json", "sarif"}
