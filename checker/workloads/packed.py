"""The objects of a streamed scan's index kept small: each object's body packed (Packed, PackedDocument), and
every indexed object in one buffer (PackedObjects), made into Resources again when a lookup reads them.

Worker processes are forked after the index is built and share its memory until one of them writes to it.
Python writes to every object it reads (its reference count), so an index of Python objects is copied, page
by page, into each worker as lookups read it, and into the scan's process too: about 90 MB over a scan of
34 copies of the corpus. The buffer is one object, never written after it is built, so it stays shared.
"""

from __future__ import annotations

import collections
import functools
import marshal
import pickle
import secrets
import zlib
from array import array
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..inputs.decoding import read_source
from ..inputs.documents import Document, Source
from ..inputs.resources import Resource


def pack(value: Any) -> bytes:
    """A parsed value as compressed bytes: marshal (exact for the plain dicts, lists, strings and numbers a
    manifest parses to), pickle for anything else (a YAML timestamp); zlib's fastest level."""
    try:
        return b"m" + zlib.compress(marshal.dumps(value), 1)
    except ValueError:
        return b"p" + zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1)


UNPACKED_KEPT = 256  # unpacked values kept at a time (unpack): the objects one input's lookups read


H = TypeVar("H", "Packed", "PackedDocument")
RECORDS_KEPT = 4096  # records of PackedObjects kept decoded at a time (_decoded)

# a record's name (its store's token and its place; see PackedObjects) -> what is kept of it
unpacked: collections.OrderedDict[tuple[int, int], Any] = collections.OrderedDict()
_decoded: collections.OrderedDict[tuple[int, int], tuple[Any, ...]] = collections.OrderedDict()


def unpack(holder: object, blob: bytes) -> Any:
    """The value packed in ``blob`` of ``holder`` (a Packed or PackedDocument): the same object while it is
    among the last UNPACKED_KEPT unpacked (a lookup reads an object several times), a fresh copy after. The
    objects PackedObjects makes of one record share it (each input's lookups make their own objects)."""
    return _kept(unpacked, vars(holder)["_record"], lambda: _unpacked_value(blob), UNPACKED_KEPT)


def _unpacked_value(blob: bytes) -> Any:
    body = zlib.decompress(blob[1:])
    return marshal.loads(body) if blob[:1] == b"m" else pickle.loads(body)  # our own bytes, packed above


def _own_record() -> tuple[int, int]:
    """The name of a value packed by a Packed's or PackedDocument's own __init__, not read from a record:
    random, like a store's token, so no later holder takes it over."""
    return secrets.randbits(63), -1


def forget() -> None:
    """Let go of the unpacked values and decoded records kept (a scan is over)."""
    unpacked.clear()
    _decoded.clear()


def _kept(cache: collections.OrderedDict[Any, Any], key: Any, make: Callable[[], Any], size: int) -> Any:
    """make() once while the key is among the last ``size`` asked for."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    if len(cache) > size:
        cache.popitem(last=False)
    return value


class Packed(Resource):
    """An object of the scan-wide index, its body kept packed (about a fifth of the dicts' size: 3 MB of
    Services, ConfigMaps and ServiceAccounts per copy of the corpus) and unpacked when read. Its kind, name
    and namespace (what the index is keyed by) stay plain."""

    @property
    def obj(self) -> dict[str, Any]:
        value: dict[str, Any] = unpack(self, self._blob)
        return value

    @obj.setter
    def obj(self, value: dict[str, Any]) -> None:
        self._blob, self._record = pack(value), _own_record()


class PackedDocument(Document):
    """The document of an indexed object, its parsed data packed like the object's (Packed)."""

    @property
    def data(self) -> Any:
        return unpack(self, self._blob)

    @data.setter
    def data(self, value: Any) -> None:
        self._blob, self._record = pack(value), _own_record()


class OnDisk(Source):
    """A file's Source whose text is read from the file when asked for (a finding located in an indexed
    object of another input, its comments), so the index does not hold every indexed file's text."""

    @property
    def text(self) -> str:
        return _disk_text(self.name)

    @text.setter
    def text(self, value: str) -> None:
        pass  # the dataclass __init__ sets it: the file holds it


@functools.lru_cache(maxsize=32)
def _disk_text(name: str) -> str:
    source = read_source(name)
    return source.text if isinstance(source, Source) else ""


def _blob_of(holder: Any, field: str) -> bytes:
    """The packed bytes of an object's body or a document's data (packed now when it was kept plain)."""
    blob = vars(holder).get("_blob")
    return blob if isinstance(blob, bytes) else pack(getattr(holder, field))


