"""Robustness on ~2,900 real manifest files from 19 projects (../shared/corpus/real): no crash, every
unparseable file reported with a line, and nothing reported that PyYAML itself can parse."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from checker.inputs.loading import load

from .conftest import CORPUS, RAW, scan


@pytest.fixture(scope="module")
def corpus_report():
    need_corpus()
    # file by file (--no-render): FILES.tsv describes each raw file; tests/test_render.py builds the overlays
    return scan([CORPUS], packs=["network-hardening"], include_hidden=True, render=RAW)


def need_corpus() -> None:
    from .conftest import need_shared

    need_shared(CORPUS)


def _unparseable(file: str) -> bool:
    text = Path(file).read_text(encoding="utf-8-sig")
    try:
        if file.endswith(".json"):
            json.loads(text)
        else:
            list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    except (ValueError, yaml.YAMLError):
        return True
    return False


def test_exactly_the_broken_files_are_errors_with_a_line(corpus_report) -> None:
    rows = list(csv.DictReader((CORPUS / "FILES.tsv").open(encoding="utf-8"), delimiter="\t"))
    assert len(rows) == corpus_report.files
    broken = {str(CORPUS / row["path"]) for row in rows if _unparseable(str(CORPUS / row["path"]))}
    assert len(broken) >= 10
    # Duplicate keys parse in PyYAML (last value wins) but kubectl rejects them: errors too.
    duplicated = {str(CORPUS / row["path"]) for row in rows if "duplicate-keys" in row["features"]}
    assert len(duplicated) == 9
    # Fields of a type Kubernetes refuses (strict decoding): `containers:` written as a mapping, `value: true`
    # in env, `containerPort: PORT` and an envsubst placeholder for a port. Each is one refused object.
    misshapen = {
        str(CORPUS / path)
        for path in (
            "argoproj__argo-cd/resource_customizations/apps.kruise.io/DaemonSet/testdata/"
            "no-update-strategy-partition.yaml",
            "kubernetes__ingress-nginx/docs/examples/auth/oauth-external-auth/vouch-proxy.yaml",
            "GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/infw-gw/examples/getting-started/"
            "inference-pool-variables.yaml",
            "GoogleCloudPlatform__kubernetes-engine-samples/networking/sctp/sctp-deployment.yaml",
        )
    }
    assert {e.file for e in corpus_report.errors} == broken | duplicated | misshapen
    refused = [e for e in corpus_report.errors if "Kubernetes refuses the object" in e.message]
    assert {e.file for e in refused} == misshapen and len(refused) == len(misshapen)
    assert {e.file for e in corpus_report.errors if e.message.startswith("duplicate key")} == duplicated
    assert all(e.line for e in corpus_report.errors), [e for e in corpus_report.errors if not e.line]


def test_objects_and_findings_are_plausible(corpus_report) -> None:
    assert corpus_report.resources > 4500
    assert corpus_report.findings
    for finding in corpus_report.findings:
        assert finding.line >= 1 and finding.column >= 1
        assert finding.file.startswith(str(CORPUS))


def test_parallel_parsing_gives_the_same_documents_in_the_same_order() -> None:
    need_corpus()
    # parsing is what is compared: the files as they are (rendering overlays is tested in test_render.py)
    # every third project (about 900 files, broken ones among them): enough chunks to interleave
    projects = [str(p) for p in sorted(CORPUS.iterdir()) if p.is_dir()][::3]
    sequential = load(projects, include_hidden=True, workers=1, render=RAW)
    parallel = load(projects, include_hidden=True, workers=2, render=RAW)
    assert len(sequential.documents) > 1000 and sequential.errors
    assert [(d.source.name, d.index, d.line, d.start, d.end) for d in parallel.documents] == [
        (d.source.name, d.index, d.line, d.start, d.end) for d in sequential.documents
    ]
    assert [d.data for d in parallel.documents[:200]] == [d.data for d in sequential.documents[:200]]
    assert parallel.errors == sequential.errors
