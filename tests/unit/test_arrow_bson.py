"""Arrow columns encoded column by column (retail/nosql/arrow_bson.py) give, byte for byte, what
the driver gives for the rows `to_pylist` makes of them, with the profiles' codec options.

The driver is the reference: every test encodes the same Arrow data both ways and compares the
bytes, so a rule broken in the module (int32 or int64 per value, a decimal's sign, exponent or
digits, a date's milliseconds, the keys "0", "1", ... of a list, a null inside a list or a
struct) shows as a difference. The data is made to hit each rule: nulls at every level (and
values hidden under them), every integer width at the int32 bounds, NaN, infinities and -0.0,
dates from year 1 to 9999, decimals up to 34 digits (35 are unsupported), nesting like a
profile's orders and their lines, sliced and chunked arrays as readers hand them out, and
random rows of every type. Types the module does not cover must raise `Unsupported` (the
writer then encodes the driver's way), and `profile_columns` must give what `profile_document`
gives, so the profiles written are the same whichever way they were encoded. One difference is
by design and kept as an expected failure: a top-level `_id` stays where the mapping puts it
(the driver moves it first), so callers put it first.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import struct
from collections.abc import Mapping
from decimal import Decimal

import bson
import numpy as np
import pyarrow as pa
import pytest
from bson import Int64

from retail.nosql import arrow_bson, profiles
from retail.nosql.arrow_bson import Unsupported
from retail.nosql.profiles import CODEC_OPTIONS, profile_columns, profile_document

Columns = Mapping[str, pa.Array | pa.ChunkedArray]


def _driver(columns: Columns) -> list[bytes]:
    """What the driver writes for the dicts `to_pylist` makes of `columns`."""
    return [bson.encode(row, codec_options=CODEC_OPTIONS)
            for row in pa.table(dict(columns)).to_pylist()]


def _shown(document: bytes) -> str:
    try:
        return repr(bson.decode(document))
    except Exception as error:  # malformed: show the bytes
        return f"{document.hex()} ({error})"


def _assert_as_driver(columns: Columns) -> list[bytes]:
    """`arrow_bson.documents(columns)` is the driver's bytes, row by row (a difference shows
    both documents decoded)."""
    encoded = arrow_bson.documents(columns)
    _assert_same(encoded, _driver(columns))
    return encoded


def _assert_same(encoded: list[bytes], expected: list[bytes]) -> None:
    assert len(encoded) == len(expected)
    for row, (mine, drivers) in enumerate(zip(encoded, expected, strict=True)):
        assert mine == drivers, (f"row {row}:\n  arrow_bson {_shown(mine)}\n"
                                 f"  driver     {_shown(drivers)}")


def _decimals(texts: list[str | None], precision: int, scale: int) -> pa.Array:
    return pa.array([None if text is None else Decimal(text) for text in texts],
                    pa.decimal128(precision, scale))


INT32_BOUNDS = [-(2**31), 2**31 - 1, 2**31, -(2**31) - 1]

# nested shapes, each with nulls at every level and lists of every length
LINE = pa.struct([("product_number", pa.string()), ("quantity", pa.int64()),
                  ("unit_price", pa.decimal128(18, 2))])
ORDER = pa.struct([("order_number", pa.string()), ("order_date", pa.date32()),
                   ("amount", pa.decimal128(38, 2)), ("lines", pa.list_(LINE))])


def _line(n: int) -> dict:
    return {"product_number": f"P-{n}", "quantity": n * 2**29,  # int32, then int64 from n = 4
            "unit_price": Decimal(f"-{n}.{n:02d}") if n % 3 else Decimal("0.00")}


def _order(n: int, lines: int) -> dict:
    return {"order_number": f"SO{n}", "order_date": dt.date(2020, 1, 1) + dt.timedelta(n),
            "amount": Decimal(f"{n}12.50"), "lines": [_line(i) for i in range(lines)]}


SHAPES: dict[str, pa.Array] = {
    "orders with lines": pa.array([
        [_order(1, 2), _order(2, 0), None, {"order_number": None, "order_date": None,
                                            "amount": None, "lines": None}],
        [],
        None,
        [_order(3, 12)],
        [_order(n, n % 4) for n in range(13)],
        [{**_order(4, 1), "lines": [None, _line(5), {"product_number": None, "quantity": None,
                                                    "unit_price": None}]}],
    ], pa.list_(ORDER)),
    "long lists": pa.array([list(range(n)) if n != 7 else None for n in range(0, 26, 3)]
                           + [[None] * 11, [2**31] * 12], pa.list_(pa.int64())),
    "lists of lists": pa.array([[[1, 2], [], None, [None, 2**31 - 1]], None, [],
                                [[-(2**31)]] * 11, [[3]]], pa.list_(pa.list_(pa.int32()))),
    "structs in structs": pa.array([
        {"a": 1, "inner": {"b": "x", "c": dt.date(1969, 12, 31), "deep": {"d": -0.0}}},
        {"a": None, "inner": None},
        None,
        {"a": 2**40, "inner": {"b": None, "c": None, "deep": None}},
        {"a": -1, "inner": {"b": "Zürich", "c": dt.date(1, 1, 1), "deep": {"d": None}}},
    ], pa.struct([("a", pa.int64()), ("inner", pa.struct([
        ("b", pa.string()), ("c", pa.date32()), ("deep", pa.struct([("d", pa.float64())]))]))])),
    "large lists of large strings": pa.array(
        [["a", None, "", "日本語"], None, [], ["x\x00y"] * 15, [None]],
        pa.large_list(pa.large_string())),
    "structs of lists": pa.array([
        {"tags": ["a", "b"], "flags": [True, None, False], "empty": {}},
        {"tags": None, "flags": [], "empty": None},
        None,
        {"tags": [None], "flags": None, "empty": {}},
    ], pa.struct([("tags", pa.list_(pa.string())), ("flags", pa.list_(pa.bool_())),
                  ("empty", pa.struct([]))])),
    # children that are slices themselves, and values hidden under null lists and structs
    "built on slices": pa.ListArray.from_arrays(
        pa.array([0, 2, 5, 5, 9], pa.int32()),
        pa.StructArray.from_arrays(
            [pa.array(list(range(-3, 11)), pa.int64()).slice(3),
             _decimals([None, "1.5", "-2.25", "0.01", "-0.10", "3", "4", "5", "6", "7", "8",
                        "9"], 10, 2).slice(1),
             pa.array([dt.date(2000, 1, n) for n in range(1, 14)]).slice(2)],
            names=["n", "price", "day"],
            mask=pa.array([False, True, False, False, False, True, False, False, False, False,
                           False])),
        mask=pa.array([False, False, True, False])),
}
SLICES = [(0, None), (1, 2), (2, None), (3, 0)]


def test_nulls_of_every_type_are_bson_nulls() -> None:
    """Column nulls of every type, null structs and lists, null elements and fields."""
    _assert_as_driver({
        "nothing": pa.nulls(3),
        "flag": pa.array([None, True, False]),
        "i8": pa.array([1, None, 2], pa.int8()),
        "u64": pa.array([None, 1, 2], pa.uint64()),
        "i64": pa.array([None, 2**40, None], pa.int64()),
        "f32": pa.array([1.5, 2.5, None], pa.float32()),
        "f64": pa.array([None, math.nan, None]),
        "text": pa.array(["a", None, ""]),
        "large_text": pa.array([None, None, "b"], pa.large_string()),
        "day": pa.array([None, dt.date(2024, 2, 29), None]),
        "money": _decimals([None, "-1.00", None], 18, 2),
        "struct": pa.array([None, {"a": None, "b": None}, {"a": 1, "b": "x"}],
                           pa.struct([("a", pa.int32()), ("b", pa.string())])),
        "list": pa.array([None, [None, None], [1, None]], pa.list_(pa.int64())),
        "list_of_nulls": pa.array([[None], None, []], pa.list_(pa.null())),
        "list_of_structs": pa.array([[None, {"x": None}], [], None],
                                    pa.list_(pa.struct([("x", pa.decimal128(10, 2))]))),
        "list_of_days": pa.array([[None, dt.date(1970, 1, 1)], None, [None]],
                                 pa.list_(pa.date32())),
    })


def test_values_under_nulls_are_not_read() -> None:
    """A null slot's bytes (here out of range: 35 digits, 2**64 - 1, 2**40) count for nothing."""
    valid = pa.py_buffer(bytes([0b01]))
    big = 10**35
    decimal = pa.Array.from_buffers(pa.decimal128(38, 0), 2, [valid, pa.py_buffer(
        struct.pack("<QQ", 5, 0) + struct.pack("<QQ", big % 2**64, big >> 64))])
    unsigned = pa.Array.from_buffers(pa.uint64(), 2, [valid, pa.py_buffer(
        struct.pack("<QQ", 5, 2**64 - 1))])
    signed = pa.Array.from_buffers(pa.int64(), 2, [valid, pa.py_buffer(
        struct.pack("<qq", 5, 2**40))])
    _assert_as_driver({"decimal": decimal, "unsigned": unsigned, "signed": signed})


