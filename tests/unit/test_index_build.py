"""The embedded server's index build (retail/nosql/index_build.py) gives SecantusDB's own build:
the same index catalog rows (options such as `multikey` included), index entries and unique
claims, the same return value, and the same exception, type and message, on a duplicate key or
a conflicting re-creation.

Two fresh SecantusDB stores get the same documents, one collection per case; every index is
built in one with the installed `Storage.create_index` and in the other with SecantusDB's own
(`Storage.create_index.original`), and the three index tables are compared row for row, bytes
included. The documents hold every BSON type at the top level, in the indexed field and around
it, before and after it, arrays and subdocuments (decoded whole) among them, `_id`s of several
types, and missing fields; the indexes are ascending, descending, compound, unique, sparse,
collated, multikey, on subdocuments, dotted, partial, geo and wildcard. `light_decode` itself is
checked against `bson.decode` on random documents built element by element (so `_id` can sit
anywhere, or be missing), and `indexed_fields` and `decode` on their own rules.
"""

from __future__ import annotations

import datetime
import math
import random
import threading
from typing import Any

import bson
import pytest
from bson import (
    Binary,
    Code,
    DBRef,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
)
from bson_documents import framed
from secantus import storage as secantus_storage
from secantus.storage import Storage

from retail.nosql import index_build, light_reads

DB = "retail"
TABLES = (secantus_storage._IDX_TABLE, secantus_storage._IDX_ENTRIES_TABLE,
          secantus_storage._UNIQ_TABLE)

# one value of every BSON type (and the edges of a few), top level or as an indexed value
VALUES: list[Any] = [
    1.5, -0.0, math.inf, math.nan,  # double
    "", "France", "FRANCE", "Zürich", "日本語 😀",  # string
    {"city": "Lyon", "zip": 69001}, {},  # embedded document
    [3, "a", [1]], [], [1, 1, 2],  # array
    Binary(b"\x00\x01\xff", 0), Binary(bytes(range(16)), 4), Binary(b"md5md5md5md5md5!", 5),
    Binary(b"", 0x80),  # binary with subtypes
    ObjectId("5f0c8a4e9b1e8a3d4c2b1a00"), True, False,
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999000), None,
    Regex("^fr.*ce$", "imx"), Regex("", ""),  # regex with and without flags
    Code("function () { return 1; }"), Code("f(x)", {"x": 1, "y": [2]}),  # code, with scope
    7, -(2**31), 2**31 - 1,  # int32
    Timestamp(1_700_000_000, 3), Int64(7), Int64(-(2**63)), 2**40,  # timestamp, int64
    Decimal128("7.0"), Decimal128("-0.00"), Decimal128("NaN"),  # decimal128
    MinKey(), MaxKey(), DBRef("customers", 12, "retail"), DBRef("c", ObjectId(), extra=1),
]
INDEXABLE = [v for v in VALUES if not isinstance(v, DBRef)]  # SecantusDB can't key a DBRef
IDS: list[Any] = [lambda i: i, lambda i: f"C-{i:05d}", lambda i: ObjectId(f"{i:024x}"),
                  lambda i: {"store": i % 3, "n": i}, lambda i: Int64(10**12 + i)]
FIELDS = ["a", "b", "c", "é", "long_field_name"]  # indexed
OTHERS = ["x", "a_", "_idx", "y"]  # never indexed


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    if depth < 2 and rng.random() < 0.1:
        return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randrange(4))}
    if depth < 2 and rng.random() < 0.1:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return rng.choice(VALUES)


