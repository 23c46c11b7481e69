"""Aggregations on the embedded server that read only what their first `$project` keeps
(retail/nosql/projected_reads.py) give SecantusDB's own results, byte for byte (field order and
BSON types included), and its errors.

One real SecantusDB server in this process, spoken to through pymongo; every pipeline runs
twice over the same documents, with the installed `aggregate` handler and with SecantusDB's own
(`.original`), and the two results are compared as BSON bytes. The documents hold every BSON
type (a few only the whole decode reads), `_id`s of several types and, in some, `_id` after
other fields; the pipelines are the passes of `pipelines` and shapes the plan reads lightly or
leaves alone: exclusions, dotted and computed fields, filters with top-level operators, a
`$match` after the `$project`, views, `$lookup`s on the same collection, hints, errors.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from typing import Any

import bson
import pytest
from bson import Binary, Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex
from bson_documents import framed, id_last
from pymongo import MongoClient
from pymongo.errors import OperationFailure
from secantus import SecantusDBServer, commands
from secantus.storage import Storage

from retail.nosql import light_reads, pipelines, projected_reads

VALUES: list[Any] = [
    1.5, "", "Lyon", "Zürich", {"city": "Lyon", "zip": [69001, {"x": None}]}, {}, [3, "a", [1]],
    [], Binary(b"\x00\xff", 0), ObjectId("5f0c8a4e9b1e8a3d4c2b1a00"), True, None,
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999000), Regex("^fr", "i"), Code("f(x)", {"x": 1}),
    7, Int64(7), 2**40, Decimal128("7.0"), MinKey(), MaxKey(), DBRef("c", 12),
    bson.Timestamp(1_700_000_000, 3),
]
FIELDS = ["a", "b", "c", "session_id", "n"]


def _doc(rng: random.Random, i: int) -> dict[str, Any]:
    ids = [i, f"k-{i:04d}", ObjectId(f"{i:024x}"), {"s": i % 3, "n": i}]
    doc: dict[str, Any] = {"_id": ids[i % len(ids)]}
    for name in rng.sample(FIELDS, rng.randrange(len(FIELDS) + 1)):
        doc[name] = rng.choice(VALUES)
    return doc


def _events_like(rng: random.Random, i: int) -> dict[str, Any]:
    """A bucket as `events` holds them (the fields the passes read, and events they do not)."""
    days = ["2024-03-01", "2024-03-02", None]
    return {
        "_id": {"batch": "b1", "session": f"s{i % 40:03d}", "chunk": i},
        "session_id": rng.choice([f"s{i % 40:03d}"] * 8 + [None]),
        "n": rng.randrange(1, 6),
        "events": [{"event_id": f"e{i}-{k}", "ts": datetime.datetime(2024, 3, 1)}
                   for k in range(3)],
        "event_types": sorted(rng.sample(["page_view", "product_view", "add_to_cart",
                                          "purchase"], rng.randrange(1, 4))),
        "payment_statuses": rng.sample(["success", "failed"], rng.randrange(3)),
        "product_views": [{"product_key": rng.choice(["P1", "P2", None]),
                           "day": rng.choice(days), "views": rng.randrange(1, 3)}
                          for _ in range(rng.randrange(3))],
    }


@pytest.fixture(scope="module")
def db(secantus_server: SecantusDBServer) -> Iterator[Any]:
    projected_reads.install()
    projected_reads.install()  # idempotent
    host, port = secantus_server.address
    client: MongoClient = MongoClient(f"mongodb://{host}:{port}/")
    try:
        database = client["t"]
        rng = random.Random(7)
        database.docs.insert_many([_doc(rng, i) for i in range(300)])
        database.docs.insert_many([id_last({"a": i, "b": {"x": i}}, 10_000 + i)
                                   for i in range(5)])
        database.events.insert_many([_events_like(rng, i) for i in range(400)])
        database.events.create_index([("session_id", 1)])
        database.products.insert_many([{"_id": "P1", "category": "Bikes"},
                                       {"_id": "P2", "category": "Helmets"}])
        database.command("create", "docs_view", viewOn="docs",
                         pipeline=[{"$match": {"a": {"$exists": True}}}])
        yield database
    finally:
        client.close()


def _both(db: Any, coll: str, pipeline: list[dict[str, Any]] | None = None, **find: Any
          ) -> tuple:
    """(installed, SecantusDB's own): each the result of the aggregation `pipeline` (or, with
    none, of `find(**find)`) as BSON bytes, or the error raised."""
    installed = commands._HANDLERS["aggregate"], Storage.find_matching

    def run() -> Any:
        try:
            found = db[coll].find(**find) if pipeline is None else db[coll].aggregate(
                pipeline, **find)
            return [bson.encode(doc) for doc in found]
        except OperationFailure as exc:
            return ("error", exc.code, str(exc))

    try:
        ours = run()
        commands._HANDLERS["aggregate"] = installed[0].original
        Storage.find_matching = installed[1].original
        own = run()
    finally:
        commands._HANDLERS["aggregate"], Storage.find_matching = installed
    return ours, own


@pytest.fixture
def light_reads_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many documents were read lightly (and read lightly indeed, not decoded whole)."""
    counted = [0]
    real = light_reads.light_decode

    def counting(data: bytes, fields: frozenset[bytes]) -> Any:
        doc = real(data, fields)
        counted[0] += doc is not None
        return doc

    monkeypatch.setattr(light_reads, "light_decode", counting)
    return counted


