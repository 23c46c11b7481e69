"""Inserts marked as canonical BSON (retail/nosql/raw_inserts.py) store what SecantusDB stores
for them, byte for byte, give its replies and errors, and are left to it where they would not.

One real SecantusDB server in this process, spoken to through pymongo. Every insert runs twice
into the same namespace (dropped in between): with the installed parser and `insert` handler,
and with SecantusDB's own (`.original`), both with the marker. The two runs are compared by
their reply (or error), the bytes the server stored (read from its storage, in natural order)
and the bytes `find` returns. A counter on `Storage.insert` tells how many documents reached it
as sent (`RawInsert`) and how many decoded, so a fast path that silently falls back, or one
taken where it must not be, fails the tests.

The documents: every BSON type the driver writes canonically (regexes with their flags in
order, no DBRef-shaped documents), nested documents and arrays, `_id`s of several types,
profiles as both of the platform's writers encode them (`arrow_bson` column by column, the
driver with `profiles.CODEC_OPTIONS`) and event buckets. Declined collections (secondary or
unique indexes, a validator, capped, time-series, a view, `system.` and `admin`) must get
SecantusDB's own insert on decoded documents; duplicate `_id`s on the fast path must give its
write errors; messages that are not exactly a marked insert must reach its parser unchanged.
Marked messages the fast path must leave to SecantusDB's parser are checked too: an `_id`
after other fields (SecantusDB, like mongod, stores it first) and malformed documents (its
BadValue reply, the connection kept). A date past year 9999, which SecantusDB cannot decode,
never reaches the server from the platform's writers: `arrow_bson` refuses it
(tests/unit/test_arrow_bson.py).
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import types
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import bson
import pyarrow as pa
import pytest
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from bson_documents import framed, id_last
from pymongo import MongoClient
from pymongo.errors import BulkWriteError, OperationFailure
from secantus import SecantusDBServer, commands, wire
from secantus import storage as storage_module
from secantus.storage import Storage
from secantus_rows import reading, rows

from retail.nosql import arrow_bson, profiles, raw_insert_writes, raw_inserts
from retail.nosql.pipelined import pipelined_inserts
from retail.nosql.raw_inserts import CANONICAL, RawInsert, parse_raw_insert

RAW = CodecOptions(document_class=RawBSONDocument)

VALUES: list[Any] = [
    1.5, -0.0, float("inf"), "", "Lyon", "Zürich", "x\x00y",
    {"city": "Lyon", "zip": [69001, {"x": None}]}, {}, [3, "a", [1, [{}]]], [],
    Binary(b"\x00\xff", 0), Binary(uuid.UUID(int=7).bytes, 4), Binary(b"", 128),
    ObjectId("5f0c8a4e9b1e8a3d4c2b1a00"), True, False, None,
    dt.datetime(2024, 2, 29, 23, 59, 59, 999000), dt.datetime(1, 1, 1),
    Regex("^fr", "i"), Regex("a.b", "imsx"), Code("f(x)"), Code("f(x)", {"x": 1}),
    7, -(2**31), 2**31 - 1, Int64(7), 2**40, Decimal128("7.0"), Decimal128("-0.00"),
    Decimal128("NaN"), MinKey(), MaxKey(), bson.Timestamp(1_700_000_000, 3),
]
FIELDS = ["a", "b", "c", "n", "nested"]


def _ids(i: int) -> Any:
    ids = [i, f"k-{i:04d}", ObjectId(f"{i:024x}"), {"s": i % 3, "n": i}, Int64(2**40 + i),
           Decimal128(f"{i}.5"), dt.datetime(2024, 1, 1) + dt.timedelta(seconds=i),
           Binary(i.to_bytes(4, "little"), 0)]
    return ids[i % len(ids)]


def _doc(rng: random.Random, i: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": _ids(i)}
    for name in rng.sample(FIELDS, rng.randrange(len(FIELDS) + 1)):
        value = rng.choice(VALUES)
        doc[name] = value if name != "nested" else {"v": [value, {"w": rng.choice(VALUES)}]}
    return doc


def _events_like(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "_id": {"batch": "b1", "session": f"s{i % 40:03d}", "chunk": i},
        "session_id": rng.choice([f"s{i % 40:03d}", None]),
        "n": rng.randrange(1, 6),
        "events": [{"event_id": f"e{i}-{k}", "ts": dt.datetime(2024, 3, 1, 12, k),
                    "amount": Decimal128(f"{k}.99")} for k in range(3)],
        "event_types": sorted(rng.sample(["page_view", "add_to_cart", "purchase"], 2)),
    }


# --- profiles as the platform writes them ---------------------------------------------------

LINE = pa.struct([("product_number", pa.string()), ("quantity", pa.int32()),
                  ("unit_price", pa.decimal128(18, 2)), ("sales_amount", pa.decimal128(18, 2))])
ORDER = pa.struct([("order_number", pa.string()), ("order_date", pa.date32()),
                   ("ship_date", pa.date32()), ("units", pa.int64()),
                   ("order_amount", pa.decimal128(38, 2)), ("lines", pa.list_(LINE))])
PROFILE_SCHEMA = pa.schema([
    ("customer_key", pa.string()), ("customer_id", pa.int32()), ("first_name", pa.string()),
    ("birthdate", pa.date32()), ("is_inferred", pa.bool_()),
    ("lifetime", pa.struct([("orders", pa.int64()), ("revenue", pa.decimal128(38, 2)),
                            ("first_order_date", pa.date32())])),
    ("recent_orders", pa.list_(ORDER)),
    ("segment", pa.struct([("customer_key", pa.string()), ("monetary_value",
                                                           pa.decimal128(18, 2)),
                           ("percentile_rank", pa.float64()), ("value_tier", pa.string()),
                           ("rfm_segment", pa.string())])),
    ("lifetime_kpi", pa.struct([("customer_key", pa.string()), ("orders", pa.int64()),
                                ("recency_days", pa.int64())])),
    (profiles.DIGEST, pa.string())])


def _order(rng: random.Random, n: int) -> dict[str, Any]:
    day = dt.date(2010, 12, 29) + dt.timedelta(rng.randrange(1500))
    return {"order_number": f"SO{n}", "order_date": day,
            "ship_date": rng.choice([None, day + dt.timedelta(7)]),
            "units": rng.choice([0, 3, 2**31]),
            "order_amount": Decimal(rng.randrange(10**12)).scaleb(-2),
            "lines": [{"product_number": f"BK-{k}", "quantity": rng.choice([1, None]),
                       "unit_price": Decimal(rng.randrange(1, 400_000)).scaleb(-2),
                       "sales_amount": Decimal(rng.randrange(-10_000, 10**6)).scaleb(-2)}
                      for k in range(rng.choice([0, 1, 3]))]}


def _profile_batch(rows: int = 24) -> pa.RecordBatch:
    """A batch shaped like the profiles query's (nulls at every level)."""
    rng = random.Random("raw inserts profiles")
    batch = []
    for n in range(rows):
        key = f"{n:032x}"
        orders = [_order(rng, n * 100 + i) for i in range(rng.choice([0, 1, 2, 11]))]
        batch.append({
            "customer_key": key, "customer_id": 11000 + n,
            "first_name": rng.choice(["Jon", "Zoë", None]),
            "birthdate": rng.choice([None, dt.date(1938, 5, 1), dt.date(1999, 12, 31)]),
            "is_inferred": n % 5 == 4,
            "lifetime": {"orders": len(orders), "revenue": Decimal(rng.randrange(10**9))
                         .scaleb(-2), "first_order_date": orders[-1]["order_date"]
                         if orders else None},
            "recent_orders": orders,
            "segment": None if n % 3 == 1 else {
                "customer_key": key, "monetary_value": Decimal("-12.30"),
                "percentile_rank": rng.random(), "value_tier": rng.choice(["High", None]),
                "rfm_segment": rng.choice(["Champions", None])},
            "lifetime_kpi": None if n % 4 == 3 else {"customer_key": key, "orders": len(orders),
                                                     "recency_days": 2**31},
            profiles.DIGEST: f"{rng.getrandbits(128):032x}"})
    return pa.RecordBatch.from_pylist(batch, schema=PROFILE_SCHEMA)


