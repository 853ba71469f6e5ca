"""What keeps a streamed scan's memory small (checker/scanning.py): the index holds its objects packed and
gives back the same values, a cut file's text is read again rather than held, the rendered documents are
handed over packed, and discovery orders paths as their parts do without keeping the parts."""

from __future__ import annotations

import dataclasses
import datetime
import gc
import pickle
import zlib
from pathlib import Path, PurePath

import pytest

from checker import scanning
from checker.api import plan, run_plan
from checker.findings import Finding
from checker.inputs.discovery import _order_key, discover
from checker.inputs.documents import InputError, Source
from checker.inputs.excludes import Excluded
from checker.inputs.loading import parse_input
from checker.inputs.render import RenderOptions
from checker.inputs.resources import resources_of
from checker.report.spill import FindingSpill
from checker.workloads.packed import OnDisk, Packed, PackedObjects

from .conftest import FIXTURES

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, creationTimestamp: 2024-01-02T03:04:05Z}
data: {when: "now"}
"""


@pytest.fixture
def _state(monkeypatch):
    monkeypatch.setattr(scanning, "_state", scanning._State(related=frozenset({"Service", "ConfigMap"})))


def test_the_index_keeps_packed_objects_that_read_back_the_same():
    found = resources_of(parse_input("shop.yaml", Source("shop.yaml", SERVICE)).documents).items
    stored = PackedObjects(found)
    made: dict[object, object] = {}
    packed = [stored.made(slot, made) for slot in range(len(stored))]
    assert [type(r) for r in packed] == [Packed, Packed]
    for plain, compact in zip(found, packed, strict=True):
        assert "obj" not in vars(compact) and isinstance(vars(compact)["_blob"], bytes)
        assert "data" not in vars(compact.document)
        assert compact.obj == plain.obj and compact.document.data == plain.document.data
        assert (compact.kind, compact.name, compact.namespace, compact.base) == (
            plain.kind,
            plain.name,
            plain.namespace,
            plain.base,
        )
        assert (compact.document.line, compact.document.index) == (plain.document.line, plain.document.index)
        assert compact.obj is compact.obj  # one value while it is read (the last UNPACKED_KEPT)
        again = pickle.loads(pickle.dumps(stored)).made(found.index(plain), {})  # the scan cache, workers
        assert again.obj == plain.obj and again is not compact
    stamp = packed[1].obj["metadata"]["creationTimestamp"]  # a YAML timestamp: pickled, not marshalled
    assert isinstance(stamp, datetime.datetime) and vars(packed[1])["_blob"][:1] == b"p"
    assert vars(packed[0])["_blob"][:1] == b"m"


def test_objects_of_one_document_share_it_and_a_document_that_is_one_object_its_bytes():
    listed = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"- {{apiVersion: v1, kind: Service, metadata: {{name: s{n}}}, spec: {{selector: {{app: a}}}}}}\n"
        for n in range(3)
    )
    items = resources_of(parse_input("list.yaml", Source("list.yaml", listed)).documents).items
    stored = PackedObjects(items)
    made: dict[object, object] = {}
    documents = {id(stored.made(slot, made).document) for slot in range(len(stored))}
    assert len(documents) == 1  # one document, made once for one lookup context
    single = resources_of(parse_input("one.yaml", Source("one.yaml", SERVICE.split("---")[0])).documents).items
    one = PackedObjects(single)
    body = len(vars(one.made(0, {}))["_blob"])
    assert len(one._buffer) < 2 * body  # the document's data is the object's: its bytes are kept once
    on_disk = [
        dataclasses.replace(r, document=dataclasses.replace(r.document, source=OnDisk("f.yaml", ""))) for r in single
    ]
    from_disk = PackedObjects(on_disk).made(0, {})
    assert type(from_disk.document.source) is OnDisk and from_disk.document.source.name == "f.yaml"


def test_a_cut_file_is_read_again_and_a_changed_one_is_an_error(monkeypatch, tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{n}}}\n" for n in range(400)))
    monkeypatch.setattr(scanning, "_state", scanning._State(piece_chars=2_000))
    units = scanning._units([str(big)])
    assert len(units) > 1 and not scanning._state.pieces and scanning._state.cut == {0: len(units)}
    first = scanning._piece(0, 0, str(big))
    assert not isinstance(first, InputError) and first.source.text.startswith("---\napiVersion")
    big.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n")
    scanning._cut_file.cache_clear()
    changed = scanning._piece(0, 1, str(big))
    assert isinstance(changed, InputError) and "changed while it was scanned" in changed.message


@pytest.mark.usefixtures("_state")
def test_rendered_documents_are_handed_over_packed(tmp_path: Path):
    overlay = tmp_path / "app"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources: [shop.yaml]\n")
    (overlay / "shop.yaml").write_text(SERVICE)
    inputs = discover([str(tmp_path)]).inputs
    handed = scanning._hand_over(inputs, RenderOptions(), None, "", 1, Excluded())
    assert handed.rendered.result.documents == [] and handed.any_documents and handed.documents
    assert sorted(r.name or "" for r in handed.index.objects()) == ["settings", "web"]
    assert all(isinstance(r, Packed) for r in handed.index.objects())


def test_discovery_orders_paths_as_their_parts_do():
    names = ["a/b", "a-b", "a.b/c", "a/b/c", "a", "a b/x", "ab", "a/b-c", "a/b/c-d", "a/0", "a/b/c/d"]
    assert sorted(names, key=_order_key) == sorted(names, key=lambda name: PurePath(name).parts)


@pytest.mark.usefixtures("_state")
def test_rendered_documents_are_packed_as_each_overlay_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text("resources: [shop.yaml]\n")
        (tmp_path / name / "shop.yaml").write_text(SERVICE)
    inputs = discover([str(tmp_path)]).inputs
    rendering, packed_while_rendering = [False], []
    render_inputs, packed_batch = scanning.render_inputs, scanning._packed_batch

    def watched_render(*args: object) -> object:
        rendering[0] = True
        try:
            return render_inputs(*args)  # type: ignore[arg-type]
        finally:
            rendering[0] = False

    def watched_pack(batch: list[object]) -> bytes:
        packed_while_rendering.append(rendering[0])
        return packed_batch(batch)  # type: ignore[arg-type]

    monkeypatch.setattr(scanning, "render_inputs", watched_render)
    monkeypatch.setattr(scanning, "_packed_batch", watched_pack)
    monkeypatch.setattr(scanning, "RENDERED_BATCH", 1)
    handed = scanning._hand_over(inputs, RenderOptions(), None, "", 1, Excluded())
    assert packed_while_rendering == [True, False]  # a batch ends where the next overlay's documents begin
    batches = [pickle.loads(zlib.decompress(packed)) for packed in handed.documents]
    assert [{Path(d.source.name).parent.name for d in batch} for batch in batches] == [{"a"}, {"b"}]
    assert len(handed.index) == 4 and handed.rendered.result.documents == []


def test_rendered_batches_are_checked_as_parts_and_their_findings_spilled_as_they_come(monkeypatch, tmp_path: Path):
    overlay = tmp_path / "app"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources: [pods.yaml]\n")
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n"
    (overlay / "pods.yaml").write_text("---\n".join(pod.format(n=n) for n in range(6)))
    chosen = plan(packs=["pss-restricted"])
    whole = run_plan(chosen, [str(tmp_path)])
    monkeypatch.setattr(scanning, "RENDERED_BATCH", 2)
    monkeypatch.setattr(scanning._Batches, "add", lambda self, documents, last=False: ([d] for d in documents))
    added: list[set[str]] = []
    spill_add = FindingSpill.add

    def recording(self: FindingSpill, findings: list[Finding]) -> None:
        added.append({finding.file for finding in findings})
        spill_add(self, findings)

    monkeypatch.setattr(FindingSpill, "add", recording)
    streamed = scanning.scan(chosen, [str(tmp_path)], jobs=1)
    assert [f.to_dict() for f in streamed.findings] == [f.to_dict() for f in whole.findings]
    assert streamed.files == whole.files and streamed.resources == whole.resources == 6
    rendered = [files for files in added if files]
    assert len(rendered) == 6  # one spill per part: the rendered input's findings are never all held


def test_checking_an_input_leaves_no_reference_cycles(tmp_path: Path):
    """What checking an input makes (pod views, containers, scopes and their facts) is freed by reference
    counting as soon as the input is done: kept in a reference cycle, it waited for a full garbage collection,
    and 34 copies of the corpus grew the scan by some 8 MB per rendered batch."""
    deployment = (FIXTURES / "kubectl" / "deployment-web.yaml").read_text()  # real kubectl output, port 80
    (tmp_path / "web.yaml").write_text(deployment + "---\n" + SERVICE)
    chosen = plan(packs=["network-hardening", "pss-restricted", "best-practices"], settings=["ipv6=disabled"])
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        report = scanning.scan(chosen, [str(tmp_path)], jobs=1)
        gc.collect()
        ours = sorted({type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("checker.")})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert report.findings and report.resources == 3
    assert ours == []


def test_objects_made_of_one_record_share_its_value_and_other_stores_never_do():
    """Each input's lookups make their own objects of the index's records (PackedObjects.made): those of
    one record share the unpacked value (read once while kept), and a store made later, whose records sit
    at the same places, never gets another store's values (stores are told apart by token, not id())."""
    first = resources_of(parse_input("a.yaml", Source("a.yaml", SERVICE)).documents).items
    store = PackedObjects(first)
    one, other = store.made(0, {}), store.made(0, {})
    assert one is not other and one.obj is other.obj and one.obj["metadata"]["name"] == "web"
    del store, one, other
    renamed = SERVICE.replace("name: web", "name: api")
    for _ in range(3):  # a new store may take the freed one's address
        store = PackedObjects(resources_of(parse_input("b.yaml", Source("b.yaml", renamed)).documents).items)
        made = store.made(0, {})
        assert made.obj["metadata"]["name"] == "api" and made.name == "api"
        del store, made