READ_LIGHTLY = [
    [{"$project": {"a": 1, "b": 1}}],
    [{"$project": {"_id": 0, "a": True}}],
    [{"$project": {"_id": 1, "c": 1, "b": 1}}],  # the document's order, not the projection's
    [{"$match": {"b": {"$exists": True}}}, {"$project": {"a": 1}}],  # filter field not kept
    [{"$match": {"a.city": "Lyon"}}, {"$project": {"_id": 0, "a": 1}}],  # dotted filter
    [{"$match": {"_id": {"$gte": 100}}}, {"$project": {"_id": 0, "a": 1, "n": 1}}],
    [{"$match": {"a": {"$type": "string"}}}, {"$project": {"a": 1}},
     {"$sort": {"a": 1, "_id": 1}}, {"$limit": 7}],
    [{"$project": {"a": 1}}, {"$group": {"_id": {"$type": "$a"}, "n": {"$sum": 1}}},
     {"$sort": {"_id": 1}}],
    [{"$project": {"a": 1, "_id": 1}},  # the pipeline's own read of the same collection: whole
     {"$lookup": {"from": "docs", "localField": "_id", "foreignField": "_id", "as": "self"}}],
    [{"$project": {"nothing_has_this": 1}}],
    [{"$match": {"a": {"$in": [7, "Lyon"]}}}, {"$project": {"a": 1, "b": 1}},
     {"$match": {"b": None}}],  # a `$match` after the lifted one stays a stage
]

LEFT_ALONE = [
    [{"$project": {"a": 0}}],  # exclusion
    [{"$project": {"_id": 0}}],  # excludes `_id` only: every other field kept
    [{"$project": {"_id": 1}}],
    [{"$project": {"a.city": 1}}],  # dotted
    [{"$project": {"a": "$b"}}],  # computed
    [{"$project": {"a": 2}}],
    [{"$project": {"a": 1.0}}],
    [{"$match": {"$or": [{"a": 7}, {"b": None}]}}, {"$project": {"a": 1}}],
    [{"$match": {"$expr": {"$eq": ["$a", 7]}}}, {"$project": {"a": 1}}],
    [{"$project": {"_id": 0, "a": 1}}, {"$match": {"_id": {"$exists": True}}}],
    [{"$project": {"a": 1}}, {"$documents": [{"x": 1}]}],
    [{"$sort": {"_id": 1}}, {"$project": {"a": 1}}],
    [{"$match": {"a": 7}, "$project": {"a": 1}}],  # a malformed stage: SecantusDB's error
]


@pytest.mark.parametrize("pipeline", READ_LIGHTLY, ids=range(len(READ_LIGHTLY)))
def test_pipelines_read_lightly_give_secantus_own_results(
        db: Any, pipeline: list[dict[str, Any]], light_reads_counted: list[int]) -> None:
    assert projected_reads.plan(pipeline) is not None
    ours, own = _both(db, "docs", pipeline)
    assert ours == own
    assert light_reads_counted[0] > 0, "the documents were read lightly"


@pytest.mark.parametrize("pipeline", LEFT_ALONE, ids=range(len(LEFT_ALONE)))
def test_other_pipelines_go_to_secantus_unchanged(
        db: Any, pipeline: list[dict[str, Any]], light_reads_counted: list[int]) -> None:
    assert projected_reads.plan(pipeline) is None
    ours, own = _both(db, "docs", pipeline)
    assert ours == own
    assert light_reads_counted[0] == 0


def test_the_passes_read_lightly_and_give_secantus_own_figures(
        db: Any, light_reads_counted: list[int]) -> None:
    for pipeline in (pipelines.event_facets(), pipelines.event_facets(sessioned=True),
                     pipelines.product_view_facets(), pipelines.funnel_pass(),
                     [pipelines.summary("n"), {"$group": {"_id": None, "n": {"$sum": "$n"}}}]):
        assert projected_reads.plan(pipeline) is not None
        for part in ({}, {"session_id": {"$gte": "s010", "$lt": "s020"}}, {"session_id": None}):
            stages = [{"$match": part}, *pipeline] if part else pipeline
            ours, own = _both(db, "events", stages)
            assert ours == own and ours and ours[0] != bson.encode({})
    assert light_reads_counted[0] >= 5 * 400