def _profiles_by_columns() -> list[bytes]:
    """Profiles as `profiles._documents` encodes them: column by column."""
    return arrow_bson.documents(profiles.profile_columns(_profile_batch()))


def _profiles_by_driver() -> list[bytes]:
    """Profiles as the fallback encodes them: `profile_document` by the driver's encoder."""
    return [bson.encode(profiles.profile_document(row), codec_options=profiles.CODEC_OPTIONS)
            for row in _profile_batch().to_pylist()]


def _every_type() -> list[bytes]:
    rng = random.Random(7)
    return [bson.encode(_doc(rng, i)) for i in range(120)]


def _event_buckets() -> list[bytes]:
    rng = random.Random(11)
    return [bson.encode(_events_like(rng, i)) for i in range(60)]


DOCUMENT_SETS: dict[str, Callable[[], list[bytes]]] = {
    "every type": _every_type,
    "profiles by arrow_bson": _profiles_by_columns,
    "profiles by the driver": _profiles_by_driver,
    "event buckets": _event_buckets,
}


# --- the server, both ways ------------------------------------------------------------------

@dataclass
class Server:
    server: SecantusDBServer
    client: MongoClient


@pytest.fixture(scope="module")
def served(secantus_server: SecantusDBServer, secantus_client: MongoClient) -> Server:
    raw_inserts.install()
    raw_inserts.install()  # idempotent
    return Server(secantus_server, secantus_client)


