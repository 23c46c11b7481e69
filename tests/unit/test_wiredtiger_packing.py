"""The embedded server's packing gives WiredTiger's own bytes and values, and its errors."""

from __future__ import annotations

import random
import struct
import sys

import pytest
from wiredtiger.packing import pack as wt_pack
from wiredtiger.packing import unpack as wt_unpack

from retail.nosql import wiredtiger_packing
from retail.nosql.wiredtiger_packing import pack, unpack

# every boundary of the variable-length integer encoding, and around it
EDGES = [-(2**63), -(2**13) - 2**6 - 1, -(2**13) - 2**6, -65, -64, -1, 0, 63, 64,
         2**13 + 63, 2**13 + 64, 2**13 + 65, 2**32, 2**63 - 1]
INTEGERS = sorted({e + d for e in EDGES for d in (-1, 0, 1) if -(2**63) <= e + d < 2**63}
                  | {random.Random(7).randint(-(2**63), 2**63 - 1) for _ in range(2000)})
# the formats SecantusDB's tables use, and a few more
FORMATS = ["q", "Q", "r", "S", "u", "SS", "SSq", "SSS", "SSu", "SSSu", "uq", "qu", "Su", "uS",
           ".SSq", "iIhHlL"]


def _value(kind: str, rng: random.Random) -> object:
    if kind == "S":
        return rng.choice(["", "retail", "customer_profiles", "idx_customer_key", "é€😀",
                           "x" * 300])
    if kind == "u":
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 7, 64, 200, 5000])))
    if kind in "QLIH":
        return rng.choice([i for i in INTEGERS if 0 <= i < 2**16])
    return rng.choice([i for i in INTEGERS if -(2**15) <= i < 2**15] if kind in "hH"
                      else INTEGERS if kind in "qr" else
                      [i for i in INTEGERS if -(2**31) <= i < 2**31])


def test_integers_pack_and_unpack_as_wiredtiger_does() -> None:
    for number in INTEGERS:
        packed = wt_pack("q", number)
        assert pack("q", number) == packed
        assert unpack("q", packed) == wt_unpack("q", packed) == [number]
    assert sorted(INTEGERS, key=lambda n: pack("q", n)) == INTEGERS  # still order-preserving


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_pack_and_unpack_as_wiredtiger_does(fmt: str) -> None:
    rng = random.Random(fmt)
    for _ in range(300):
        row = [_value(kind, rng) for kind in fmt.lstrip(".")]
        packed = wt_pack(fmt, *row)
        assert pack(fmt, *row) == packed
        assert unpack(fmt, packed) == wt_unpack(fmt, packed) == row


def test_what_it_does_not_cover_is_wiredtiger_s_own() -> None:
    """Counts, padding, bytes, other prefixes, NULs and wrong types: the same results or errors."""
    same = [("3s", ("abc",)), ("5S", ("ab",)), ("Bb", (200, -3)), ("xq", (5,)), ("t", (1,)),
            ("S", ("a\0b",)), ("u", ("text",)), ("q", (True,)), ("", ())]
    for fmt, values in same:
        assert pack(fmt, *values) == wt_pack(fmt, *values)
    assert unpack("3sq", wt_pack("3sq", "abc", 9)) == wt_unpack("3sq", wt_pack("3sq", "abc", 9))
    assert unpack("u", None) == wt_unpack("u", None)
    assert pack("q", 2**64) == wt_pack("q", 2**64)
    errors = [("q", (2**65,)), ("@q", (1,)), ("SS", ("a",)), ("S", (b"bytes",)), ("q", ("1",))]
    for fmt, values in errors:
        with pytest.raises(Exception) as theirs:
            wt_pack(fmt, *values)
        with pytest.raises(theirs.type):
            pack(fmt, *values)


def test_install_replaces_the_cursor_modules_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    import wiredtiger

    cursor_module = sys.modules[wiredtiger.Cursor.__module__]
    monkeypatch.setattr(cursor_module, "pack", cursor_module.pack)
    monkeypatch.setattr(cursor_module, "unpack", cursor_module.unpack)
    wiredtiger_packing.install()
    assert cursor_module.pack is pack and cursor_module.unpack is unpack


def test_a_real_wiredtiger_table_reads_back_what_was_written(tmp_path) -> None:
    """Through WiredTiger's cursor with these functions installed: keys sort as integers and
    strings sort, and every row reads back."""
    import wiredtiger

    cursor_module = sys.modules[wiredtiger.Cursor.__module__]
    original = cursor_module.pack, cursor_module.unpack
    wiredtiger_packing.install()
    try:
        connection = wiredtiger.wiredtiger_open(str(tmp_path), "create")
        session = connection.open_session()
        session.create("table:t", "key_format=SSq,value_format=u")
        cursor = session.open_cursor("table:t")
        rows = {("db", "c", n): struct.pack("<q", n) * 3 for n in INTEGERS[::20]}
        for key, value in rows.items():
            cursor[key] = value
        cursor.reset()
        read = [(tuple(cursor.get_keys()), cursor.get_value()) for _ in iter(cursor.next, -31803)]
        connection.close()
    finally:
        cursor_module.pack, cursor_module.unpack = original
    assert read == sorted(rows.items(), key=lambda item: item[0][2])