def _typed_docs(count: int, seed: int) -> list[dict]:
    """Documents whose fields, in random order and some missing, hold any of VALUES."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        names = rng.sample(FIELDS + OTHERS, rng.randrange(len(FIELDS + OTHERS) + 1))
        doc = {"_id": IDS[i % len(IDS)](i)}
        doc.update((name, rng.choice(INDEXABLE) if name in FIELDS else _random_value(rng))
                   for name in names)
        docs.append(doc)
    return docs


def _one_of_each(seed: int) -> list[dict]:
    """One document per distinct key value, the value among other fields in random places."""
    rng = random.Random(seed)
    same_keys = {"Decimal128('7.0')", "Decimal128('-0.00')", "Decimal128('NaN')"}
    values = [v for v in INDEXABLE if repr(v) not in same_keys  # 7, -0.0, nan stay
              and not (isinstance(v, Int64) and v == 7)]
    docs = []
    for i, value in enumerate(values):
        pairs = [("v", value), *((name, _random_value(rng)) for name in OTHERS)]
        rng.shuffle(pairs)
        docs.append({"_id": IDS[i % len(IDS)](i), **dict(pairs)})
    return docs


def _countries() -> list[dict]:
    names = ["France", "Germany", "Spain", "Italy", "Zürich", "日本"]
    return [{"_id": i, "country": names[i % len(names)], "qty": i % 9, "name": f"N{i % 4}",
             "addr": {"city": f"city{i % 5}", "zip": i}, "tags": ["t", i % 3] if i % 4 else "t"}
            for i in range(60)]


DISTINCT = [{"_id": i, "email": f"u{i}@x.org", "code": i * 7, "note": "n" * (i % 50)}
            for i in range(50)]


def _strings() -> list[dict]:
    """String values in every indexed field (the entries computed by `index_build` itself):
    `key` distinct (escaped NULs, accents, an empty string), `colour` repeated, null or missing,
    `late` a number in its last document, `_id`s of several types."""
    docs = []
    for i in range(60):
        key = "" if i == 17 else f"k{i:03d}" + ("\x00\x00z" if i % 7 == 0 else "é" * (i % 3))
        doc = {"_id": IDS[i % len(IDS)](i), "pad": "p" * i, "key": key,
               "colour": ["red", "green", "", "blue", None][i % 5], "late": "v" if i < 59 else 59}
        if i % 11 == 3:
            del doc["colour"]
        docs.append(doc)
    return docs


CASES: dict[str, tuple[list[dict], list[tuple[str, dict, dict]]]] = {
    "strings": (_strings(), [
        ("key_unique", {"key": 1}, {"unique": True}),
        ("key_-1_unique_sparse", {"key": -1}, {"unique": True, "sparse": True}),
        ("colour_1", {"colour": 1}, {}),
        ("colour_-1_hidden", {"colour": -1}, {"hidden": True}),
        ("colour_unique", {"colour": 1}, {"unique": True}),  # a repeated key: SecantusDB's error
        ("colour_sparse", {"colour": 1}, {"sparse": True}),  # null and missing: SecantusDB's
        ("late_1", {"late": 1}, {}),  # a number last: SecantusDB's build after the attempt
        ("late_unique", {"late": -1}, {"unique": True}),  # repeated, then a number
        ("key_simple", {"key": 1}, {"collation": {"locale": "simple"}}),
        ("key_unique", {"key": 1}, {"unique": True}),  # exists: nothing built again
    ]),
    "types": (_typed_docs(240, 1), [
        *[(f"{field}_{d}", {field: d}, {}) for field in FIELDS for d in (1, -1)],
        ("a_1_b_-1", {"a": 1, "b": -1}, {}),
        ("c_-1_a_1_b_1", {"c": -1, "a": 1, "b": 1}, {}),
        ("id_-1_c_1", {"_id": -1, "c": 1}, {}),
        ("b_1.0_e_-1", {"b": 1.0, "é": Int64(-1)}, {}),
        *[(f"{field}_sparse", {field: 1}, {"sparse": True}) for field in FIELDS],
        ("a_b_sparse", {"a": 1, "b": -1}, {"sparse": True}),
        *[(f"{field}_unique", {field: 1}, {"unique": True}) for field in FIELDS],
        *[(f"{field}_unique_sparse", {field: 1}, {"unique": True, "sparse": True})
          for field in FIELDS],
    ]),
    "distinct": (DISTINCT, [
        ("email_unique", {"email": 1}, {"unique": True}),
        ("code_email_unique", {"code": -1, "email": 1}, {"unique": True}),
        ("note_unique", {"note": 1}, {"unique": True}),
        ("email_unique_sparse", {"email": 1}, {"unique": True, "sparse": True}),
    ]),
    "one_of_each": (_one_of_each(3), [
        ("v_unique", {"v": 1}, {"unique": True}),
        ("v_-1_unique", {"v": -1}, {"unique": True}),
        ("v_id_unique_sparse", {"v": -1, "_id": 1}, {"unique": True, "sparse": True}),
    ]),
    "dbref": ([{"_id": 1, "a": 1}, {"_id": 2, "b": 1, "a": DBRef("c", 1), "c": 2}], [
        ("a_1", {"a": 1}, {}),  # SecantusDB's own AttributeError, both ways
        ("b_1", {"b": 1}, {}),
    ]),
    "countries": (_countries(), [
        ("country_1", {"country": 1}, {}),
        ("country_unique", {"country": 1}, {"unique": True}),
        ("country_name_unique", {"country": 1, "name": -1}, {"unique": True}),
        ("name_country_unique", {"name": -1, "country": 1}, {"unique": True}),
        ("missing_unique", {"missing": 1}, {"unique": True}),
        ("missing_unique_sparse", {"missing": 1}, {"unique": True, "sparse": True}),
        ("missing_country_sparse", {"missing": 1, "country": 1}, {"sparse": True}),
        ("tags_1", {"tags": 1}, {}),  # multikey
        ("tags_unique", {"tags": 1}, {"unique": True}),
        ("tags_qty", {"tags": 1, "qty": -1}, {}),
        ("addr_1", {"addr": 1}, {}),
        ("addr_city", {"addr.city": 1}, {}),
        ("addr_city_unique", {"addr.city": 1}, {"unique": True}),
        ("tags_dotted", {"tags.0": 1}, {}),
        ("country_partial", {"country": 1}, {"partialFilterExpression": {"qty": {"$gt": 5}}}),
        ("name_partial_unique", {"name": 1},
         {"unique": True, "partialFilterExpression": {"qty": {"$gte": 8}}}),
        ("wildcard", {"$**": 1}, {}),
        ("hashed", {"country": "hashed"}, {}),
        ("bool_direction", {"country": True}, {}),
    ]),
    "collation": ([{"_id": i, "country": c, "n": i} for i, c in enumerate(
        ["France", "FRANCE", "france", "Straße", "STRASSE", "côte", "Côte", "cote", "b", "A"])], [
        ("country_en_2", {"country": 1}, {"collation": {"locale": "en", "strength": 2}}),
        ("country_en_3", {"country": -1, "n": 1}, {"collation": {"locale": "en", "strength": 3}}),
        ("country_en_1_unique", {"country": 1},
         {"unique": True, "collation": {"locale": "en", "strength": 1}}),
        ("country_en_2_unique", {"country": 1},
         {"unique": True, "collation": {"locale": "en", "strength": 2}}),
        ("country_en_3_unique", {"country": 1},
         {"unique": True, "collation": {"locale": "en", "strength": 3}}),
        ("country_fr_2_unique_sparse", {"country": 1},
         {"unique": True, "sparse": True, "collation": {"locale": "fr", "strength": 2}}),
    ]),
    "geo": ([{"_id": i, "loc": {"type": "Point", "coordinates": [2.35 + i / 10, 48.85 - i / 20]},
              "pos": [i * 3 - 90, i * 2 - 60], "name": f"s{i}"} for i in range(40)]
            + [{"_id": 40, "name": "nowhere"}], [
        ("loc_2dsphere", {"loc": "2dsphere"}, {}),
        ("pos_2d", {"pos": "2d"}, {}),
        ("loc_2dsphere_name", {"loc": "2dsphere", "name": 1}, {}),
        ("name_1", {"name": 1}, {}),
    ]),
    "existing": (_typed_docs(30, 2) + [{"_id": "x", "a": 1}, {"_id": "y", "a": 1}], [
        ("a_1", {"a": 1}, {}),
        ("a_1", {"a": 1}, {}),  # the same index again
        ("a_1", {"a": 1}, {"unique": True}),
        ("a_1", {"a": 1}, {"sparse": True}),
        ("a_1", {"a": -1}, {}),
        ("a_1", {"a": 1, "b": 1}, {}),
        ("b_sparse", {"b": 1}, {"sparse": True}),
        ("b_sparse", {"b": 1}, {"sparse": True}),
        ("b_sparse", {"b": 1}, {}),
        ("a_unique", {"a": 1}, {"unique": True}),  # fails: no index, so again from scratch
        ("a_unique", {"a": 1}, {"unique": True}),
        ("_id_", {"_id": 1}, {}),
    ]),
    "odd_specs": (_typed_docs(60, 9) + [{"_id": 1000, "": 5, "a": 1}, {"_id": 1001, "": "x"}], [
        ("a_0", {"a": 0}, {}), ("a_2", {"a": 2}, {}), ("a_-0.5", {"a": -0.5}, {}),
        ("a_nan", {"a": math.nan}, {}), ("a_inf", {"a": math.inf}, {}),  # SecantusDB's errors
        ("a_int64", {"a": Int64(-1)}, {}), ("empty_name", {"": 1}, {}),
        ("id_-1", {"_id": -1}, {}), ("id_a_unique", {"_id": 1, "a": 1}, {"unique": True}),
        ("a_simple", {"a": 1}, {"collation": {"locale": "simple"}}),
        ("a_numeric", {"a": 1}, {"collation": {"locale": "en", "numericOrdering": True}}),
        ("b_hidden_ttl", {"b": 1}, {"hidden": True, "expireAfterSeconds": 5}),
    ]),
    "empty": ([], [
        ("a_1", {"a": 1}, {}),
        ("a_unique", {"a": 1, "b": -1}, {"unique": True, "sparse": True}),
        ("a_1", {"a": 1}, {}),
    ]),
    "one": ([{"_id": "only", "b": [1, 2], "a": Decimal128("1.5"), "c": {"d": 1}}], [
        ("a_1", {"a": 1}, {}),
        ("a_unique", {"a": -1}, {"unique": True}),
        ("b_unique", {"b": 1}, {"unique": True}),
        ("c_1", {"c": 1}, {}),
        ("missing_sparse", {"z": 1}, {"sparse": True}),
        ("missing_unique", {"z": 1}, {"unique": True}),
    ]),
}


def _outcome(create, case: str, name: str, key_spec: dict, options: dict) -> tuple:
    """What one create_index gives: its return value, or its exception, type and message."""
    try:
        return "returned", create(DB, case, name, key_spec, options)
    except Exception as exc:  # SecantusDB's own errors, compared as they are raised
        return "raised", type(exc), str(exc), repr(vars(exc))


def _rows(store: Storage) -> dict[str, dict[str, list]]:
    """Per collection, the rows of the three index tables (keys and values, bytes as stored)."""
    rows: dict[str, dict[str, list]] = {case: {table: [] for table in TABLES} for case in CASES}
    for table in TABLES:
        cursor = store._cursor(table)
        cursor.reset()
        while cursor.next() == 0:
            key, value = cursor.get_key(), cursor.get_value()
            assert key[0] == DB
            rows[key[1]][table].append((tuple(key), bytes(value) if isinstance(
                value, bytes | bytearray | memoryview) else value))
    return rows


def _build(directory, light: bool) -> tuple[dict[str, list], dict[str, dict[str, list]]]:
    store = Storage(str(directory))
    try:
        for case, (docs, _) in CASES.items():
            if docs:
                assert store.insert(DB, case, [dict(doc) for doc in docs]) == (len(docs), [])
        create = store.create_index if light else (
            lambda *args: Storage.create_index.original(store, *args))
        outcomes = {}
        for case, (_, indexes) in CASES.items():
            outcomes[case] = [_outcome(create, case, *index) for index in indexes]
        return outcomes, _rows(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, tuple]:
    """Per case: (outcomes, rows) from the installed build and from SecantusDB's own."""
    index_build.install()
    index_build.install()  # idempotent
    light = _build(tmp_path_factory.mktemp("light"), light=True)
    own = _build(tmp_path_factory.mktemp("own"), light=False)
    return {case: ((light[0][case], light[1][case]), (own[0][case], own[1][case]))
            for case in CASES}