@pytest.fixture
def reaching(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many documents reached `Storage.insert` as sent (`RawInsert`) and decoded, and how
    many of them `raw_insert_writes` wrote ("written raw": its chunks that committed)."""
    counted: Counter[str] = Counter()
    real, real_chunk = Storage.insert, raw_insert_writes._write_chunk

    def insert(self: Storage, db: str, coll: str, docs: Any, **kwargs: Any) -> Any:
        docs = list(docs)
        counted.update("as sent" if type(doc) is RawInsert else "decoded" for doc in docs)
        return real(self, db, coll, docs, **kwargs)

    def write_chunk(storage: Storage, db: str, coll: str, prepared: list[Any], sync: bool
                    ) -> None:
        real_chunk(storage, db, coll, prepared, sync)
        counted["written raw"] += len(prepared)

    monkeypatch.setattr(Storage, "insert", insert)
    monkeypatch.setattr(raw_insert_writes, "_write_chunk", write_chunk)
    return counted


@contextmanager
def _secantus_own() -> Iterator[None]:
    """SecantusDB's own parser, `insert` handler and chunk writer in place meanwhile."""
    installed = wire._parse_op_msg, commands._HANDLERS["insert"], Storage._insert_chunk
    wire._parse_op_msg = installed[0].original  # type: ignore[attr-defined]
    commands._HANDLERS["insert"] = installed[1].original  # type: ignore[attr-defined]
    Storage._insert_chunk = installed[2].original  # type: ignore[attr-defined,method-assign]
    try:
        yield
    finally:
        wire._parse_op_msg, commands._HANDLERS["insert"], Storage._insert_chunk = installed


def _stored(served: Server, db: str, name: str) -> list[bytes]:
    """The blobs the server's storage holds for `db.name`, in natural order."""
    with reading(served.server.storage) as storage:
        return [bytes(blob) for _rid, _key, blob in storage._scan_docs(db, name)]


def _rows(served: Server, db: str, name: str, first: int) -> tuple[list[Any], list[int]]:
    """The `_id` index rows (`_id` key -> RecordId) and the document rows (RecordId -> framed
    `_id` key and bytes) of `db.name`, each RecordId as its rank among the namespace's; and
    the RecordIds, counted from `first` (the first one the insert could mint)."""
    with reading(served.server.storage) as storage:
        ids = rows(storage, storage_module._NAT_SEQ_TABLE, db, name)
        documents = rows(storage, storage_module._doc_table_for(db, name), db, name)
    recordids = sorted(recordid for recordid, _ in documents)
    rank = {recordid: n for n, recordid in enumerate(recordids)}
    return ([(key, rank.get(recordid)) for key, recordid in ids]
            + [(rank[recordid], bytes(value)) for recordid, value in documents],
            [recordid - first for recordid in recordids])


@dataclass
class Run:
    """What one insert gave: its outcome (None, the write errors or the command error), the
    stored bytes, the bytes `find` returns (with `find`'s arguments, if any) or its error, the
    namespace's rows (`_rows`) and its RecordIds counted from the insert's first."""

    outcome: Any
    stored: list[bytes]
    found: list[bytes]
    rows: list[Any]
    recordids: list[int] = field(compare=False)


Insert = Callable[[Any, list[Any]], Any]


def _insert_many(ordered: bool = True) -> Insert:
    return lambda collection, documents: collection.insert_many(
        documents, ordered=ordered, comment=CANONICAL)


def _run(served: Server, reaching: Counter[str], db_name: str, name: str, documents: list[Any],
         setup: Callable[[Any], None] | None, insert: Insert, find: dict[str, Any]) -> Run:
    db = served.client[db_name]
    db.drop_collection(name)
    if setup is not None:
        setup(db)
    reaching.clear()  # what the insert brings, not the setup
    first = served.server.storage._next_nat_seq
    collection = db.get_collection(name, codec_options=RAW)
    try:
        insert(collection, documents)
        outcome: Any = None
    except BulkWriteError as exc:
        outcome = ("write errors", exc.details)
    except OperationFailure as exc:
        outcome = ("error", exc.code, exc.details)
    try:
        found: Any = [doc.raw for doc in collection.find(**find)]
    except OperationFailure as exc:
        found = ("error", exc.code)
    return Run(outcome, _stored(served, db_name, name), found,
               *_rows(served, db_name, name, first))


def _both(served: Server, reaching: Counter[str], documents: list[Any], *,
          name: str = "docs", db: str = "t", setup: Callable[[Any], None] | None = None,
          insert: Insert | None = None, find: dict[str, Any] | None = None
          ) -> tuple[Run, Run, Counter[str]]:
    """(installed, SecantusDB's own, what reached `Storage.insert` in the installed run)."""
    insert = insert or _insert_many()
    ours = _run(served, reaching, db, name, documents, setup, insert, find or {})
    ours_reached = Counter(reaching)
    with _secantus_own():
        own = _run(served, reaching, db, name, documents, setup, insert, find or {})
    assert reaching["as sent"] == 0
    return ours, own, ours_reached


# --- 1. canonical documents: stored as sent, and as SecantusDB stores them -------------------

@pytest.mark.parametrize("kind", DOCUMENT_SETS)
def test_canonical_documents_are_stored_as_sent_as_secantus_stores_them(
        served: Server, reaching: Counter[str], kind: str) -> None:
    encoded = DOCUMENT_SETS[kind]()
    documents = [RawBSONDocument(raw) for raw in encoded]
    for ordered in (True, False):
        ours, own, reached = _both(served, reaching, documents, insert=_insert_many(ordered))
        assert ours.outcome is None
        assert ours == own and ours.recordids == own.recordids
        assert ours.stored == encoded and ours.found == encoded
        assert reached == {"as sent": len(encoded), "written raw": len(encoded)}, \
            "every document stored as it was sent, by raw writes"


def test_dicts_are_encoded_by_the_driver_and_stored_as_sent(
        served: Server, reaching: Counter[str]) -> None:
    """insert_many of dicts (the driver encodes them, `_id` first) with the marker."""
    rng = random.Random(3)
    documents = [_doc(rng, i) for i in range(50)]
    ours, own, reached = _both(served, reaching, documents)
    assert ours == own and ours.stored == [bson.encode(doc) for doc in documents]
    assert reached == {"as sent": 50, "written raw": 50}


def test_an_id_after_other_fields_is_stored_as_secantus_stores_it(
        served: Server, reaching: Counter[str]) -> None:
    """Not canonical (`bson.encode` of its decode puts `_id` first), but a marked insert can
    carry it: such a message is parsed by SecantusDB, which stores `_id` first."""
    documents = [id_last({"a": i, "b": {"x": i}}, _ids(i)) for i in range(8)]
    ours, own, reached = _both(served, reaching, documents)
    assert ours == own
    assert reached == {"decoded": len(documents)}


# --- 2. what the marker claims of the platform's writers -------------------------------------

@pytest.mark.parametrize("kind", DOCUMENT_SETS)
def test_the_writers_documents_are_canonical(kind: str) -> None:
    """Decoding as SecantusDB decodes and encoding again gives the bytes back (`_id` first)."""
    encoded = DOCUMENT_SETS[kind]()
    assert encoded
    for raw in encoded:
        assert bson.encode(bson.decode(raw)) == raw
        assert raw[5:9] == b"_id\x00"  # the first element's name


def test_the_two_profile_writers_agree() -> None:
    """The profiles sent are the same bytes whichever writer encoded them (the claim of one
    covers the other)."""
    assert _profiles_by_columns() == _profiles_by_driver()


# --- 3. declined collections: SecantusDB's own insert, on decoded documents ------------------

def _with_index(unique: bool) -> Callable[[Any], None]:
    return lambda db: db.docs.create_index("k", unique=unique)


def _validated(db: Any) -> None:
    db.create_collection("docs", validator={"k": {"$type": "int"}})


def _capped(db: Any) -> None:
    db.create_collection("docs", capped=True, size=100_000, max=5)
    db.docs.insert_many([{"_id": 100 + i} for i in range(5)])  # evicted by the next insert


def _view(db: Any) -> None:
    db.drop_collection("view_source")
    db.view_source.insert_one({"_id": 1, "k": 1})
    db.command("create", "docs", viewOn="view_source", pipeline=[])


def _timeseries(db: Any) -> None:
    db.create_collection("docs", timeseries={"timeField": "t", "metaField": "m"})


KEYED = [RawBSONDocument(bson.encode({"_id": i, "k": i % 4, "v": Decimal128(f"{i}.10")}))
         for i in range(12)]
DUPLICATE_K = [RawBSONDocument(bson.encode({"_id": i, "k": [1, 2, 3, 2, 4][i]}))
               for i in range(5)]
BAD_K = [RawBSONDocument(bson.encode({"_id": i, "k": i if i != 2 else "two"}))
         for i in range(4)]
TIMED = [RawBSONDocument(bson.encode({"_id": i, "t": dt.datetime(2024, 1, 1, i), "m": i % 2,
                                      "v": i})) for i in range(6)]

DECLINED: dict[str, dict[str, Any]] = {
    "secondary index": {"setup": _with_index(False), "documents": KEYED,
                        "find": {"filter": {"k": 2}, "hint": "k_1"}},
    "unique index, ordered": {"setup": _with_index(True), "documents": DUPLICATE_K},
    "unique index, unordered": {"setup": _with_index(True), "documents": DUPLICATE_K,
                                "insert": _insert_many(ordered=False)},
    "validator, ordered": {"setup": _validated, "documents": BAD_K},
    "validator, unordered": {"setup": _validated, "documents": BAD_K,
                             "insert": _insert_many(ordered=False)},
    "capped": {"setup": _capped, "documents": KEYED[:3]},
    "time-series": {"setup": _timeseries, "documents": TIMED},
    "view": {"setup": _view, "documents": KEYED[:3]},
    "system collection": {"name": "system.js", "documents": KEYED[:3]},
    "admin db": {"db": "admin", "name": "raw_inserts_docs", "documents": KEYED[:3]},
}


@pytest.mark.parametrize("case", DECLINED)
def test_declined_collections_get_secantus_own_insert(
        served: Server, reaching: Counter[str], case: str) -> None:
    ours, own, reached = _both(served, reaching, **DECLINED[case])
    if case == "time-series":  # its `_id` keys end with a suffix minted per document
        ours, own = replace(ours, rows=[]), replace(own, rows=[])
    assert ours == own
    assert reached["as sent"] == reached["written raw"] == 0, "the documents were decoded"
    if case != "validator, ordered":  # rejected before the storage
        assert reached["decoded"] > 0


def test_declined_cases_show_what_they_decline(served: Server, reaching: Counter[str]) -> None:
    """The comparisons above are not vacuous: the index finds by its key, the unique index and
    the validator reject, the capped collection evicts."""
    cases = {case: _both(served, reaching, **DECLINED[case])[0] for case in DECLINED}
    assert len(cases["secondary index"].found) == 3
    for ordered, written in (("ordered", 3), ("unordered", 4)):
        kind, details = cases[f"unique index, {ordered}"].outcome
        assert kind == "write errors" and details["nInserted"] == written
        assert [(e["index"], e["code"], e["keyValue"]) for e in details["writeErrors"]] == [
            (3, 11000, {"k": 2})]
        kind, details = cases[f"validator, {ordered}"].outcome
        assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(2, 121)]
    assert cases["capped"].stored == [bson.encode({"_id": 103}), bson.encode({"_id": 104}),
                                      *(doc.raw for doc in KEYED[:3])]
    assert len(cases["time-series"].found) == 6
    # SecantusDB (unlike mongod) takes an insert into a view, under the view's name
    assert cases["view"].found == [bson.encode({"_id": 1, "k": 1})]  # the view's source
    assert cases["view"].stored == [doc.raw for doc in KEYED[:3]]
    assert len(cases["system collection"].stored) == 3
    assert len(cases["admin db"].stored) == 3


