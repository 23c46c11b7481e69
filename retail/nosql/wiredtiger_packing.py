"""WiredTiger's key and value packing, planned once per format, for the embedded server.

The embedded server (SecantusDB) stores every document, index entry and catalog row through
WiredTiger's Python cursor, which packs each key and value with `wiredtiger.packing`: pure
Python that parses the format string again on every call (`SSSu`, `SSq`, ...) through nested
generators. Profiled in the server's process at scale 10, packing and unpacking were 65 s of
its ~330 s of work: every insert packs a key, a value and one key per index entry, and every
document a pass or an index build reads unpacks its key.

`pack` and `unpack` here give the same bytes and values: a format is parsed once into a plan
(its column types), and the variable-length integer encoding is WiredTiger's own, written with
fewer calls. They cover what the server uses: NUL-terminated strings (`S`), byte arrays (`u`)
and integers, with no counts. Any other format, or a value of an unexpected type, goes to
WiredTiger's own functions, which raise the errors they raise. `install()` puts them in place
of the cursor module's `pack`/`unpack`; only `embedded_process.py` calls it, in the server's
own process.
"""

from __future__ import annotations

import struct
import sys
from typing import Any

_INTEGERS = frozenset("hHiIlLqQr")  # not b/B: single bytes, packed apart
_STRING, _BYTES, _LAST_BYTES, _INTEGER = range(4)

_NEG_2BYTE_MIN = -(2**13) - 2**6
_NEG_1BYTE_MIN = -(2**6)
_POS_1BYTE_MAX = 2**6 - 1
_POS_2BYTE_MAX = 2**13 + _POS_1BYTE_MAX
_UINT64 = (1 << 64) - 1
_BIG_ENDIAN_64 = struct.Struct(">Q")
_ONE_BYTE = [bytes([0x80 | x]) for x in range(64)]  # 0..63, the commonest integers

_plans: dict[str, tuple[int, ...] | None] = {}  # None: a format WiredTiger's own functions pack
_UNPLANNED: Any = object()


def _plan(fmt: str) -> tuple[int, ...] | None:
    """The column types of `fmt`, or None when it is not a format this module covers."""
    body = fmt[1:] if fmt[:1] == "." else fmt
    plan: tuple[int, ...] | None = None
    if body and all(char in _INTEGERS or char in "Su" for char in body):
        plan = tuple(_STRING if char == "S" else
                     (_LAST_BYTES if index == len(body) - 1 else _BYTES) if char == "u" else
                     _INTEGER for index, char in enumerate(body))
    _plans[fmt] = plan
    return plan


def pack_int(x: int) -> bytes:
    """WiredTiger's variable-length, order-preserving integer encoding (`intpacking.pack_int`)."""
    if 0 <= x <= _POS_1BYTE_MAX:
        return _ONE_BYTE[x]
    if x < _NEG_2BYTE_MIN:
        packed = _BIG_ENDIAN_64.pack(x & _UINT64).lstrip(b"\xff")
        return bytes([0x10 | ((8 - len(packed)) & 0xF)]) + packed
    if x < _NEG_1BYTE_MIN:
        x -= _NEG_2BYTE_MIN
        return bytes([0x20 | ((x >> 8) & 0x1F), x & 0xFF])
    if x < 0:
        return bytes([0x40 | ((x - _NEG_1BYTE_MIN) & 0x3F)])
    if x <= _POS_2BYTE_MAX:
        x -= _POS_1BYTE_MAX + 1
        return bytes([0xC0 | ((x >> 8) & 0x1F), x & 0xFF])
    if x == _POS_2BYTE_MAX + 1:
        return b"\xe1\x00"  # one byte would do; WiredTiger keeps the encoding from shrinking
    packed = _BIG_ENDIAN_64.pack(x - (_POS_2BYTE_MAX + 1)).lstrip(b"\x00")
    return bytes([0xE0 | (len(packed) & 0xF)]) + packed


def unpack_int(data: bytes, at: int) -> tuple[int, int]:
    """(the integer packed at `data[at:]`, the offset after it): `intpacking.unpack_int`."""
    marker = data[at]
    if marker < 0x20:
        size = 8 - (marker & 0xF)
        return (-1 << (size << 3)) | int.from_bytes(data[at + 1:at + 1 + size], "big"), \
            at + 1 + size
    if marker < 0x40:
        return _NEG_2BYTE_MIN + (((marker & 0x1F) << 8) | data[at + 1]), at + 2
    if marker < 0x80:
        return _NEG_1BYTE_MIN + (marker & 0x3F), at + 1
    if marker < 0xC0:
        return marker & 0x3F, at + 1
    if marker < 0xE0:
        return _POS_1BYTE_MAX + 1 + (((marker & 0x1F) << 8) | data[at + 1]), at + 2
    size = marker & 0xF
    return _POS_2BYTE_MAX + 1 + int.from_bytes(data[at + 1:at + 1 + size], "big"), \
        at + 1 + size


def pack(fmt: str, *values: Any) -> Any:
    """`wiredtiger.packing.pack`, same bytes."""
    plan = _plans.get(fmt, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = _plan(fmt)
    if plan is None or len(values) != len(plan):
        return _wiredtiger_pack(fmt, *values)
    parts = []
    for kind, value in zip(plan, values, strict=True):
        if kind == _INTEGER:
            if type(value) is not int:
                return _wiredtiger_pack(fmt, *values)
            parts.append(pack_int(value))
        elif kind == _STRING:
            if type(value) is not str:
                return _wiredtiger_pack(fmt, *values)
            parts.append(value.partition("\0")[0].encode())
            parts.append(b"\0")
        else:
            if type(value) is not bytes:
                return _wiredtiger_pack(fmt, *values)
            if kind == _BYTES:
                parts.append(pack_int(len(value)))
            parts.append(value)
    return b"".join(parts)


def unpack(fmt: str, data: Any) -> Any:
    """`wiredtiger.packing.unpack`, same values (a list)."""
    plan = _plans.get(fmt, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = _plan(fmt)
    if plan is None or type(data) is not bytes:
        return _wiredtiger_unpack(fmt, data)
    result: list[Any] = []
    at = 0
    for kind in plan:
        if kind == _INTEGER:
            value, at = unpack_int(data, at)
            result.append(value)
        elif kind == _STRING:
            end = data.find(b"\0", at)
            if end < 0:
                return _wiredtiger_unpack(fmt, data)
            result.append(data[at:end].decode())
            at = end + 1
        elif kind == _LAST_BYTES:
            result.append(data[at:] if at else data)
            at = len(data)
        else:
            size, at = unpack_int(data, at)
            result.append(data[at:at + size])
            at += size
    return result


def _wiredtiger_pack(fmt: str, *values: Any) -> Any:
    from wiredtiger.packing import pack as original

    return original(fmt, *values)


def _wiredtiger_unpack(fmt: str, data: Any) -> Any:
    from wiredtiger.packing import unpack as original

    return original(fmt, data)


def install() -> None:
    """Use these in WiredTiger's cursor module (what `Cursor.set_key`/`get_key` call)."""
    import wiredtiger

    cursor_module = sys.modules[wiredtiger.Cursor.__module__]
    cursor_module.pack = pack  # type: ignore[attr-defined]
    cursor_module.unpack = unpack  # type: ignore[attr-defined]
