"""Hostile names and values in every output format: a file name with a byte that is not UTF-8 and an ESC,
manifest values with ESC, NUL, BEL and a bidirectional override; every output stays parseable and shows them
as visible escapes."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

from checker.report.escaping import uri_path, visible, xml_text

from .test_cli import run

# the container's name holds ESC sequences (clear the screen, retitle the terminal), BEL, NUL and U+202E
POD = """apiVersion: v1
kind: Pod
metadata:
  name: "evil\\e[2J\\e]0;pwned\\a"
spec:
  containers:
  - name: "c\\0\\u202ex"
    image: nginx
    securityContext:
      privileged: true
"""
RAW = ("\x1b", "\x00", "\x07")
# what people read (a terminal, a CI log, a page) also shows bidirectional overrides as escapes; the
# machine-readable formats keep such valid characters as they are
READ_BY_PEOPLE = ("text", "github", "html")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("hostile")
    name = os.fsdecode(b"bad\xff\x1b[31mname.yaml")  # not UTF-8, and an ESC
    (folder / name).write_text(POD)
    (folder / os.fsdecode(b"broken\xfe.yaml")).write_text("a: [\n")  # an input error names the file too
    return str(folder)


def _output(hostile: str, fmt: str) -> bytes:
    result = run("scan", hostile, "-o", fmt)
    assert result.returncode == 2, result.stderr  # findings and an input error
    assert b"Traceback" not in result.stderr
    result.stdout.decode("utf-8")  # valid UTF-8, strictly
    for character in (*RAW, "\u202e") if fmt in READ_BY_PEOPLE else RAW:
        assert character.encode() not in result.stdout, (fmt, character)
    return result.stdout


def test_text_shows_control_characters_and_bad_bytes_as_escapes(hostile) -> None:
    out = _output(hostile, "text").decode()
    assert "bad\\xff\\x1b[31mname.yaml" in out
    assert "evil\\x1b[2J\\x1b]0;pwned\\x07" in out
    assert "broken\\xfe.yaml" in out


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_json_formats_are_valid_utf8_json(hostile, fmt) -> None:
    document = json.loads(_output(hostile, fmt))
    text = json.dumps(document, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogates left
    assert "\\\\xff" in text or "%FF" in text  # the bad byte, escaped (SARIF URIs percent-encode it)


def test_sarif_uris_percent_encode_the_bytes_of_the_name(hostile) -> None:
    document = json.loads(_output(hostile, "sarif"))
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in document["runs"][0]["results"]
        for location in result["locations"]
    }
    assert any("bad%FF%1B%5B31mname.yaml" in uri for uri in uris), uris


def test_junit_is_well_formed_xml(hostile) -> None:
    root = ET.fromstring(_output(hostile, "junit"))
    texts = " ".join(f"{element.get('name')} {element.get('message')} {element.text}" for element in root.iter())
    assert "\\x1b[2J" in texts and "\\xff" in texts


def test_github_annotations_hold_no_control_characters(hostile) -> None:
    out = _output(hostile, "github").decode()
    assert "::error" in out and "c\\x00\\u202ex" in out and "bad\\xff\\x1b[31mname.yaml" in out


def test_html_is_valid_utf8_and_escaped(hostile) -> None:
    out = _output(hostile, "html").decode()
    assert "evil\\x1b[2J" in out and "%FF" in out


def test_input_errors_on_stderr_are_escaped(hostile) -> None:
    result = run("scan", hostile, "-o", "json")
    stderr = result.stderr.decode("utf-8")
    assert "broken\\xfe.yaml" in stderr and "\x1b" not in stderr


def test_the_escaping_functions() -> None:
    assert visible("a\x1bb\u2028\u202e") == "a\\x1bb\\u2028\\u202e"
    assert visible("a\nb", keep="\n") == "a\nb" and visible("a\nb") == "a\\x0ab"
    assert visible(os.fsdecode(b"x\xff")) == "x\\xff"
    assert visible("ünïcødé ✓ 名前") == "ünïcødé ✓ 名前"  # printable text as it is
    assert xml_text("a\x00b\x1bc\td\ufffe") == "a\\x00b\\x1bc\td\\ufffe"
    assert uri_path(os.fsdecode(b"dir/a b#\xff.yaml")) == "dir/a%20b%23%FF.yaml"