def test_empty_lists_structs_and_strings_stay_empty() -> None:
    _assert_as_driver({
        "text": pa.array(["", "", "a"]),
        "ints": pa.array([[], [], [1]], pa.list_(pa.int64())),
        "money": pa.array([[], [], []], pa.list_(pa.decimal128(10, 2))),
        "strings": pa.array([[], [""], []], pa.list_(pa.string())),
        "empty": pa.array([{}, {}, {}], pa.struct([])),
        "nested": pa.array([[[]], [], [[], []]], pa.list_(pa.list_(pa.date32()))),
    })


def test_strings_keep_multibyte_utf8_and_nul_characters() -> None:
    texts = ["Zürich", "日本語", "emoji 😀", "a\x00b", "\x00", "", "ß" * 300, None,
             "Ελληνικά\x00", "\u0000\u00ff\u0100\uffff"]
    _assert_as_driver({
        "text": pa.array(texts),
        "large": pa.array(texts, pa.large_string()),
        "in lists": pa.array([texts, [], texts[::-1]] + [[t] for t in texts[3:]],
                             pa.list_(pa.string())),
        "Größe": pa.array(range(len(texts)), pa.int8()),  # a multi-byte field name
        "": pa.array(texts, pa.large_string()),  # an empty field name
    })


def test_integers_are_int32_when_they_fit_else_int64() -> None:
    int64s = [*INT32_BOUNDS, 2**63 - 1, -(2**63), 0, -1, None]
    n = len(int64s)
    columns = {
        "int8": pa.array([-128, 127, 0, -1, None] + [1] * (n - 5), pa.int8()),
        "int16": pa.array([-(2**15), 2**15 - 1, 0, None] + [1] * (n - 4), pa.int16()),
        "int32": pa.array([-(2**31), 2**31 - 1, 0, None] + [1] * (n - 4), pa.int32()),
        "int64": pa.array(int64s, pa.int64()),
        "uint8": pa.array([0, 255, None] + [1] * (n - 3), pa.uint8()),
        "uint16": pa.array([0, 2**16 - 1, None] + [1] * (n - 3), pa.uint16()),
        "uint32": pa.array([0, 2**31 - 1, 2**31, 2**32 - 1, None] + [1] * (n - 5), pa.uint32()),
        "uint64": pa.array([0, 2**31 - 1, 2**31, 2**63 - 1, None] + [1] * (n - 5), pa.uint64()),
        "mixed in a list": pa.array([int64s] * n, pa.list_(pa.int64())),
    }
    encoded = _assert_as_driver(columns)
    # and the driver's choice itself: int32 up to the bounds, int64 beyond
    kinds = [type(bson.decode(document)["int64"]) for document in encoded]
    assert kinds[:4] == [int, int, Int64, Int64]