def _same_build(builds: dict, case: str) -> tuple[list, dict[str, list]]:
    """Asserts both builds of `case` gave the same outcomes and rows; returns SecantusDB's."""
    (outcomes, rows), (own_outcomes, own_rows) = builds[case]
    assert outcomes == own_outcomes
    for table in TABLES:
        assert rows[table] == own_rows[table], table
    return own_outcomes, own_rows


def _kinds(outcomes: list) -> list:
    """Each outcome as its return value or the name of the exception it raised."""
    return [o[1] if o[0] == "returned" else o[1].__name__ for o in outcomes]


def _options(rows: dict[str, list]) -> dict[str, dict]:
    return {key[2]: bson.decode(value)["options"] for key, value in
            rows[secantus_storage._IDX_TABLE]}


def test_every_bson_type_before_and_after_the_indexed_field_indexes_as_secantusdb_does(
        builds) -> None:
    outcomes, rows = _same_build(builds, "types")
    indexes = CASES["types"][1]
    assert _kinds(outcomes) == [True] * (len(indexes) - 2 * len(FIELDS)) \
        + ["IndexConflict"] * 2 * len(FIELDS)  # unique: missing fields, true, 7 and Int64(7)
    assert "dup key: { é: 7 }" in outcomes[-2][2]
    entries = rows[secantus_storage._IDX_ENTRIES_TABLE]
    assert len(entries) > 150 * (len(indexes) - 2 * len(FIELDS))
    assert all(options.get("multikey") for options in _options(rows).values())
    outcomes, rows = _same_build(builds, "one_of_each")
    assert _kinds(outcomes) == [True, True, True]
    assert all(options.get("multikey") for options in _options(rows).values())  # the arrays
    assert len(rows[secantus_storage._UNIQ_TABLE]) == len(
        rows[secantus_storage._IDX_ENTRIES_TABLE]) > 3 * len(CASES["one_of_each"][0])
    outcomes, _ = _same_build(builds, "dbref")  # SecantusDB's own error on keying a DBRef
    assert _kinds(outcomes) == ["AttributeError", True]


