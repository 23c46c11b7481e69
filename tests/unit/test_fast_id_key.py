"""Integer `_id` keys encoded directly (retail/nosql/fast_id_key.py) are SecantusDB's bytes.

`encode_int` against SecantusDB's `sortkey.encode_id_key` for integers of every size and sign:
powers of ten and their neighbours (trailing zeros, odd and even digit counts), random ones up to
the encoding's one-byte exponent and past it, int64's edges; `id_key` for values that are not
plain integers (bools, floats equal to integers, strings, ObjectIds, documents). Integers of
more than 28 digits are left to SecantusDB, whose `Decimal` arithmetic rounds them. Then a real
SecantusDB server with it installed stores integer `_id`s and finds them, by `_id` and by range,
as one without it (the same rows in its `_id` index).
"""

from __future__ import annotations

import random

import pytest
from bson import Decimal128, Int64, ObjectId
from pymongo import MongoClient
from secantus import sortkey
from secantus import storage as secantus_storage

from retail.nosql import fast_id_key


def _integers() -> list[int]:
    values = {0, 1, -1, 7, -7, 10, -10, 99, 100, 101, 11000, 11004, 2**31 - 1, -(2**31),
              2**63 - 1, -(2**63)}
    for power in range(0, 140):
        for near in (-1, 0, 1):
            values.add(10**power + near)
            values.add(-(10**power) + near)
        values.add(3 * 10**power)
    rng = random.Random(12)
    for _ in range(3000):
        digits = rng.randrange(1, 135)
        values.add(rng.randrange(10 ** (digits - 1), 10**digits) * rng.choice((1, -1)))
    return sorted(values)


def test_integer_keys_are_secantus_bytes() -> None:
    fast_id_key.install()
    fast_id_key.install()  # idempotent
    for value in _integers():
        assert fast_id_key.id_key(value) == sortkey.encode_id_key(value), value


def test_only_integers_within_one_byte_of_exponent_are_encoded_here() -> None:
    assert fast_id_key.encode_int(0) is None
    assert fast_id_key.encode_int(10**27) is not None and fast_id_key.encode_int(10**28) is None
    assert fast_id_key.encode_int(-(10**28) + 1) is not None
    assert fast_id_key.encode_int(-(10**28)) is None
    fast_id_key.install()
    for value in (True, False, 1.0, -3.0, 2.5, Int64(11000), Decimal128("11000"), "11000",
                  ObjectId("5f0c8a4e9b1e8a3d4c2b1a00"), {"a": 1}, None, 10**200):
        assert fast_id_key.id_key(value) == sortkey.encode_id_key(value), value
    assert fast_id_key.id_key(11000) == fast_id_key.id_key(11000.0)  # one key: mongod's rule


@pytest.mark.parametrize("installed", [True, False])
def test_a_server_stores_and_finds_integer_ids_as_without_it(
        secantus_client: MongoClient, installed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_id_key.install()
    if not installed:
        monkeypatch.setattr(secantus_storage, "_id_key", fast_id_key._original)
    collection = secantus_client["fast_id_key"][f"profiles_{installed}"]
    collection.drop()
    ids = [v for v in _integers() if abs(v) < 2**63][::7]
    collection.insert_many([{"_id": v, "n": i} for i, v in enumerate(ids)])
    assert sorted(d["_id"] for d in collection.find({}, {"_id": 1})) == sorted(ids)
    for v in ids[::11]:
        assert collection.find_one({"_id": v})["_id"] == v
        assert collection.find_one({"_id": float(v)}) is not None or abs(v) > 2**53
    window = [d["_id"] for d in collection.find({"_id": {"$gte": -1000, "$lt": 10**6}})
              .sort("_id", 1)]
    assert window == [v for v in sorted(ids) if -1000 <= v < 10**6]
    with pytest.raises(Exception, match="duplicate key"):
        collection.insert_one({"_id": ids[3]})