def test_what_keeps_the_bytes(served: Server) -> None:
    """`_keeps_bytes` on the server's storage: a plain collection (created or not) keeps them;
    an oplog, a transaction's fields, system, admin, local and config namespaces do not."""
    db = served.client.t
    db.drop_collection("plain")
    db.create_collection("plain")
    storage = served.server.storage

    def keeps(name: str = "plain", db_name: str = "t", **command: Any) -> bool:
        context = types.SimpleNamespace(storage=storage, db_name=db_name)
        return raw_inserts._keeps_bytes({"insert": name, **command}, context)

    assert keeps() and keeps("never_created") and keeps(lsid={"id": 1}, ordered=False)
    assert not keeps(txnNumber=Int64(1))
    assert not keeps(autocommit=False)
    assert not keeps(startTransaction=True)
    assert not keeps("system.js")
    assert not any(keeps(db_name=name) for name in ("admin", "local", "config"))
    storage.enable_oplog = True
    try:
        assert not keeps()
    finally:
        storage.enable_oplog = False


# --- 4. the fast path's errors are SecantusDB's ----------------------------------------------

def _existing(db: Any) -> None:
    db.docs.insert_many([{"_id": 3, "old": True}, {"_id": "k", "old": True}])


DUPLICATE = 11000
#: case -> documents, setup, and for ordered and unordered: (nInserted, [(index, code)])
FAST_ERRORS: dict[str, tuple[list[dict[str, Any]], Callable[[Any], None] | None,
                             dict[bool, tuple[int, list[tuple[int, int]]]]]] = {
    "duplicate in the batch": ([{"_id": i % 5, "n": i} for i in range(8)], None, {
        True: (5, [(5, DUPLICATE)]),
        False: (5, [(5, DUPLICATE), (6, DUPLICATE), (7, DUPLICATE)])}),
    "equal numbers of other types": ([{"_id": 1}, {"_id": 1.0}, {"_id": Int64(1)},
                                      {"_id": Decimal128("1.00")}, {"_id": 2}], None, {
        True: (1, [(1, DUPLICATE)]),
        False: (2, [(1, DUPLICATE), (2, DUPLICATE), (3, DUPLICATE)])}),
    "duplicate of a stored document": ([{"_id": i, "n": i} for i in range(6)], _existing, {
        True: (3, [(3, DUPLICATE)]), False: (5, [(3, DUPLICATE)])}),
    "both": ([{"_id": "k"}, {"_id": 7}, {"_id": 3}, {"_id": 7}, {"_id": 8}], _existing, {
        True: (0, [(0, DUPLICATE)]),
        False: (2, [(0, DUPLICATE), (2, DUPLICATE), (3, DUPLICATE)])}),
    "`$` in an `_id` document": ([{"_id": 1}, {"_id": {"$x": 1}}, {"_id": 2}], None, {
        True: (0, [(1, 2)]), False: (2, [(1, 2)])}),  # SecantusDB's: nothing of an ordered one
}


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
@pytest.mark.parametrize("case", FAST_ERRORS)
def test_fast_path_errors_are_secantus_own(
        served: Server, reaching: Counter[str], case: str, ordered: bool) -> None:
    documents, setup, expected = FAST_ERRORS[case]
    raw = [RawBSONDocument(bson.encode(doc)) for doc in documents]
    ours, own, reached = _both(served, reaching, raw, setup=setup, insert=_insert_many(ordered))
    assert ours == own  # n, every write error (index, code, errmsg, keyValue), the bytes
    kind, details = ours.outcome
    assert kind == "write errors"
    errors = details["writeErrors"]
    assert (details["nInserted"], [(e["index"], e["code"]) for e in errors]) == expected[ordered]
    assert all(e["keyValue"] == {"_id": raw[e["index"]]["_id"]}
               for e in errors if e["code"] == DUPLICATE)
    assert len(ours.stored) == details["nInserted"] + (2 if setup else 0)
    rejected_first = sum(e["code"] != DUPLICATE for e in errors)  # before the storage
    if details["nInserted"] or rejected_first == 0:
        kept = len(raw) - rejected_first
        # a duplicate leaves its chunk (here: the whole insert) to SecantusDB
        assert reached == Counter({"as sent": kept, "written raw": 0 if len(errors) >
                                   rejected_first else kept})


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_chunks_around_a_duplicate_are_written_raw(
        served: Server, reaching: Counter[str], ordered: bool) -> None:
    """SecantusDB stores an insert in chunks of 1,000 documents: the chunk holding a duplicate
    `_id` is rolled back and left to SecantusDB, which reports it; the others are written
    raw."""
    documents = [RawBSONDocument(bson.encode({"_id": i if i != 1_500 else 7, "n": i}))
                 for i in range(2_500)]
    ours, own, reached = _both(served, reaching, documents, insert=_insert_many(ordered))
    assert ours == own
    kind, details = ours.outcome
    assert kind == "write errors" and [(e["index"], e["code"]) for e in
                                       details["writeErrors"]] == [(1_500, DUPLICATE)]
    assert details["nInserted"] == (1_500 if ordered else 2_499)
    assert reached == {"as sent": 2_500, "written raw": 1_000 if ordered else 1_500}