def test_floats_keep_nan_infinities_and_negative_zero() -> None:
    values = [math.nan, -math.nan, math.inf, -math.inf, -0.0, 0.0, 0.1, -1e308, 5e-324,
              3.4028234663852886e38, 1.401298464324817e-45, None]
    _assert_as_driver({
        "f64": pa.array(values, pa.float64()),
        "f32": pa.array(values[:9] + [1e38, 1e-45, None], pa.float32()),
        "in lists": pa.array([values] * len(values), pa.list_(pa.float32())),
    })


def test_booleans_and_lists_of_them() -> None:
    _assert_as_driver({"flag": pa.array([True, False, None, True] * 5),
                       "flags": pa.array([[True, False, None]] * 20, pa.list_(pa.bool_()))})


def test_dates_are_utc_midnight_before_1970_and_from_year_1_to_9999() -> None:
    days = [dt.date(1970, 1, 1), dt.date(1969, 12, 31), dt.date(1900, 2, 28),
            dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2000, 2, 29),
            dt.date(2038, 1, 20), dt.date(1901, 12, 13), None]
    _assert_as_driver({"day": pa.array(days, pa.date32()),
                       "days": pa.array([days] * len(days), pa.list_(pa.date32()))})


@pytest.mark.parametrize("days", [2_932_897, 3_000_000, -719_163, 2**31 - 1])
def test_a_date_outside_years_1_to_9999_is_unsupported(days: int) -> None:
    """Python's date cannot hold it (the driver's path fails), and a BSON datetime past year
    9999 is one SecantusDB cannot decode: stored, no read of the collection would work."""
    with pytest.raises(Unsupported, match="outside years 1-9999"):
        arrow_bson.documents({"_id": pa.array([1, 2]), "day": pa.array([0, days], pa.date32())})


