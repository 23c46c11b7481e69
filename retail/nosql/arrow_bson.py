"""Arrow columns -> BSON documents, column by column (Arrow compute), never value by value.

The customer profiles (retail/nosql/profiles.py) and the web-event buckets (events.py) come
out of DuckDB as Arrow record batches: nested lists of structs with decimals, dates and times.
Turning each batch into Python dicts (`to_pylist`) and each dict into BSON (the driver's C
encoder, calling back into Python for every decimal and date) was most of the client's work:
for the profiles at scale 10 (185,000 profiles, 820,000 orders and lines) 10.4 s of
`to_pylist` and 8.8 s of encoding, longer than the embedded server took to store them. Here a
whole batch is encoded at once: each column becomes the bytes of its BSON elements (type
byte, key, value) with Arrow's binary kernels, a struct is the join of its fields' elements, a
list the join of its values' elements under the keys "0", "1", ...

The bytes of a value are kept as its parts (`Parts`: arrays and constants that, joined row
by row, make them), joined only where a list regroups its values into one value per row, and
once for the whole documents. Joining at every level (a string's length prefix, its element,
the struct's body, the struct's document, the list's element, ...) copied a profile's order
lines about a dozen times; the documents are then sliced from one copy of the joined bytes
instead of one Arrow scalar each (`_values`). The 185,000 profiles of scale 10 encoded in
1.7-2.2 s before, 1.2-1.3 s now.

`documents(fields)` gives, byte for byte, what `bson.encode` gives for the dicts `to_pylist`
makes of the same columns, with `profiles.CODEC_OPTIONS` (a Python int as int32 when it fits,
else int64; a decimal as the Decimal128 of the same significand and exponent; a date as UTC
midnight; a timestamp as its milliseconds, rounded down; null as BSON null), `_id` first.
A `Present` field is written only in some documents (absent, not null, in the others).
tests/unit/test_arrow_bson.py compares them. A column type this module does not cover
(binaries, maps, nanoseconds, ...), or a value the driver would treat apart or cannot hold (an
unsigned integer or a decimal beyond what BSON holds, a time outside Python's years 1-9999, a
NUL in a key), raises `Unsupported`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NULL, _DOUBLE, _STRING, _DOCUMENT, _ARRAY = 0x0A, 0x01, 0x02, 0x03, 0x04
_BOOL, _DATETIME, _INT32, _INT64, _DECIMAL = 0x08, 0x09, 0x10, 0x12, 0x13
_BINARY = pa.large_binary()  # 64-bit offsets: a batch's bytes may pass 2 GiB
_MS_PER_DAY = 86_400_000
_EXPONENT_BIAS = 6176
_TEN_TO_34 = 10**34  # a Decimal128's significand holds at most 34 digits
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


class Unsupported(Exception):
    """A column this module does not encode exactly as the driver would."""


# Made on first use: pyarrow imports pandas (~0.15 s) the first time it converts a Python value,
# and a `retail run` imports this module as it starts (the events sync), long before a document
# is encoded (never, on an extract without web events).
@cache
def _type_bytes() -> pa.Array:
    """Each BSON type code as a one-byte binary, indexed by the code."""
    return pa.array([bytes([code]) for code in range(256)], _BINARY)


@cache
def _empty() -> pa.Scalar:
    return pa.scalar(b"", _BINARY)


def _fixed(values: np.ndarray) -> pa.Array:
    """Each row of `values` (one fixed-width little-endian value per row) as a binary value."""
    data = np.ascontiguousarray(values)
    width = data.dtype.itemsize if data.ndim == 1 else data.dtype.itemsize * data.shape[1]
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(data),
                                                 [None, pa.py_buffer(data.tobytes())])
    return array.cast(_BINARY)


def _offsets(array: pa.Array) -> np.ndarray:
    """The value offsets of a large_binary array (len + 1 of them)."""
    return np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset: array.offset + len(array) + 1]


def _regrouped(values: pa.Array, bounds: np.ndarray) -> pa.Array:
    """Consecutive values of `values` joined into one value each: value i of the result is
    values[bounds[i]:bounds[i + 1]] end to end (the same bytes, new offsets)."""
    if values.offset:
        values = pa.concat_arrays([values])  # offsets from zero, data from its first byte
    data = values.buffers()[2]
    offsets = _offsets(values)[bounds]
    return pa.Array.from_buffers(_BINARY, len(bounds) - 1,
                                 [None, pa.py_buffer(np.ascontiguousarray(offsets)),
                                  data if data is not None else pa.py_buffer(b"")])


Parts = list[pa.Array | bytes]  # per row, joined end to end: the bytes of a value


def _join(*parts: pa.Array | bytes) -> pa.Array:
    """Row by row, the parts end to end (a `bytes` part: the same in every row; at least one
    part is an array)."""
    if len(parts) == 1 and not isinstance(parts[0], bytes):
        return parts[0]
    return pc.binary_join_element_wise(
        *(pa.scalar(part, _BINARY) if isinstance(part, bytes) else part for part in parts),
        _empty())


def _lengths(parts: Parts) -> np.ndarray:
    """Per row, the length of the parts joined."""
    arrays = [np.diff(_offsets(part)) for part in parts if not isinstance(part, bytes)]
    total = sum(len(part) for part in parts if isinstance(part, bytes))
    return sum(arrays[1:], arrays[0] + total)


def _valid(array: pa.Array) -> np.ndarray:
    return np.asarray(array.is_valid())


def _codes(valid: np.ndarray, code: int | np.ndarray) -> np.ndarray:
    return np.where(valid, code, _NULL).astype(np.uint8)


def _unless_null(valid: np.ndarray, parts: Parts) -> Parts:
    """`parts`, joined into an empty value where the source was null (a BSON null has no
    value)."""
    if valid.all():
        return parts
    return [pc.if_else(pa.array(valid), _join(*parts), _empty())]


def _document(body: Parts) -> Parts:
    """Element bytes -> an embedded document: int32 total length, the elements, a NUL."""
    return [_fixed((_lengths(body) + 5).astype("<i4")), *body, b"\x00"]


def _elements(codes: np.ndarray, keys: pa.Array | bytes, values: Parts) -> Parts:
    """type byte + key (NUL-terminated) + value, per row."""
    if isinstance(keys, bytes) and len(codes) and (codes == codes[0]).all():
        return [bytes([codes[0]]) + keys, *values]  # one type in every row: one prefix
    return [_type_bytes().take(pa.array(codes)), keys, *values]


def _integers(array: pa.Array, valid: np.ndarray) -> tuple[np.ndarray, Parts]:
    if pa.types.is_uint64(array.type) and (pc.max(array).as_py() or 0) > np.iinfo(np.int64).max:
        raise Unsupported("an unsigned integer beyond int64")
    values = np.asarray(array.cast(pa.int64()).fill_null(0), dtype=np.int64)
    fits = (values >= _INT32_MIN) & (values <= _INT32_MAX)
    if fits.all():
        return _codes(valid, _INT32), _unless_null(valid, [_fixed(values.astype("<i4"))])
    encoded = pc.if_else(pa.array(fits), _fixed(values.astype("<i4")),
                         _fixed(values.astype("<i8")))
    return _codes(valid, np.where(fits, _INT32, _INT64)), _unless_null(valid, [encoded])


def _decimals(array: pa.Array, valid: np.ndarray) -> tuple[np.ndarray, Parts]:
    """Arrow decimal128 (two's complement, scale s) -> BID Decimal128 (sign, exponent -s,
    significand), as `retail.nosql.decimals.decimal128` makes it from the decimal's text."""
    if not pa.types.is_decimal128(array.type) or array.type.scale < 0:
        raise Unsupported(f"decimal type {array.type}")
    scale = array.type.scale
    words = np.frombuffer(array.buffers()[1], dtype="<u8")[
        2 * array.offset: 2 * (array.offset + len(array))].reshape(-1, 2)
    low, high = words[:, 0].copy(), words[:, 1].copy()
    negative = (high >> np.uint64(63)).astype(bool) & valid
    # |value|: two's complement negation across both words where negative
    neg_low = ~low + np.uint64(1)
    neg_high = ~high + (neg_low == 0).astype(np.uint64)
    low = np.where(negative, neg_low, low)
    high = np.where(negative, neg_high, high)
    limit_high, limit_low = divmod(_TEN_TO_34, 1 << 64)
    too_big = valid & ((high > limit_high) | ((high == limit_high) & (low >= limit_low)))
    if too_big.any():
        raise Unsupported("a decimal with more than 34 digits")
    high = (high | (np.uint64(_EXPONENT_BIAS - scale) << np.uint64(49))
            | (negative.astype(np.uint64) << np.uint64(63)))
    bid = np.stack([low, high], axis=1).astype("<u8")
    return _codes(valid, _DECIMAL), _unless_null(valid, [_fixed(bid)])


