"""Counts by keys (retail/nosql/fast_count.py) equal SecantusDB's own counts, and are taken.

One real SecantusDB server in this process, spoken to through pymongo. Collections whose
databases and names start alike (so that several share a documents shard, and one's packed
prefix starts another's), then deletes, a drop and a re-creation, an empty and a missing
collection: after every change each collection's `estimated_document_count()` (the installed
count) must equal `Storage.count_matching.original` and the documents a `find` returns. A
counter on `count_rows` tells that the key walk answered, so a count that silently falls back
fails the tests; a filtered count must not take it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pymongo import MongoClient

from retail.nosql import fast_count

NAMESPACES = [(db, coll) for db in ("retail", "retail2", "retai", "r")
              for coll in ("events", "events2", "event", "e", "events.x", "levents")]


@pytest.fixture(scope="module")
def client(secantus_client: MongoClient) -> MongoClient:
    fast_count.install()
    fast_count.install()  # idempotent
    return secantus_client


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many counts the key walk answered, by namespace."""
    counted: Counter[str] = Counter()
    real = fast_count.count_rows

    def count_rows(storage: Any, db: str, coll: str) -> int | None:
        counted[f"{db}.{coll}"] += 1
        return real(storage, db, coll)

    monkeypatch.setattr(fast_count, "count_rows", count_rows)
    return counted


def _assert_counts_agree(client: MongoClient, storage: Any, walks: Counter[str]) -> None:
    walks.clear()
    for db, coll in NAMESPACES:
        own = type(storage).count_matching.original(storage, db, coll, {})
        found = len(list(client[db][coll].find({}, {"_id": 1})))
        assert client[db][coll].estimated_document_count() == own == found, (db, coll)
    assert walks == Counter(f"{db}.{coll}" for db, coll in NAMESPACES)


def test_counts_by_keys_equal_secantus_counts_through_every_change(
        client: MongoClient, secantus_server: Any, walks: Counter[str]) -> None:
    storage = secantus_server.storage
    _assert_counts_agree(client, storage, walks)  # nothing exists yet: all 0
    for number, (db, coll) in enumerate(NAMESPACES):
        size = (number * 7) % 23 + 1
        client[db][coll].insert_many([{"_id": i, "n": i % 3, "pad": "x" * (i % 50)}
                                      for i in range(size)])
    client["retail"]["events"].insert_many(  # past a deadline poll (every 4,096 rows)
        [{"_id": f"s{i}", "n": i % 3} for i in range(fast_count.DEADLINE_EVERY * 2 + 5)])
    _assert_counts_agree(client, storage, walks)
    assert client["retail"]["events"].estimated_document_count() > fast_count.DEADLINE_EVERY * 2

    client["retail"]["events"].delete_many({"n": 1})
    client["retail2"]["events2"].delete_many({})  # empty, still there
    client["retai"]["levents"].drop()  # gone
    client["r"]["e"].drop()
    client["r"]["e"].insert_one({"_id": "again"})  # dropped and made again
    _assert_counts_agree(client, storage, walks)
    assert client["retail2"]["events2"].estimated_document_count() == 0
    assert client["r"]["e"].estimated_document_count() == 1


def test_a_filtered_count_is_secantus_own(client: MongoClient, walks: Counter[str]) -> None:
    collection = client["filtered"]["events"]
    collection.insert_many([{"_id": i, "n": i % 4} for i in range(40)])
    walks.clear()
    assert collection.count_documents({"n": 2}) == 10
    assert collection.count_documents({}) == 40  # an aggregation, not a count: no walk either
    assert not walks
    assert collection.estimated_document_count() == 40
    assert walks == Counter({"filtered.events": 1})