@pytest.mark.parametrize(("precision", "scale", "texts"), [
    (10, 0, ["0", "1", "-1", "9999999999", "-9999999999", "256"]),
    (10, 2, ["0.00", "0.01", "-0.01", "12.50", "-12.50", "99999999.99"]),
    (18, 2, ["9999999999999999.99", "-9999999999999999.99", "0.00", "-0.10", "1.00", "-1.00"]),
    (12, 10, ["0E-10", "0.0000000001", "-0.0000000001", "12.3456789012", "-1.5", "1"]),
    (38, 0, ["9" * 34, "-" + "9" * 34, "1" + "0" * 33, "0", "-5", str(2**64)]),
    (38, 2, ["9" * 32 + ".99", "-" + "9" * 32 + ".99", "-0.01", str(2**64 - 1), "-" + str(2**63),
             "1" + "0" * 31 + ".00"]),
    (38, 10, ["9" * 24 + "." + "9" * 10, "-" + "9" * 24 + "." + "9" * 10, "0E-10",
              "-0.0000000001", "123456789012345678901234.5678901234", "1"]),
    (38, 38, ["0", "0." + "0" * 4 + "9" * 34, "-0." + "0" * 4 + "9" * 34, "0." + "0" * 37 + "1",
              "-0." + "0" * 37 + "1", "0." + "0" * 5 + "1"]),
])
def test_decimals_keep_sign_significand_and_exponent(precision: int, scale: int,
                                                     texts: list[str]) -> None:
    column = _decimals([*texts, None], precision, scale)
    _assert_as_driver({"amount": column,
                       "amounts": pa.array([list(column)] * len(column),
                                           pa.list_(pa.decimal128(precision, scale))),
                       "negated": _decimals([f"-{text}".replace("--", "") for text in texts]
                                            + [None], precision, scale)})


@pytest.mark.parametrize(("precision", "scale", "text"), [
    (38, 0, "1" + "0" * 34),
    (38, 0, "-" + "9" * 35),
    (38, 2, "9" * 33 + ".00"),
    (38, 10, "-1" + "0" * 24 + ".0000000000"),
    (38, 37, "0." + "1" * 35),
    (38, 0, "9" * 38),
])
def test_a_decimal_of_more_than_34_digits_is_unsupported(precision: int, scale: int,
                                                          text: str) -> None:
    column = _decimals(["0", None, text], precision, scale)
    with pytest.raises(Unsupported):
        arrow_bson.documents({"amount": column})
    with pytest.raises(Unsupported):
        arrow_bson.documents({"amounts": pa.array([[], list(column)],
                                                   pa.list_(column.type))})
    _assert_as_driver({"amount": column.slice(0, 2)})  # the same column without it is fine


@pytest.mark.parametrize("shape", SHAPES)
def test_nested_lists_and_structs(shape: str) -> None:
    _assert_as_driver({"_id": pa.array(range(len(SHAPES[shape]))), shape: SHAPES[shape]})


@pytest.mark.parametrize(("offset", "length"), SLICES)
@pytest.mark.parametrize("shape", SHAPES)
def test_slices_of_nested_columns(shape: str, offset: int, length: int | None) -> None:
    array = SHAPES[shape].slice(offset, length)
    _assert_as_driver({"row": pa.array(range(len(array)), pa.int32()), shape: array,
                       "again": array})


def test_list_keys_go_past_nine() -> None:
    """Array keys "10", "11", ... (longer keys, so the lengths of the documents change too)."""
    encoded = _assert_as_driver({"values": pa.array([list(range(n)) for n in (0, 9, 10, 11, 105)],
                                                    pa.list_(pa.int32()))})
    assert list(bson.decode(encoded[4])["values"]) == list(range(105))


@pytest.mark.parametrize("shape", SHAPES)
def test_chunked_columns_are_read_as_one(shape: str) -> None:
    """Readers hand out chunked columns, their chunks slices of larger arrays."""
    array = SHAPES[shape]
    rows = len(array) - 1
    _assert_as_driver({
        "plain": pa.array(range(rows)),
        shape: pa.chunked_array([array.slice(0, 2), array.slice(2, 0), array.slice(2)]
                                ).slice(1, rows),
        "one chunk": pa.chunked_array([pa.array(["a", None] * 10).slice(3, rows)]),
    })