def test_unique_indexes_accept_distinct_keys_and_reject_duplicates_with_secantus_own_error(
        builds) -> None:
    outcomes, rows = _same_build(builds, "distinct")
    assert _kinds(outcomes) == [True] * 4
    assert len(rows[secantus_storage._UNIQ_TABLE]) == 4 * len(DISTINCT)
    outcomes, _ = _same_build(builds, "countries")
    raised = {o[2] for o in outcomes if o[0] == "raised"}
    prefix = "E11000 duplicate key error collection: retail.countries index: "
    assert {prefix + 'country_unique dup key: { country: "France" }',
            prefix + 'name_country_unique dup key: { name: "N0", country: "France" }',
            prefix + 'missing_unique dup key: { missing: null }'} < raised


def test_sparse_multikey_subdocument_dotted_partial_wildcard_and_geo_indexes_match_secantus(
        builds) -> None:
    outcomes, rows = _same_build(builds, "countries")
    assert _kinds(outcomes) == [
        True, "IndexConflict", "IndexConflict", "IndexConflict", "IndexConflict", True, True,
        True, "IndexConflict", True, True, True, "IndexConflict", True, True, "IndexConflict",
        True, "CreateIndexUnsupported", True]
    options = _options(rows)
    assert options["tags_1"]["multikey"] is options["tags_qty"]["multikey"] is True
    assert not any("multikey" in options[name] for name in ("country_1", "addr_1", "addr_city"))
    outcomes, rows = _same_build(builds, "geo")
    assert _kinds(outcomes) == [True] * 4
    assert _options(rows)["loc_2dsphere"]["2dsphereIndexVersion"] == 3


