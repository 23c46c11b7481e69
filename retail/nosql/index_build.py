"""An index build on the embedded server decodes only the fields it indexes.

SecantusDB builds an index by walking the collection and decoding every document whole
(`bson.decode`) to read the indexed fields. For a customer profile (~1.8 KB: orders, lines,
dozens of money values) that decode is ~17 µs, most of the build, and it is paid once per
index: at scale 10 the two profile indexes decoded 370,000 profiles, 6.2 s of the 20 s build.

Here, while SecantusDB builds an index whose keys are top-level fields (no dotted path, no
partial filter, no geo or special index type), each document the build's scan hands out is
read element by element only up to the indexed fields and `_id`, and just those elements are
decoded, by the same decoder, into a dict. The build uses that dict as it used the whole
document: for the keys, multikey detection, sparse coverage, and the duplicate-key error
(`_id` and the key's value). Exact: the decoder gives an element's value (a subdocument or
an array whole, so multikey arrays and `_id` documents included) whatever else the document
holds, and SecantusDB stores every document as `bson.encode(dict)`, so no stored document
repeats a top-level key. A document with a BSON type this reader does not know is decoded
whole, as before.

How it is put in place (`install()`, only in the embedded server's own process,
`embedded_process.py`): SecantusDB's storage module sees a copy of the `bson` module whose
`decode` reads one document lightly when it is the one the build's scan just yielded, on the
build's own thread (`threading.local`); every other decode is the driver's. `Storage.create_index`
and `Storage._scan_docs` are wrapped to mark those documents. tests/unit/test_index_build.py
compares the index entries, catalog options and errors with SecantusDB's own build.
"""

from __future__ import annotations

import struct
import threading
import types
from collections.abc import Iterator, Mapping
from typing import Any

import bson
from bson.codec_options import DEFAULT_CODEC_OPTIONS

_real_decode = bson.decode
_state = threading.local()  # .fields: the indexed fields (bytes); .blob: the next one to read
_INT32 = struct.Struct("<i")
_FIXED = {0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8,
          0x13: 16, 0x7F: 0, 0xFF: 0}  # type -> value size
_STRINGS = frozenset((0x02, 0x0D, 0x0E))  # string, code, symbol: int32 size, bytes
_WHOLE = frozenset((0x03, 0x04, 0x0F))  # document, array, code with scope: int32 total size
_ID = b"_id"


def _value_end(data: bytes, kind: int, start: int) -> int | None:
    """Where the value of type `kind` starting at `start` ends (None: a type not read here)."""
    size = _FIXED.get(kind)
    if size is not None:
        return start + size
    if kind in _STRINGS:
        return start + 4 + _INT32.unpack_from(data, start)[0]
    if kind in _WHOLE:
        return start + _INT32.unpack_from(data, start)[0]
    if kind == 0x05:  # binary: int32 size, subtype, bytes
        return start + 5 + _INT32.unpack_from(data, start)[0]
    if kind == 0x0B:  # regex: pattern and options, both NUL-terminated
        return data.index(b"\x00", data.index(b"\x00", start) + 1) + 1
    return None


def light_decode(data: bytes, fields: frozenset[bytes]) -> dict[str, Any] | None:
    """`_id` and `fields` of the document `data`, decoded as `bson.decode` decodes them; None
    when the whole document must be decoded (no `_id`, a type not read here)."""
    wanted = fields | {_ID}
    elements = []
    position, end = 4, len(data) - 1
    while position < end and len(elements) < len(wanted):
        kind = data[position]
        key_end = data.index(b"\x00", position + 1)
        value_end = _value_end(data, kind, key_end + 1)
        if value_end is None:
            return None
        if data[position + 1:key_end] in wanted:
            elements.append(data[position:value_end])
        position = value_end
    body = b"".join(elements)
    decoded = _real_decode(_INT32.pack(len(body) + 5) + body + b"\x00")
    return decoded if "_id" in decoded else None


def decode(data: Any, codec_options: Any = DEFAULT_CODEC_OPTIONS) -> Any:
    """`bson.decode`, reading lightly the document an index build's scan just yielded."""
    if data is getattr(_state, "blob", None) and codec_options is DEFAULT_CODEC_OPTIONS:
        _state.blob = None
        light = light_decode(data, _state.fields)
        if light is not None:
            return light
    return _real_decode(data, codec_options)


def indexed_fields(key_spec: Mapping[str, Any], options: Mapping[str, Any] | None
                   ) -> frozenset[bytes] | None:
    """The top-level fields an index reads, or None when its build keeps decoding whole
    documents (dotted paths, `$` names, special index types, a partial filter)."""
    if (options or {}).get("partialFilterExpression") is not None or not key_spec:
        return None
    for field, direction in key_spec.items():
        if (not isinstance(field, str) or "." in field or field.startswith("$")
                or "\x00" in field or isinstance(direction, str | bool)
                or not isinstance(direction, int | float)):
            return None
    return frozenset(field.encode() for field in key_spec)


class _Bson(types.ModuleType):
    """The `bson` module with this module's `decode` (anything else looked up is bson's)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(bson, name)


def install() -> None:
    """Put the light decode in place in SecantusDB's storage (this process only)."""
    from secantus import storage

    if isinstance(storage.bson, _Bson):
        return
    shim = _Bson("bson")
    shim.__dict__.update({k: v for k, v in vars(bson).items() if not k.startswith("__")})
    shim.decode = decode  # type: ignore[attr-defined]
    original_create_index = storage.Storage.create_index
    original_scan_docs = storage.Storage._scan_docs

    def create_index(self: Any, db: str, coll: str, name: str, key_spec: Mapping[str, Any],
                     options: Mapping[str, Any] | None = None) -> bool:
        fields = indexed_fields(key_spec, options)
        if fields is None:
            return original_create_index(self, db, coll, name, key_spec, options)
        _state.fields = fields
        try:
            return original_create_index(self, db, coll, name, key_spec, options)
        finally:
            _state.fields = _state.blob = None

    def _scan_docs(self: Any, db: str, coll: str) -> Iterator[tuple[int, bytes, bytes]]:
        if getattr(_state, "fields", None) is None:
            yield from original_scan_docs(self, db, coll)
            return
        for item in original_scan_docs(self, db, coll):
            _state.blob = item[2]
            yield item

    create_index.original = original_create_index  # type: ignore[attr-defined]
    storage.Storage.create_index = create_index  # type: ignore[method-assign]
    storage.Storage._scan_docs = _scan_docs  # type: ignore[method-assign]
    storage.bson = shim
