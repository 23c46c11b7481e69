"""Index keys of string fields computed directly (retail/nosql/fast_index_keys.py) are
SecantusDB's.

`index_key_variants` and `doc_makes_multikey` against SecantusDB's `_index_key_variants` and
`_doc_makes_multikey` for every pairing of documents (strings of every kind, other types,
arrays, subdocuments, missing fields; dicts, a dict subclass and a Mapping that is no dict)
and key specs (one field ascending, descending, with odd directions; compound, dotted, sparse,
collated), with a count of the calls that still reach SecantusDB's, so that the fast path is
shown to be taken for string values and only for them. Then a real SecantusDB server builds
unique, sparse and plain indexes on string fields, and takes writes into them, with and
without it: the same index tables, row for row, and the same duplicate-key errors.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import bson
import pytest
from bson import Decimal128, Int64, ObjectId, Regex
from bson.son import SON
from pymongo import IndexModel, MongoClient
from pymongo.errors import BulkWriteError, OperationFailure
from secantus import storage as secantus_storage
from secantus_rows import index_tables

from retail.nosql import fast_index_keys

STRINGS = ["", "a", "A", "France", "Zürich", "日本", "x\x00y", "0", "-1", "1e3", "  ",
           "a" * 300, "\U0001f600", "ß", "ǅ", "0123456789abcdef0123456789abcdef", "AW00011000"]
OTHERS: list[Any] = [None, 0, -1, 7, Int64(7), 1.5, float("nan"), True, False,
                     Decimal128("1.0"), ObjectId("5f0c8a4e9b1e8a3d4c2b1a00"), Regex("^a"),
                     dt.datetime(2024, 1, 1), b"bytes", {"s": "a"}, {}, [], ["a"], ["a", "b"],
                     ["a", ["b"]], [{"k": "a"}], ("a",)]
SPECS: list[dict[str, Any]] = [
    {"k": 1}, {"k": -1}, {"k": 1.0}, {"k": -1.0}, {"k": 2}, {"k": 0}, {"k": True},
    {"k": Int64(-1)}, {"k": 1, "j": -1}, {"j": 1, "k": 1}, {"k.s": 1}, {"k.0": 1}, {"j": 1},
    {"": 1}, {"_id": 1}]


class _Mapping(Mapping[str, Any]):
    """A document that is a Mapping but no dict (SecantusDB's path walk reads only dicts)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self._doc = doc

    def __getitem__(self, key: str) -> Any:
        return self._doc[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._doc)

    def __len__(self) -> int:
        return len(self._doc)


def _documents() -> list[Any]:
    docs: list[Any] = []
    for i, value in enumerate([*STRINGS, *OTHERS]):
        docs.append({"_id": i, "k": value, "j": "x"})
        docs.append({"_id": i, "j": value})  # `k` missing
        docs.append({"_id": i, "k": {"s": value, "0": value}, "": value})
        docs.append({"_id": i, "k.s": value, "k.0": value, "k": {"s": "z"}})  # dotted keys
        docs.append(SON([("_id", i), ("k", value)]))
        docs.append(_Mapping({"_id": i, "k": value}))
    return docs


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Installs the fast functions for the test (restored after it); counts the calls that
    reach SecantusDB's own."""
    monkeypatch.setattr(secantus_storage, "_index_key_variants",
                        secantus_storage._index_key_variants)
    monkeypatch.setattr(secantus_storage, "_doc_makes_multikey",
                        secantus_storage._doc_makes_multikey)
    fast_index_keys.install()
    fast_index_keys.install()  # idempotent
    calls: Counter[str] = Counter()
    variants, multikey = fast_index_keys._original_variants, fast_index_keys._original_multikey
    assert variants is not None and multikey is not None
    assert variants.__module__ == multikey.__module__ == "secantus.storage"

    def counted_variants(*args: Any, **kwargs: Any) -> list[bytes]:
        calls["variants"] += 1
        return variants(*args, **kwargs)

    def counted_multikey(*args: Any) -> bool:
        calls["multikey"] += 1
        return multikey(*args)

    def counted_encode(*args: Any, **kwargs: Any) -> bytes:
        calls["fast"] += 1
        return encode(*args, **kwargs)

    encode = fast_index_keys._encode
    assert encode is not None
    monkeypatch.setattr(fast_index_keys, "_original_variants", counted_variants)
    monkeypatch.setattr(fast_index_keys, "_original_multikey", counted_multikey)
    monkeypatch.setattr(fast_index_keys, "_encode", counted_encode)
    return calls


def _own(doc: Any, spec: dict[str, Any], sparse: bool, collation: Any) -> tuple[Any, Any]:
    """SecantusDB's answers (keys, multikey), or the exception it raises."""
    try:
        keys = fast_index_keys._original_variants(  # type: ignore[misc]
            doc, spec, sparse=sparse, collation=collation)
    except Exception as exc:
        keys = ("raised", type(exc), str(exc))
    return keys, fast_index_keys._original_multikey(doc, spec)  # type: ignore[misc]


def _fast(doc: Any, spec: dict[str, Any], sparse: bool, collation: Any) -> tuple[Any, Any]:
    try:
        keys = fast_index_keys.index_key_variants(doc, spec, sparse=sparse, collation=collation)
    except Exception as exc:
        keys = ("raised", type(exc), str(exc))
    return keys, fast_index_keys.doc_makes_multikey(doc, spec)


def _expected_calls(doc: Any, spec: dict[str, Any], collation: Any) -> Counter[str]:
    """Which calls one `_fast` makes: the string key here (none under a collation), the
    multikey answer here for any string value, SecantusDB's functions for the rest."""
    field = next(iter(spec))
    string = (isinstance(doc, dict) and len(spec) == 1 and "." not in field
              and type(doc.get(field)) is str)
    return Counter({"fast": int(string and collation is None),
                    "variants": int(not string or collation is not None),
                    "multikey": int(not string)})


def test_keys_and_multikey_are_secantus_own(counted: Counter[str]) -> None:
    collation = secantus_storage._parse_index_collation({"locale": "en", "strength": 2})
    assert collation is not None
    fast_cases = 0
    for doc in _documents():
        for spec in SPECS:
            for sparse in (False, True):
                for coll in (None, collation):
                    expected = _own(doc, spec, sparse, coll)
                    counted.clear()
                    assert _fast(doc, spec, sparse, coll) == expected, (doc, spec, sparse, coll)
                    assert counted == _expected_calls(doc, spec, coll), (doc, spec, coll)
                    fast_cases += counted["fast"]
    assert fast_cases > 500


def test_random_strings_key_as_secantus_does(counted: Counter[str]) -> None:
    rng = random.Random(5)
    alphabet = "aAzZ09 -_.\x00\x01\x7féßǅ日本\U0001f600\ud7ff\ue000"
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        doc = {"_id": 1, "k": value}
        for spec in ({"k": 1}, {"k": -1}):
            expected = _own(doc, spec, False, None)
            counted.clear()
            assert _fast(doc, spec, False, None) == expected
            assert counted == {"fast": 1}


# --- a real server, with and without -----------------------------------------------------

PROFILES = [{"_id": 11000 + i, "customer_key": f"{(i * 7919) % 1000:032x}",
             "customer_number": f"AW{11000 + i:08d}" if i % 9 else ["AW", i],
             "session_id": None if i % 5 == 0 else f"s{i % 37:03d}", "n": i}
            for i in range(400)]


def _play(client: MongoClient, db_name: str) -> list[Any]:
    """Indexes built over existing documents, writes into them, duplicates: the outcomes."""
    db = client[db_name]
    client.drop_database(db_name)
    outcomes: list[Any] = []
    db.profiles.insert_many(PROFILES[:300])
    outcomes.append(db.profiles.create_indexes([IndexModel("customer_key", unique=True),
                                                IndexModel("customer_number")]))
    outcomes.append(db.profiles.create_index("session_id", sparse=True))
    outcomes.append(db.profiles.create_index([("customer_number", -1), ("n", 1)]))
    try:
        db.profiles.create_index("session_id", unique=True, name="session_unique")
    except OperationFailure as exc:
        cause = str(exc.details.get("errmsg")).split(" :: caused by :: ")[-1]  # past UUIDs
        outcomes.append(("build refused", exc.code, cause))
    try:
        db.profiles.insert_many(PROFILES[300:] + [{"_id": 1, "customer_key": PROFILES[0][
            "customer_key"]}], ordered=False)
    except BulkWriteError as exc:
        outcomes.append(("write errors", [(e["index"], e["code"], e["keyValue"])
                                          for e in exc.details["writeErrors"]]))
    db.profiles.update_many({"n": {"$lt": 50}}, {"$set": {"customer_number": "AW-updated"}})
    db.profiles.delete_many({"n": {"$gte": 350}})
    outcomes.append(sorted(d["_id"] for d in db.profiles.find(
        {"customer_number": "AW-updated"}).hint("customer_number_1")))
    outcomes.append([d["_id"] for d in db.profiles.find(
        {"session_id": {"$gte": "s010", "$lt": "s012"}}).hint("session_id_1").sort("_id")])
    return outcomes


def test_a_server_indexes_string_fields_as_without_it(
        fresh_secantus: Any, counted: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fresh servers (so the RecordIds in the index entries are the same), the same
    writes."""
    with fresh_secantus() as (server, client):
        ours = _play(client, "fast_index_keys")
        ours_tables = index_tables(server.storage, "fast_index_keys")
    assert counted["variants"] > 0, "arrays, missing fields and compound keys: SecantusDB's"
    assert counted["fast"] > counted["variants"], "most string keys computed here"
    monkeypatch.setattr(secantus_storage, "_index_key_variants",
                        fast_index_keys._original_variants)
    monkeypatch.setattr(secantus_storage, "_doc_makes_multikey",
                        fast_index_keys._original_multikey)
    with fresh_secantus() as (server, client):
        own = _play(client, "fast_index_keys")
        own_tables = index_tables(server.storage, "fast_index_keys")
    assert ours == own
    assert ours[3][0] == "build refused" and ours[4][0] == "write errors"
    assert ours_tables == own_tables
    assert all(len(rows) > 300 for table, rows in ours_tables.items()
               if table != secantus_storage._IDX_TABLE)
    catalog = {row[1]: bson.decode(row[-1]) for row in ours_tables[secantus_storage._IDX_TABLE]}
    assert catalog["customer_number_1"]["options"].get("multikey")  # an array among strings
    assert not catalog["customer_key_1"]["options"].get("multikey")