def test_collated_indexes_over_mixed_case_strings_match_secantus(builds) -> None:
    outcomes, rows = _same_build(builds, "collation")
    assert _kinds(outcomes) == [True, True, "IndexConflict", "IndexConflict", True,
                                "IndexConflict"]  # strengths 1 and 2 fold "France", "FRANCE"
    assert _options(rows)["country_en_2"]["collation"] == {"locale": "en", "strength": 2}


def test_unusual_directions_field_names_and_options_build_as_secantus_does(builds) -> None:
    outcomes, rows = _same_build(builds, "odd_specs")
    assert _kinds(outcomes) == [True] * 3 + ["ValueError", "OverflowError"] + [True] * 7
    assert _options(rows)["b_hidden_ttl"]["expireAfterSeconds"] == 5


def test_rebuilding_an_existing_index_returns_and_conflicts_as_secantus_does(builds) -> None:
    outcomes, _ = _same_build(builds, "existing")
    assert _kinds(outcomes) == [
        True, False, "IndexOptionsConflict", "IndexOptionsConflict", "IndexKeySpecsConflict",
        "IndexKeySpecsConflict", True, False, "IndexOptionsConflict", "IndexConflict",
        "IndexConflict", False]
    assert outcomes[2][2] == "Index with name 'a_1' already exists with different options"