class PackedObjects:
    """Indexed objects in the order they are added, each a record in one buffer: its slot (its place in that
    order) gives it back as a Packed whose document is a PackedDocument. A document's record is kept once
    however many objects of one add() it holds, and its data's bytes once when they are the object's (a
    document that is one object, as nine in ten are). Sources that are files are kept as their name and made
    again (OnDisk); others (stdin, a rendered chart's text) are kept as they are."""

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self._buffer = bytearray()
        self._objects = array("q", [0])  # where each object's record starts, and after it where the last ends
        self._documents = array("q")  # where each document's record starts
        self._document_ends = array("q")  # and where it ends
        self._sources: list[Source] = []  # the sources that are not files
        # what names its records in the caches of decoded records and unpacked values: not id(), which a store
        # made later may reuse; random, as stores come from worker processes too (a copy of one store, read
        # twice from the scan cache, has the same records under the same token)
        self._token = secrets.randbits(63)
        self.add(resources)

    def add(self, resources: Iterable[Resource]) -> None:
        """Add objects after those already kept (objects of one document in one call share its record)."""
        buffer = self._buffer
        # id() of a document -> its number, its data's bytes and where they are in the buffer
        documents: dict[int, tuple[int, bytes, tuple[int, int]]] = {}
        sources: dict[int, int] = {}

        def blob_at(blob: bytes) -> tuple[int, int]:
            buffer.extend(blob)
            return len(buffer) - len(blob), len(buffer)

        del self._objects[-1]
        for resource in resources:
            document = resource.document
            known = documents.get(id(document))
            blob = _blob_of(resource, "obj")
            if known is None:
                data = _blob_of(document, "data")
                data_at = blob_at(data)
                source: Any = document.source
                if type(source) is OnDisk:
                    source = (source.name, source.is_json, source.encoding)
                elif id(source) in sources:
                    source = sources[id(source)]
                else:
                    source = sources[id(source)] = len(self._sources)
                    self._sources.append(document.source)
                shape = (source, document.index, document.line, document.start, document.end)
                record = marshal.dumps((*shape, document.root, document.first_line, *data_at))
                known = documents[id(document)] = (len(self._documents), data, data_at)
                self._documents.append(len(buffer))
                self._document_ends.append(len(buffer) + len(record))
                buffer.extend(record)
            number, data, data_at = known
            body_at = data_at if blob == data else blob_at(blob)
            named = (resource.api_version, resource.kind, resource.name, resource.namespace)
            self._objects.append(len(buffer))
            buffer.extend(marshal.dumps((number, resource.base, *named, *body_at)))
        self._objects.append(len(buffer))

    def __len__(self) -> int:
        return len(self._objects) - 1

    def objects(self) -> list[Resource]:
        """Every object it holds, made again in order (those of one document sharing it)."""
        made: dict[Any, Any] = {}
        return [self.made(slot, made) for slot in range(len(self))]

    def made(self, slot: int, made: dict[Any, Any]) -> Resource:
        """The object in a slot, made from its record; ``made`` keeps what one lookup context made (its
        documents and sources), so objects of one document share it as they did when indexed."""
        number, base, api_version, kind, name, namespace, body_start, body_end = self._record(
            self._objects[slot], self._objects[slot + 1]
        )
        document = self._document(number, made)
        named = {"api_version": api_version, "kind": kind, "name": name, "namespace": namespace}
        return self._holder(Packed, self._objects[slot], body_start, body_end, document=document, base=base, **named)

    def _document(self, number: int, made: dict[Any, Any]) -> Document:
        key = ("document", number)
        found: Document | None = made.get(key)
        if found is not None:
            return found
        start, end = self._documents[number], self._document_ends[number]
        source, index, line, first, last, root, first_line, data_start, data_end = self._record(start, end)
        shape = {"index": index, "line": line, "start": first, "end": last, "root": root, "first_line": first_line}
        document = self._holder(PackedDocument, start, data_start, data_end, source=self._source(source, made), **shape)
        made[key] = document
        return document

    def _holder(self, kind: type[H], record: int, body: int, body_end: int, /, **fields: Any) -> H:
        """An object of ``kind`` (Packed, PackedDocument) made without its __init__, which would pack its body
        again: its fields (a document's own start and end among them), its packed body (the buffer from body
        to body_end), and its record's place, which names it in the caches (unpack, _decoded)."""
        holder = kind.__new__(kind)
        vars(holder).update(_record=(self._token, record), _blob=bytes(self._buffer[body:body_end]), **fields)
        return holder

    def _record(self, start: int, end: int) -> tuple[Any, ...]:
        """The record at a place in the buffer, decoded (the last RECORDS_KEPT decoded are kept)."""
        record: tuple[Any, ...] = _kept(
            _decoded, (self._token, start), lambda: marshal.loads(self._buffer[start:end]), RECORDS_KEPT
        )
        return record

    def _source(self, source: int | tuple[str, bool, str], made: dict[Any, Any]) -> Source:
        if isinstance(source, int):
            return self._sources[source]
        key = ("source", source)
        found: Source | None = made.get(key)
        if found is None:
            name, is_json, encoding = source
            found = made[key] = OnDisk(name, "", is_json, encoding)
        return found