def test_a_view_explain_and_a_hint_give_secantus_own_results(
        db: Any, light_reads_counted: list[int]) -> None:
    """A view and explain go to SecantusDB unchanged; a hinted fetch (which reads its documents
    whole) is shaped as the `$project` would shape it."""
    pipeline = [{"$project": {"a": 1}}]
    ours, own = _both(db, "docs_view", pipeline)
    assert ours == own and len(ours) > 50
    assert light_reads_counted[0] == 0
    explained = db.command("aggregate", "docs", pipeline=pipeline, explain=True)
    assert explained["ok"] == 1.0 and light_reads_counted[0] == 0
    ours, own = _both(db, "events", [{"$match": {"session_id": "s001"}},
                                     pipelines.summary("n")], hint=[("session_id", 1)])
    assert ours == own and ours


def test_documents_the_light_reader_cannot_read_are_decoded_whole_and_shaped() -> None:
    """`read` falls back to the whole decode; `project` shapes whatever it is given."""
    data = bson.encode({"z": 1, "a": DBRef("c", 1), "_id": 5})
    pointer = b"\x0cu\x00" + (2).to_bytes(4, "little") + b"c\x00" + bytes(12)  # DBPointer
    body = bson.encode({"_id": 5})[4:-1] + pointer  # a type the light reader does not read
    raw = framed(body)
    assert light_reads.light_decode(raw, frozenset({b"u"})) is None
    assert light_reads.read(raw, frozenset({b"u"})) == bson.decode(raw)
    assert list(light_reads.read(data, frozenset({b"a"}))) == ["_id", "a"]
    doc = {"z": 1, "a": 2, "_id": 5, "b": 3}
    assert list(projected_reads.project(doc, ("b", "a"), True).items()) == [
        ("_id", 5), ("a", 2), ("b", 3)]
    assert projected_reads.project(doc, ("a",), False) == {"a": 2}
    assert projected_reads.project({"b": 1}, ("a",), True) == {}


FINDS_READ_LIGHTLY = [
    {"projection": {"a": 1}},
    {"projection": {"_id": 0, "b": True, "a": 1}},
    {"filter": {"c": {"$exists": True}}, "projection": {"a": 1}},
    {"filter": {"a.city": "Lyon"}, "projection": {"n": 1}},
    {"projection": {"a": 1}, "sort": [("b", 1), ("_id", -1)], "skip": 3, "limit": 40},
    {"filter": {"_id": {"$gte": 100}}, "projection": {"_id": 0, "c": 1}, "sort": [("c", -1)]},
    {"filter": {"n": {"$type": "number"}}, "projection": {"a": 1, "b": 1},
     "sort": [("n", 1), ("_id", 1)]},
]
FINDS_LEFT_ALONE = [
    {"projection": {"a": 0}},
    {"projection": {"a.city": 1}},
    {"projection": {"a": {"$slice": 1}}},
    {"filter": {"$or": [{"a": 7}, {"c": 1}]}, "projection": {"a": 1}},
    {"projection": {"a": 1}, "sort": [("a.city", 1)], "min": {"a": 0}, "hint": [("a", 1)]},
    {"filter": {"a": 7}},
]


@pytest.mark.parametrize("find", FINDS_READ_LIGHTLY, ids=range(len(FINDS_READ_LIGHTLY)))
def test_finds_read_lightly_give_secantus_own_results(
        db: Any, find: dict[str, Any], light_reads_counted: list[int]) -> None:
    ours, own = _both(db, "docs", **find)
    assert ours == own and ours
    assert light_reads_counted[0] > 0, "the documents were read lightly"


@pytest.mark.parametrize("find", FINDS_LEFT_ALONE, ids=range(len(FINDS_LEFT_ALONE)))
def test_other_finds_go_to_secantus_unchanged(
        db: Any, find: dict[str, Any], light_reads_counted: list[int]) -> None:
    ours, own = _both(db, "docs", **find)
    assert ours == own
    assert light_reads_counted[0] == 0


def test_a_profiles_rebuild_reads_its_digests_lightly(db: Any, light_reads_counted: list[int]
                                                       ) -> None:
    """The read of `profiles._live_digests`, on documents shaped like profiles."""
    from retail.nosql.profiles import DIGEST

    db.profiles.insert_many([{"_id": i, "customer_key": f"k{i}", "recent_orders": [
        {"order_number": f"SO{i}", "lines": [{"sales_amount": Decimal128("1.25")}]}],
        DIGEST: f"d{i}"} for i in range(50)])
    ours, own = _both(db, "profiles", filter={"_id": {"$gte": 10, "$lt": 30}},
                      projection={DIGEST: 1})
    assert ours == own and len(ours) == 20
    assert bson.decode(ours[0]) == {"_id": 10, DIGEST: "d10"}
    assert light_reads_counted[0] >= 20  # every document the fetch read