def test_an_empty_collection_and_a_one_document_collection_index_as_secantus_does(
        builds) -> None:
    outcomes, rows = _same_build(builds, "empty")
    assert _kinds(outcomes) == [True, True, False]
    assert rows[secantus_storage._IDX_ENTRIES_TABLE] == []
    assert len(rows[secantus_storage._IDX_TABLE]) == 2
    outcomes, rows = _same_build(builds, "one")
    assert _kinds(outcomes) == [True] * 6
    assert len(rows[secantus_storage._IDX_ENTRIES_TABLE]) == 1 + 1 + 3 + 1 + 0 + 1
    assert _options(rows)["b_unique"]["multikey"] is True


def test_string_keys_index_as_secantusdb_does(builds) -> None:
    outcomes, rows = _same_build(builds, "strings")
    assert _kinds(outcomes) == [True] * 4 + ["IndexConflict"] + [True] * 2 + [
        "IndexConflict", True, False]
    assert 'dup key: { colour: null }' in outcomes[4][2]  # missing, then null
    assert 'dup key: { late: "v" }' in outcomes[7][2]
    docs = len(CASES["strings"][0])
    missing = sum("colour" not in doc for doc in CASES["strings"][0])
    assert len(rows[secantus_storage._IDX_ENTRIES_TABLE]) == 7 * docs - missing
    assert len(rows[secantus_storage._UNIQ_TABLE]) == 2 * docs
    assert not any("multikey" in options for options in _options(rows).values())