def test_a_write_conflict_retries_the_chunk(served: Server, reaching: Counter[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A WiredTiger rollback in a raw chunk rolls it back and SecantusDB's retry writes it
    again: the same rows as SecantusDB's own insert, only RecordIds skipped."""
    import wiredtiger

    mint = Storage._mint_nat_seq
    calls = Counter[str]()

    def conflicting(self: Storage) -> int:
        calls["minted"] += 1
        if calls["minted"] == 30:
            raise wiredtiger.WiredTigerRollbackError("WT_ROLLBACK: conflict (injected)")
        return mint(self)

    documents = [RawBSONDocument(bson.encode({"_id": f"k{i:03d}", "n": i})) for i in range(50)]
    monkeypatch.setattr(Storage, "_mint_nat_seq", conflicting)
    ours, own, reached = _both(served, reaching, documents)
    assert calls["minted"] == 30 + 50 + 50, "ours: 29 and the conflict, its retry; then own"
    assert ours == own and ours.outcome is None and len(ours.stored) == 50
    assert reached == {"as sent": 50, "written raw": 50}


# --- 5. a document without `_id` -------------------------------------------------------------

def test_a_document_without_id_is_parsed_by_secantus(
        served: Server, reaching: Counter[str]) -> None:
    """The server mints its `_id`; the whole message goes SecantusDB's way."""
    documents = [RawBSONDocument(bson.encode({"_id": 1, "a": 1})),
                 RawBSONDocument(bson.encode({"a": 2, "b": [Decimal128("1.5")]}))]
    ours, own, reached = _both(served, reaching, documents)
    assert reached == {"decoded": 2}
    assert ours.outcome is own.outcome is None
    assert ours.stored[0] == own.stored[0] == documents[0].raw
    for run in (ours, own):
        minted = bson.decode(run.stored[1])
        assert list(minted) == ["_id", "a", "b"] and isinstance(minted["_id"], ObjectId)
    assert bson.decode(ours.stored[1]) | {"_id": None} == bson.decode(own.stored[1]) | {
        "_id": None}


# --- 6. messages that are not marked inserts -------------------------------------------------

def _op_msg(body: dict[str, Any], documents: list[bytes] | None = None, *, flags: int = 0,
            identifier: bytes = b"documents") -> bytes:
    """An OP_MSG body: flags, the command section and, if any, one document sequence."""
    buf = struct.pack("<I", flags) + b"\x00" + bson.encode(body)
    if documents is not None:
        sequence = identifier + b"\x00" + b"".join(documents)
        buf += b"\x01" + struct.pack("<i", len(sequence) + 4) + sequence
    return buf


INSERT = {"insert": "docs", "ordered": True, "comment": CANONICAL, "$db": "t"}
DOCS = [bson.encode({"_id": 1, "a": "x"}), bson.encode({"_id": {"s": 1}, "b": [1, 2]})]
DBPOINTER = b"\x0cp\x00" + (2).to_bytes(4, "little") + b"c\x00" + bytes(12)


def test_a_marked_insert_is_read_lightly() -> None:
    parsed = parse_raw_insert(_op_msg(INSERT, DOCS))
    assert parsed is not None and parsed.flags == 0 and parsed.body == INSERT
    [(identifier, documents)] = parsed.document_sequences
    assert identifier == "documents"
    assert [type(doc) for doc in documents] == [RawInsert, RawInsert]
    assert [doc.raw for doc in documents] == DOCS
    assert documents == [{"_id": 1}, {"_id": {"s": 1}}]
    assert [bson.encode(doc) for doc in documents] == DOCS  # what Storage.insert stores
    empty = _op_msg(INSERT, [])  # SecantusDB's insert then refuses it
    assert parse_raw_insert(empty) == wire._parse_op_msg.original(empty)  # type: ignore


NOT_MARKED: dict[str, bytes] = {
    "not an insert": _op_msg({"find": "docs", "comment": CANONICAL, "$db": "t"}),
    "an update": _op_msg({"update": "docs", "comment": CANONICAL, "$db": "t"},
                         [bson.encode({"q": {}, "u": {"$set": {"a": 1}}})],
                         identifier=b"updates"),
    "no comment": _op_msg({"insert": "docs", "$db": "t"}, DOCS),
    "another comment": _op_msg({**INSERT, "comment": "retail"}, DOCS),
    "the marker elsewhere": _op_msg({"insert": "docs", "let": {"c": CANONICAL}, "$db": "t"},
                                    DOCS),
    "the marker's string in a document": _op_msg(
        {"insert": "docs", "$db": "t"}, [bson.encode({"_id": 1, "c": CANONICAL})]),
    "insert not first": _op_msg({"comment": CANONICAL, "insert": "docs", "$db": "t"}, DOCS),
    "documents in the body": _op_msg({**INSERT, "documents": [{"_id": 1}]}),
    "checksum flag": _op_msg(INSERT, DOCS, flags=1) + b"\x00\x00\x00\x00",
    "moreToCome flag": _op_msg(INSERT, DOCS, flags=2),
    "another sequence": _op_msg(INSERT, DOCS, identifier=b"updates"),
    "two sequences": _op_msg(INSERT, DOCS) + _op_msg(INSERT, DOCS)[5 + len(
        bson.encode(INSERT)):],
    "no sequence": _op_msg(INSERT),
    "a document without _id": _op_msg(INSERT, [DOCS[0], bson.encode({"a": 1})]),
    "a type the light reader skips before _id": _op_msg(
        INSERT, [framed(DBPOINTER + bson.encode({"_id": 1})[4:-1])]),
}
MALFORMED: dict[str, bytes] = {
    "a truncated document": _op_msg(INSERT, [DOCS[0], DOCS[1][:-3]]),
    "a document longer than the sequence": _op_msg(INSERT, [DOCS[0], framed(b"")[:4]]),
    "a document without its last NUL": _op_msg(INSERT, [DOCS[0][:-1] + b"\x01"]),
    "a size below 5": _op_msg(INSERT, [DOCS[0], b"\x04\x00\x00\x00"]),
    "a sequence longer than the message": _op_msg(INSERT, DOCS)[:-4],
    "a command section longer than the message": _op_msg(INSERT)[:-2],
}


@pytest.mark.parametrize("case", NOT_MARKED)
def test_other_messages_are_left_to_secantus(case: str) -> None:
    buf = NOT_MARKED[case]
    assert parse_raw_insert(buf) is None
    ours, own = _parsed(buf), _parsed(buf, wire._parse_op_msg.original)  # type: ignore
    assert ours == own and ours[0] == "parsed"
    assert all(type(doc) is not RawInsert
               for _, documents in ours[1].document_sequences for doc in documents)


def _parsed(buf: bytes, parse: Callable[[bytes], Any] | None = None) -> tuple[str, Any]:
    """What the installed parser (or `parse`) makes of `buf`: the message or its error."""
    try:
        return "parsed", (parse or wire._parse_op_msg)(buf)
    except Exception as exc:
        return "error", (type(exc), str(exc))


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_marked_inserts_get_secantus_own_error(served: Server, case: str) -> None:
    buf = MALFORMED[case]
    assert parse_raw_insert(buf) is None
    ours, own = _parsed(buf), _parsed(buf, wire._parse_op_msg.original)  # type: ignore
    assert ours == own and ours[0] == "error"


def test_a_malformed_marked_document_gets_a_bad_value_reply(served: Server) -> None:
    """A document whose only element is a regex cut at its name: SecantusDB replies BadValue
    (code 2) and keeps the connection."""
    malformed = RawBSONDocument(framed(b"\x0bab"))
    with _secantus_own(), pytest.raises(OperationFailure) as own:
        served.client.t.malformed.insert_many([malformed], comment=CANONICAL)
    assert own.value.code == 2
    with pytest.raises(OperationFailure) as ours:
        served.client.t.malformed.insert_many([malformed], comment=CANONICAL)
    assert ours.value.code == 2


# --- 7. install() ----------------------------------------------------------------------------

def test_install_is_idempotent(served: Server) -> None:
    installed = wire._parse_op_msg, commands._HANDLERS["insert"]
    raw_inserts.install()
    assert (wire._parse_op_msg, commands._HANDLERS["insert"]) == installed
    assert installed[0] is not installed[0].original  # type: ignore[attr-defined]
    assert not hasattr(installed[0].original, "original")  # type: ignore[attr-defined]
    assert installed[0].original.__module__ == "secantus.wire"  # type: ignore[attr-defined]
    assert installed[1].original is commands._insert  # type: ignore[attr-defined]


# --- 8. the platform's writer sends the marker -----------------------------------------------

def test_pipelined_inserts_take_the_fast_path(served: Server, reaching: Counter[str]) -> None:
    """Profiles as `profiles._write` sends them (RawBSONDocuments by `arrow_bson`, dicts by
    `profile_document`), through `pipelined_inserts`, several batches."""
    encoded = _profiles_by_columns()
    rows = _profile_batch().to_pylist()

    def pipelined(collection: Any, documents: list[Any]) -> None:
        target = collection.with_options(codec_options=profiles.CODEC_OPTIONS)
        with pipelined_inserts(target) as inserter:
            for start in range(0, len(documents), 10):
                inserter.insert(documents[start:start + 10])

    for documents in ([RawBSONDocument(raw) for raw in encoded],
                      [profiles.profile_document(row) for row in rows]):
        ours, own, reached = _both(served, reaching, documents, insert=pipelined)
        assert ours.outcome is None and ours == own
        assert ours.stored == encoded
        assert reached == {"as sent": len(encoded), "written raw": len(encoded)}