_MICROS_PER = {"s": 1_000_000, "ms": 1000, "us": 1}  # timestamp unit -> microseconds
PYTHON_MICROS = (-62_135_596_800_000_000, 253_402_300_799_999_999)  # datetime's years 1-9999
PYTHON_DAYS = (-719_162, 2_932_896)  # date's years 1-9999: days since 1970-01-01


def _timestamps(array: pa.Array, valid: np.ndarray) -> tuple[np.ndarray, Parts]:
    """Milliseconds since the epoch, rounded down (as the driver encodes a datetime, aware or
    naive: naive is UTC), for what Python's datetime holds (years 1-9999, microseconds)."""
    per = _MICROS_PER.get(array.type.unit)
    if per is None:
        raise Unsupported(f"timestamps in {array.type.unit}")
    values = np.asarray(array.cast(pa.int64()).fill_null(0), dtype=np.int64)
    low, high = (bound // per for bound in PYTHON_MICROS)
    if ((values < low) | (values > high))[valid].any():
        raise Unsupported("a timestamp outside years 1-9999")
    return _codes(valid, _DATETIME), _unless_null(valid, [_fixed(
        np.floor_divide(values * per, 1000).astype("<i8"))])


def _strings(array: pa.Array, valid: np.ndarray) -> tuple[np.ndarray, Parts]:
    binary = array.cast(_BINARY).fill_null(b"")
    lengths = np.diff(_offsets(binary)) + 1
    return _codes(valid, _STRING), _unless_null(valid, [_fixed(lengths.astype("<i4")), binary,
                                                        b"\x00"])


def _struct(array: pa.StructArray, valid: np.ndarray) -> tuple[np.ndarray, Parts]:
    fields = {array.type.field(i).name: child for i, child in enumerate(array.flatten())}
    if len(fields) < array.type.num_fields:
        raise Unsupported("a struct with two fields of the same name")
    return _codes(valid, _DOCUMENT), _unless_null(valid, _document(_body(fields, len(array))))


def _list(array: pa.Array, valid: np.ndarray) -> tuple[np.ndarray, Parts]:
    lengths = np.asarray(pc.list_value_length(array).fill_null(0), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = pc.list_flatten(array)
    codes, encoded = _value(values)
    positions = np.arange(len(values)) - np.repeat(offsets[:-1], lengths)
    longest = int(lengths.max()) if len(lengths) else 0
    keys = pa.array([f"{i}\x00".encode() for i in range(longest)], _BINARY)
    body = _regrouped(_join(*_elements(codes, keys.take(pa.array(positions)), encoded)),
                      offsets)
    return _codes(valid, _ARRAY), _unless_null(valid, _document([body]))


def _value(array: pa.Array) -> tuple[np.ndarray, Parts]:
    """Each row's BSON type code and value bytes, as parts (nothing for a null)."""
    kind = array.type
    valid = _valid(array)
    if pa.types.is_null(kind):
        return _codes(valid, _NULL), [pa.repeat(_empty(), len(array))]
    if pa.types.is_boolean(kind):
        flags = np.asarray(array.fill_null(False), dtype=np.uint8)
        return _codes(valid, _BOOL), _unless_null(valid, [_fixed(flags)])
    if pa.types.is_integer(kind):
        return _integers(array, valid)
    if pa.types.is_floating(kind):
        values = np.asarray(array.cast(pa.float64()).fill_null(0.0), dtype="<f8")
        return _codes(valid, _DOUBLE), _unless_null(valid, [_fixed(values)])
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _strings(array, valid)
    if pa.types.is_timestamp(kind):
        return _timestamps(array, valid)
    if pa.types.is_date32(kind):
        days = np.asarray(array.cast(pa.int32()).fill_null(0), dtype=np.int64)
        if ((days < PYTHON_DAYS[0]) | (days > PYTHON_DAYS[1]))[valid].any():
            raise Unsupported("a date outside years 1-9999")
        return _codes(valid, _DATETIME), _unless_null(valid, [_fixed((days * _MS_PER_DAY)
                                                                     .astype("<i8"))])
    if pa.types.is_decimal(kind):
        return _decimals(array, valid)
    if pa.types.is_struct(kind):
        return _struct(array, valid)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _list(array, valid)
    raise Unsupported(f"Arrow type {kind}")


@dataclass(frozen=True)
class Present:
    """A field only some documents have: `values` holds its values for the rows where `rows`
    is true, in order (one per such row); the other documents have no such field (not null).
    Two fields of one name may be given when no row has both (a field whose shape varies)."""

    values: pa.Array
    rows: np.ndarray  # bool, one per document

    def __post_init__(self) -> None:
        if int(np.count_nonzero(self.rows)) != len(self.values):
            raise ValueError(f"{len(self.values)} values for {np.count_nonzero(self.rows)} rows")


Column = pa.Array | pa.ChunkedArray | Present
Fields = Mapping[str, Column] | Sequence[tuple[str, Column]]


def _whole(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _field_elements(name: str, column: Column) -> Parts:
    if "\x00" in name:
        raise Unsupported("a NUL in a field name")
    key = name.encode() + b"\x00"
    if not isinstance(column, Present):
        codes, encoded = _value(_whole(column))
        return _elements(codes, key, encoded)
    codes, encoded = _value(_whole(column.values))
    compact = _join(*_elements(codes, key, encoded))
    positions = np.cumsum(column.rows) - 1  # row -> its value, where present
    taken = compact.take(pa.array(positions, mask=~column.rows))
    return [taken.fill_null(_empty())]


def _pairs(columns: Fields) -> list[tuple[str, Column]]:
    """The fields in order, `_id` first (as the driver puts it)."""
    pairs = list(columns.items()) if isinstance(columns, Mapping) else list(columns)
    return sorted(pairs, key=lambda pair: pair[0] != "_id")  # stable: the rest keep order


def _rows(pairs: list[tuple[str, Column]]) -> int:
    rows = {len(column.rows) if isinstance(column, Present) else len(column)
            for _, column in pairs}
    if len(rows) > 1:
        raise ValueError(f"columns of different lengths: {sorted(rows)}")
    return rows.pop() if rows else 0


def _body(columns: Fields, rows: int) -> Parts:
    """The elements of every field, in order (as parts)."""
    parts = [part for name, column in
             (columns.items() if isinstance(columns, Mapping) else columns)
             for part in _field_elements(name, column)]
    return parts or [pa.repeat(_empty(), rows)]


def documents(columns: Fields) -> list[bytes]:
    """One BSON document per row: the fields (a mapping, or (name, column) pairs) in order but
    `_id` first. All columns have one value per row (a `Present` one per row that has it)."""
    pairs = _pairs(columns)
    return _values(_join(*_document(_body(pairs, _rows(pairs)))))


def _values(array: pa.Array) -> list[bytes]:
    """A large_binary array without nulls as Python bytes, sliced from one copy of its data
    (`to_pylist` makes an Arrow scalar of each value first: ~5 µs a value, 1 s for the
    profiles of scale 10)."""
    offsets = _offsets(array)
    if not len(array):
        return []
    start = int(offsets[0])
    data = array.buffers()[2]
    whole = data.slice(start, int(offsets[-1]) - start).to_pybytes() if data is not None else b""
    bounds = (offsets - start).tolist()
    return [whole[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
