"""Reading only some top-level fields of the documents the embedded server decodes.

SecantusDB decodes every stored document whole (`bson.decode`) before it looks at it, also when
it needs a few of its fields: an index build its indexed fields (`index_build`), an aggregation
the fields its pipeline keeps (`projected_reads`). `light_decode` reads a document element by
element, skipping each value by its size, and decodes only `_id` and the wanted elements, by the
same decoder, into a dict: for a profile (~1.8 KB) or an event bucket (~3 KB, most of it its
events) a fraction of the whole decode.

How it is put in place (`install()`, only in the embedded server's own process,
`embedded_process.py`): SecantusDB's storage module sees a copy of the `bson` module whose
`decode` reads a document lightly when that very blob was `mark`ed on this thread, with the
function that reads it (`reader`); every other decode is the driver's. A mark is used once: the
blob's next decode on this thread with the default codec options takes it. Who marks which
blobs, and when it is exact, is said in `index_build` and `projected_reads`.
"""

from __future__ import annotations

import struct
import threading
import types
from collections.abc import Callable
from typing import Any

import bson
from bson.codec_options import DEFAULT_CODEC_OPTIONS

Reader = Callable[[bytes], dict[str, Any]]

_real_decode = bson.decode
_state = threading.local()  # .marks: {id(blob): (blob, reader)}, blobs to read lightly
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


def read(data: bytes, fields: frozenset[bytes]) -> dict[str, Any]:
    """`_id` and `fields` of the stored document `data` (all of it when it cannot be read
    lightly): what a reader of `mark` returns."""
    doc = light_decode(data, fields)
    return doc if doc is not None else _real_decode(data)


def mark(blob: bytes, reader: Reader) -> None:
    """Have this thread's next default decode of `blob` (this object) return `reader(blob)`."""
    marks = getattr(_state, "marks", None)
    if marks is None:
        marks = _state.marks = {}
    marks[id(blob)] = (blob, reader)  # the blob is kept: its id is not reused while marked


def forget_marks() -> None:
    """Drop this thread's marks (the blobs marked and never decoded)."""
    _state.marks = None


def decode(data: Any, codec_options: Any = DEFAULT_CODEC_OPTIONS) -> Any:
    """`bson.decode`, or the reader of a blob marked on this thread."""
    marks = getattr(_state, "marks", None)
    if marks and codec_options is DEFAULT_CODEC_OPTIONS:
        marked = marks.pop(id(data), None)
        if marked is not None:
            return marked[1](data)
    return _real_decode(data, codec_options)


class _Bson(types.ModuleType):
    """The `bson` module with this module's `decode` (anything else looked up is bson's)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(bson, name)


def install() -> None:
    """Put `decode` in place in SecantusDB's storage (this process only; idempotent)."""
    from secantus import storage

    if isinstance(storage.bson, _Bson):
        return
    shim = _Bson("bson")
    shim.__dict__.update({k: v for k, v in vars(bson).items() if not k.startswith("__")})
    shim.decode = decode  # type: ignore[attr-defined]
    storage.bson = shim