def test_no_rows_no_documents() -> None:
    columns = {name: pa.array([], kind) for name, kind in RANDOM_SCHEMA.items()}
    assert arrow_bson.documents(columns) == [] == _driver(columns)
    assert arrow_bson.documents({name: pa.chunked_array([], array.type)
                                 for name, array in columns.items()}) == []
    assert arrow_bson.documents({name: SHAPES[name].slice(1, 0) for name in SHAPES}) == []


def test_columns_of_different_lengths_raise_value_error() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        arrow_bson.documents({"a": pa.array([1, 2]), "b": pa.array([1])})
    with pytest.raises(ValueError, match="different lengths"):
        arrow_bson.documents({"a": pa.chunked_array([[1], [2]]), "b": pa.array(["x"] * 3)})


@pytest.mark.parametrize("column", [
    pa.array([0], pa.timestamp("ns")),
    pa.array([None, 2**62], pa.timestamp("us", tz="UTC")),  # past year 9999
    pa.array([-(2**62)], pa.timestamp("ms")),  # before year 1
    pa.array([b"x"], pa.binary()),
    pa.array([b"x"], pa.large_binary()),
    pa.array(["a"]).dictionary_encode(),
    pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
    pa.array([Decimal("1.5")], pa.decimal256(40, 1)),
    pa.array([dt.date(2024, 1, 1)], pa.date64()),
    pa.array([dt.time(12)], pa.time64("us")),
    pa.array([[1, 2]], pa.list_(pa.int64(), 2)),
    pa.array([[0]], pa.list_(pa.timestamp("ns"))),
    pa.array([{"raw": b"x"}], pa.struct([("raw", pa.binary())])),
    pa.array([2**63], pa.uint64()),
    pa.array([None, 2**64 - 1], pa.uint64()),
    pa.array([[0, 2**63]], pa.list_(pa.uint64())),
], ids=lambda column: str(column.type))
def test_uncovered_types_and_values_are_unsupported(column: pa.Array) -> None:
    with pytest.raises(Unsupported):
        arrow_bson.documents({"n": pa.array(range(len(column))), "x": column})


UTC = dt.UTC
MOMENTS = [dt.datetime(1970, 1, 1), dt.datetime(1969, 12, 31, 23, 59, 59, 999_999),
           dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999_999),
           dt.datetime(2024, 2, 29, 12, 30, 15, 123_456), dt.datetime(1900, 3, 1, 0, 0, 0, 1),
           dt.datetime(1960, 6, 1, 8, 0, 0, 999)]


@pytest.mark.parametrize("kind", [pa.timestamp("s"), pa.timestamp("ms"), pa.timestamp("us"),
                                  pa.timestamp("us", tz="UTC"),
                                  pa.timestamp("ms", tz="America/New_York")],
                         ids=str)