def test_string_keys_are_computed_here_and_the_rest_left_to_secantusdb(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the comparison above against passing because SecantusDB built every index: the
    string-keyed ones get their rows here (`_bulk_rows`), the others none."""
    index_build.install()
    computed: list[tuple[str, bool]] = []
    real = index_build._bulk_rows

    def bulk_rows(items, bulk):
        rows = real(items, bulk)
        computed.append((bulk.field, rows is not None))
        return rows

    monkeypatch.setattr(index_build, "_bulk_rows", bulk_rows)
    store = Storage(str(tmp_path))
    try:
        store.insert(DB, "strings", _strings())
        for name, key_spec, options in CASES["strings"][1]:
            _outcome(store.create_index, "strings", name, key_spec, options)
    finally:
        store.close()
    # the collated index and the one that exists never get here
    assert computed == [("key", True), ("key", True), ("colour", True), ("colour", True),
                        ("colour", False), ("colour", False), ("late", False), ("late", False)]


def test_the_documents_compared_here_are_mostly_read_lightly() -> None:
    """Guards the comparisons above against passing because nothing was read lightly."""
    light = whole = 0
    for case in ("types", "one_of_each", "countries", "distinct", "collation", "one"):
        docs, indexes = CASES[case]
        for _, key_spec, options in indexes:
            fields = index_build.indexed_fields(key_spec, options)
            for doc in docs if fields is not None else ():
                if light_reads.light_decode(bson.encode(doc), fields) is None:
                    whole += 1
                else:
                    light += 1
    assert light > 2 * whole and light > 0


def _element(key: str, value: Any) -> bytes:
    return bson.encode({key: value})[4:-1]


def _raw(pairs: list[tuple[str, Any]]) -> bytes:
    """A BSON document with these elements in this order (`bson.encode` puts `_id` first)."""
    return framed(b"".join(_element(key, value) for key, value in pairs))


def _typed(doc: dict) -> list[tuple[str, bytes]]:
    """A decoded document's keys, in order, with their values' exact BSON."""
    return [(key, _element("v", value)) for key, value in doc.items()]


def test_light_decode_reads_id_and_the_indexed_fields_as_bson_decode_does() -> None:
    rng = random.Random(2024)
    names = ["_id", *FIELDS, "x", "_idx", "a_"]
    lightly = 0
    for _ in range(1000):
        pairs = [(name, IDS[rng.randrange(len(IDS))](rng.randrange(1000))
                  if name == "_id" and rng.random() < 0.5 else _random_value(rng))
                 for name in rng.sample(names, rng.randrange(len(names) + 1))]
        data = _raw(pairs)
        doc = bson.decode(data)
        fields = set(rng.sample(names, rng.randrange(1, 4)))
        light = light_reads.light_decode(data, frozenset(f.encode() for f in fields))
        if "_id" not in doc:
            assert light is None, (pairs, fields)
            continue
        expected = {k: v for k, v in doc.items() if k in fields or k == "_id"}
        assert light is not None, (pairs, fields)
        assert _typed(light) == _typed(expected), (pairs, fields)
        lightly += 1
    assert lightly > 250


def test_light_decode_reads_nested_values_whole_and_leaves_missing_ids_to_the_whole_decode(
        ) -> None:
    fields = frozenset({b"a"})
    for value in ({"b": 1}, [], [1, {"c": 2}], DBRef("c", 1)):
        for pairs in ([("_id", {"k": [1]}), ("a", value)], [("a", value), ("_id", 1)]):
            whole = bson.decode(_raw(pairs))
            assert _typed(light_reads.light_decode(_raw(pairs), fields)) == _typed(whole)
    assert light_reads.light_decode(_raw([("a", 1), ("b", 2)]), fields) is None
    assert light_reads.light_decode(_raw([]), fields) is None
    # nested values elsewhere, code with scope in the indexed field: read lightly
    code = Code("f()", {"s": [1]})
    data = _raw([("z", [{"y": 1}]), ("a", code), ("b", {"c": 1}), ("_id", 9), ("d", [])])
    assert light_reads.light_decode(data, fields) == {"a": code, "_id": 9}
    assert list(light_reads.light_decode(data, fields)) == ["a", "_id"]


def test_only_top_level_numeric_key_specs_are_read_lightly() -> None:
    fields = index_build.indexed_fields
    assert fields({"a": 1}, None) == frozenset({b"a"})
    assert fields({"a": -1, "é": 1.0, "_id": Int64(1)}, {"unique": True, "sparse": True,
                                                        "collation": {"locale": "en"}}) \
        == frozenset({b"a", "é".encode(), b"_id"})
    assert fields({"a": 1}, {"partialFilterExpression": None}) == frozenset({b"a"})
    for key_spec, options in [
        ({"a.b": 1}, {}), ({"a": 1, "b.c": -1}, {}), ({"$**": 1}, {}), ({"a.$**": 1}, {}),
        ({"$a": 1}, {}), ({"loc": "2dsphere"}, {}), ({"pos": "2d"}, {}), ({"t": "text"}, {}),
        ({"h": "hashed"}, {}), ({"a": 1, "loc": "2dsphere"}, {}), ({}, {}), ({}, None),
        ({"a": 1}, {"partialFilterExpression": {"b": {"$gt": 1}}}),
        ({"a": 1}, {"partialFilterExpression": {}}), ({"a": True}, {}), ({"a": False}, {}),
        ({"a": 1, "b": True}, {}), ({"a": Decimal128("1")}, {}), ({"a": None}, {}),
        ({"a\x00b": 1}, {}),
    ]:
        assert fields(key_spec, options) is None, (key_spec, options)


def test_decode_outside_an_index_build_is_the_driver_s() -> None:
    index_build.install()
    doc = {"_id": 1, "a": [1, {"b": 2}], "c": "x", "d": Decimal128("1.5")}
    data = bson.encode(doc)
    assert light_reads.decode(data) == bson.decode(data) == doc
    assert secantus_storage.bson.decode is light_reads.decode
    assert secantus_storage.bson.decode(data) == doc
    assert secantus_storage.bson.Regex is bson.Regex  # anything else is bson's own
    options = bson.CodecOptions(document_class=bson.SON)
    assert isinstance(light_reads.decode(data, options), bson.SON)
    assert Storage.create_index.original is not Storage.create_index


def test_only_the_blob_the_build_s_scan_just_yielded_is_read_lightly(tmp_path) -> None:
    """Within a build (marked as `create_index` marks it): a copy of the blob, the blob a
    second time, another thread, other codec options, all get the driver's whole decode."""
    index_build.install()
    docs = [{"_id": i, "z": [i], "a": i % 3, "b": {"c": i}} for i in range(5)]
    store = Storage(str(tmp_path))
    try:
        store.insert(DB, "c", [dict(doc) for doc in docs])
        index_build._state.fields = frozenset({b"a"})
        try:
            for (_, _, blob), doc in zip(store._scan_docs(DB, "c"), docs, strict=True):
                assert light_reads.decode(bytes(bytearray(blob))) == doc  # equal, not the blob
                other = []
                thread = threading.Thread(target=lambda b, out: out.append(light_reads.decode(b)),
                                          args=(blob, other))
                thread.start()
                thread.join()
                assert other == [doc]
                options = bson.CodecOptions(document_class=bson.SON)
                assert light_reads.decode(blob, options) == doc
                light = light_reads.decode(blob)
                assert list(light.items()) == [("_id", doc["_id"]), ("a", doc["a"])]
                assert light_reads.decode(blob) == doc  # read once lightly, then whole
        finally:
            index_build._state.fields = None
            light_reads.forget_marks()
        store.create_index(DB, "c", "a_1", {"a": 1}, {})
        assert index_build._state.fields is None and not light_reads._state.marks  # none left
        (_, _, blob), *_ = store._scan_docs(DB, "c")
        assert light_reads.decode(blob) == docs[0]
    finally:
        store.close()