def test_timestamps_are_milliseconds_rounded_down_naive_or_aware(kind: pa.DataType) -> None:
    aware = kind.tz is not None
    moments = [moment.replace(tzinfo=UTC) if aware else moment for moment in MOMENTS
               if kind.tz in (None, "UTC") or 1 < moment.year < 9999]  # to_pylist's limits
    if kind.unit != "us":  # whole units only: what the column can hold
        step = 1_000_000 if kind.unit == "s" else 1000
        moments = [moment.replace(microsecond=moment.microsecond // step * step)
                   for moment in moments]
    column = pa.array([*moments, None], kind)
    _assert_as_driver({"ts": column, "list": pa.array([[m, None] for m in moments] + [[]],
                                                      pa.list_(kind))})


def _present(values: pa.Array, rows: list[bool]) -> arrow_bson.Present:
    return arrow_bson.Present(values, np.array(rows))


def test_a_present_field_is_written_only_in_its_rows_and_may_share_a_name() -> None:
    events = pa.array([[{"a": 1, "c": "x"}], [{"a": 2, "c": None}]])
    stripped = pa.array([[{"a": 3}], []])
    fields = [("_id", pa.array([1, 2, 3, 4])),
              ("customer", _present(pa.array(["k", None]), [True, False, True, False])),
              ("events", _present(events, [True, False, False, True])),
              ("events", _present(stripped, [False, True, True, False])),
              ("n", pa.array([1, 1, 0, 1]))]
    expected = [{"_id": 1, "customer": "k", "events": [{"a": 1, "c": "x"}], "n": 1},
                {"_id": 2, "events": [{"a": 3}], "n": 1},
                {"_id": 3, "customer": None, "events": [], "n": 0},
                {"_id": 4, "events": [{"a": 2, "c": None}], "n": 1}]
    _assert_same(arrow_bson.documents(fields),
                 [bson.encode(row, codec_options=CODEC_OPTIONS) for row in expected])
    with pytest.raises(ValueError, match="values for"):
        _present(pa.array([1]), [True, True])


def test_a_nul_in_a_field_name_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        arrow_bson.documents({"a\x00b": pa.array([1])})
    with pytest.raises(Unsupported):
        arrow_bson.documents({"s": pa.array([{"a\x00b": 1}])})


def test_id_first_in_the_mapping_is_first_in_the_document() -> None:
    encoded = _assert_as_driver({"_id": pa.array(["C1", "C2"]), "b": pa.array([1, 2]),
                                 "a": pa.array([{"_id": 3, "z": 1}, None])})
    assert [list(bson.decode(document)) for document in encoded] == [["_id", "b", "a"]] * 2


def test_id_elsewhere_in_the_mapping_is_moved_first_as_the_driver_does() -> None:
    _assert_as_driver({"b": pa.array([1, 2]), "_id": pa.array(["C1", "C2"]),
                       "c": pa.array([True, None])})


def test_a_struct_with_two_fields_of_one_name_is_unsupported() -> None:
    twice = pa.StructArray.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    with pytest.raises(arrow_bson.Unsupported):
        arrow_bson.documents({"s": twice})


# --- random rows of every supported type ------------------------------------------------------

TEXTS = ["", "a", "Zürich", "日本", "😀", "\x00", "x\x00y", "ß" * 40, "O'Brien", "n/a"]
RANDOM_SCHEMA: dict[str, pa.DataType] = {
    "_id": pa.int64(),
    "nothing": pa.null(),
    "flag": pa.bool_(),
    "i8": pa.int8(), "i16": pa.int16(), "i32": pa.int32(), "i64": pa.int64(),
    "u8": pa.uint8(), "u16": pa.uint16(), "u32": pa.uint32(), "u64": pa.uint64(),
    "f32": pa.float32(), "f64": pa.float64(),
    "text": pa.string(), "large_text": pa.large_string(),
    "day": pa.date32(),
    "cents": pa.decimal128(18, 2), "whole": pa.decimal128(38, 0),
    "fine": pa.decimal128(38, 10), "tiny": pa.decimal128(5, 5),
    "ints": pa.list_(pa.int64()),
    "texts": pa.large_list(pa.string()),
    "grid": pa.list_(pa.list_(pa.int32())),
    "orders": pa.list_(ORDER),
    "record": pa.struct([("n", pa.int64()), ("prices", pa.list_(pa.decimal128(10, 2))),
                         ("inner", pa.struct([("day", pa.date32()), ("x", pa.float64()),
                                              ("ok", pa.bool_())])), ("none", pa.null())]),
    "points": pa.list_(pa.struct([("x", pa.float32()), ("tags", pa.list_(pa.string()))])),
}


def _random_value(rng: random.Random, kind: pa.DataType) -> object:
    """A value of `kind`, null one time in five, its extremes often."""
    if pa.types.is_null(kind) or rng.random() < 0.2:
        return None
    if pa.types.is_boolean(kind):
        return rng.random() < 0.5
    if pa.types.is_integer(kind):
        low = -(2 ** (kind.bit_width - 1)) if pa.types.is_signed_integer(kind) else 0
        high = 2 ** (kind.bit_width - (1 if pa.types.is_signed_integer(kind) else 0)) - 1
        high = min(high, 2**63 - 1)
        return rng.choice([low, high, 0, -1 if low else 1, rng.randint(low, high),
                           *[b for b in INT32_BOUNDS if low <= b <= high],
                           rng.randint(max(low, -(2**31)), min(high, 2**31 - 1))])
    if pa.types.is_floating(kind):
        return rng.choice([math.nan, math.inf, -math.inf, -0.0, 0.0, rng.uniform(-1e6, 1e6),
                           rng.uniform(-1, 1) * 10.0 ** rng.randint(-300, 300)])
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "".join(rng.choice(TEXTS) for _ in range(rng.randint(0, 3)))
    if pa.types.is_date32(kind):
        return dt.date.fromordinal(rng.choice([1, dt.date.max.toordinal(), 719163,
                                               rng.randint(1, dt.date.max.toordinal())]))
    if pa.types.is_decimal(kind):
        digits = min(kind.precision, 34)
        significand = rng.choice([0, 1, 10**digits - 1, rng.randrange(10**digits),
                                  rng.randrange(10 ** rng.randint(1, digits))])
        return Decimal(f"{rng.choice('+-')}{significand}E-{kind.scale}")  # exact, any digits
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        length = rng.choice([0, 1, 2, 3, rng.randint(0, 13)])
        return [_random_value(rng, kind.value_type) for _ in range(length)]
    if pa.types.is_struct(kind):
        return {field.name: _random_value(rng, field.type) for field in kind}
    raise AssertionError(f"no random values of {kind}")


def _random_columns(seed: int, rows: int) -> dict[str, pa.Array]:
    rng = random.Random(seed)
    return {name: pa.array([_random_value(rng, kind) for _ in range(rows)], kind)
            for name, kind in RANDOM_SCHEMA.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rows_of_every_type_match_the_driver(seed: int) -> None:
    """A few hundred random rows, then slices and chunks of them: the driver's bytes."""
    columns = _random_columns(seed, 300)
    _assert_as_driver(columns)
    _assert_as_driver({name: column.slice(seed * 7, 200) for name, column in columns.items()})
    _assert_as_driver({name: pa.chunked_array([column.slice(0, 101), column.slice(101, 50),
                                               column.slice(151)])
                       for name, column in columns.items()})


# --- profile_columns against profile_document -----------------------------------------------

PROFILE_LINE = pa.struct([
    ("product_number", pa.string()), ("product_name", pa.string()), ("category", pa.string()),
    ("subcategory", pa.string()), ("quantity", pa.int32()), ("unit_price", pa.decimal128(18, 2)),
    ("sales_amount", pa.decimal128(18, 2))])
PROFILE_ORDER = pa.struct([
    ("order_number", pa.string()), ("order_date", pa.date32()), ("ship_date", pa.date32()),
    ("channel", pa.string()), ("units", pa.int64()), ("order_amount", pa.decimal128(38, 2)),
    ("lines", pa.list_(PROFILE_LINE))])
LIFETIME = pa.struct([
    ("orders", pa.int64()), ("order_lines", pa.int64()), ("units", pa.int64()),
    ("revenue", pa.decimal128(38, 2)), ("gross_margin", pa.decimal128(38, 2)),
    ("average_order_value", pa.decimal128(18, 2)), ("first_order_date", pa.date32()),
    ("last_order_date", pa.date32())])
LIFETIME_KPI = pa.struct([
    ("customer_key", pa.string()), ("customer_id", pa.int32()), ("orders", pa.int64()),
    ("revenue", pa.decimal128(38, 2)), ("recency_days", pa.int64()),
    ("frequency_segment", pa.string())])
SEGMENT_FIELDS = [("customer_key", pa.string()), ("customer_id", pa.int32()),
                  ("monetary_value", pa.decimal128(18, 2)), ("percentile_rank", pa.float64())]
SEGMENTS: dict[str, pa.DataType] = {
    "value_tier": pa.struct([*SEGMENT_FIELDS, ("value_tier", pa.string()),
                             ("r_score", pa.int32()), ("rfm_segment", pa.string())]),
    "tier": pa.struct([*SEGMENT_FIELDS, ("tier", pa.string()), ("rfm_segment", pa.string())]),
    "both": pa.struct([*SEGMENT_FIELDS, ("value_tier", pa.string()), ("tier", pa.string()),
                       ("rfm_segment", pa.string())]),
    "no segments table": pa.null(),
}


def _profile_order(rng: random.Random, n: int) -> dict:
    lines = [{"product_number": f"BK-{rng.randrange(1000)}", "product_name": rng.choice(
        ["Mountain-100 Black, 42", "Vélo « Tour »", None]), "category": rng.choice(["Bikes", None]),
        "subcategory": "Road Bikes", "quantity": rng.randint(1, 3),
        "unit_price": Decimal(rng.randrange(1, 400_000)).scaleb(-2),
        "sales_amount": Decimal(rng.randrange(-10_000, 1_000_000)).scaleb(-2)}
        for _ in range(rng.choice([0, 1, 2, 3, 12]))]
    ordered = dt.date(2010, 12, 29) + dt.timedelta(rng.randrange(1500))
    return {"order_number": f"SO{43697 + n}", "order_date": ordered,
            "ship_date": rng.choice([None, ordered + dt.timedelta(7)]),
            "channel": rng.choice(["store", "web", None]),
            "units": rng.choice([0, 3, 2**31]), "order_amount": Decimal(
                rng.randrange(10**12)).scaleb(-2), "lines": lines}


def _profile_row(rng: random.Random, n: int, segment: str) -> dict:
    key = f"{n:032x}"
    orders = [_profile_order(rng, n * 100 + i) for i in range(rng.choice([0, 1, 2, 11, 20]))]
    has_segment = segment != "no segments table" and n % 3 != 1
    tiers = {"value_tier": rng.choice(["High", "Medium", None]),
             "tier": rng.choice(["Gold", None]), "rfm_segment": rng.choice(["Champions", None]),
             "r_score": rng.choice([1, 5, None])}
    return {
        "customer_key": key, "customer_id": 11000 + n, "customer_number": f"AW{n:08d}",
        "first_name": rng.choice(["Jon", "Zoë", None]), "last_name": rng.choice(["Yang", "Müller"]),
        "marital_status": "M", "gender": rng.choice(["Male", "Female", "n/a"]),
        "birthdate": rng.choice([None, dt.date(1938, 5, 1), dt.date(1999, 12, 31)]),
        "create_date": dt.date(2025, 10, 6), "country": rng.choice(["Germany", "n/a"]),
        "is_inferred": n % 5 == 4,
        "lifetime": {"orders": len(orders), "order_lines": 2 * len(orders),
                     "units": 3 * len(orders), "revenue": Decimal(rng.randrange(10**9)).scaleb(-2),
                     "gross_margin": Decimal(-rng.randrange(10**6)).scaleb(-2),
                     "average_order_value": None if not orders else Decimal("1234.56"),
                     "first_order_date": orders[-1]["order_date"] if orders else None,
                     "last_order_date": orders[0]["order_date"] if orders else None},
        "recent_orders": orders,
        "segment": None if not has_segment else {
            "customer_key": key, "customer_id": 11000 + n,
            "monetary_value": Decimal("-12.30"), "percentile_rank": rng.random(),
            **{field.name: tiers[field.name] for field in SEGMENTS[segment]
               if field.name in tiers}},
        "lifetime_kpi": None if segment == "no segments table" or n % 4 == 3 else {
            "customer_key": key, "customer_id": 11000 + n, "orders": len(orders),
            "revenue": Decimal(rng.randrange(10**9)).scaleb(-2), "recency_days": 2**31,
            "frequency_segment": "One-time"},
        "_gold_digest": f"{rng.getrandbits(128):032x}",
    }


def _profile_batch(segment: str, rows: int = 40) -> pa.RecordBatch:
    """A batch shaped like the profiles query's (profiles_sql.py), with its digest column."""
    rng = random.Random(f"profiles {segment}")
    schema = pa.schema([
        ("customer_key", pa.string()), ("customer_id", pa.int32()),
        ("customer_number", pa.string()), ("first_name", pa.string()),
        ("last_name", pa.string()), ("marital_status", pa.string()), ("gender", pa.string()),
        ("birthdate", pa.date32()), ("create_date", pa.date32()), ("country", pa.string()),
        ("is_inferred", pa.bool_()), ("lifetime", LIFETIME),
        ("recent_orders", pa.list_(PROFILE_ORDER)), ("segment", SEGMENTS[segment]),
        ("lifetime_kpi", pa.null() if segment == "no segments table" else LIFETIME_KPI),
        (profiles.DIGEST, pa.string())])
    return pa.RecordBatch.from_pylist([_profile_row(rng, n, segment) for n in range(rows)],
                                      schema=schema)


def _profile_bytes(batch: pa.RecordBatch) -> list[bytes]:
    return [bson.encode(profile_document(row), codec_options=CODEC_OPTIONS)
            for row in batch.to_pylist()]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_profile_columns_encode_as_profile_document(segment: str) -> None:
    """Null segments and KPIs included, whole batches and slices of them."""
    batch = _profile_batch(segment)
    assert batch.column("segment").null_count > 0
    for part in (batch, batch.slice(7, 20), batch.slice(39)):
        _assert_same(arrow_bson.documents(profile_columns(part)), _profile_bytes(part))


def test_profile_documents_carry_the_tier_of_either_field_name() -> None:
    """The check above is not vacuous: value_tier comes from `tier` when that is the field."""
    batch = _profile_batch("tier")
    tiers = [bson.decode(document)["value_tier"]
             for document in arrow_bson.documents(profile_columns(batch))]
    assert "Gold" in tiers
    assert tiers == [(row["segment"] or {}).get("tier") for row in batch.to_pylist()]

