"""`events` follows bronze.web_events load by load (hand-made batches, no dbt needed).

Expected documents are computed here from the hand-made lines: the first copy of each event_id,
in ingestion order then line order, over the batches bronze holds at that moment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import event, event_document, event_documents, ingest_events

from retail.nosql import events as events_module
from retail.nosql import partitioned, sync_events
from retail.nosql.events import ensure_event_indexes


def _docs(db: Any) -> dict[str, tuple[str, str | None]]:
    return {doc["_id"]: (doc["batch_id"], doc["page_url"]) for doc in event_documents(db)}


def _expected(batches: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, tuple[str, str]]:
    kept: dict[str, tuple[str, str]] = {}
    for batch_id, records in batches:
        for record in records:
            kept.setdefault(record["event_id"], (batch_id, record["page_url"]))
    return kept


def _batch(prefix: str, ids: range, url: str) -> list[dict[str, Any]]:
    return [event(f"{prefix}{n}", page_url=url) for n in ids]


@pytest.fixture
def two_batches(tmp_path: Path) -> tuple[Path, list[tuple[str, list[dict[str, Any]]]]]:
    """batch-b (ingested first) and batch-a, which repeats two of batch-b's events."""
    path = tmp_path / "wh.duckdb"
    first = _batch("e", range(0, 6), "/b")
    second = _batch("e", range(4, 10), "/a")
    ingest_events(path, tmp_path / "batch-b", first)
    ingest_events(path, tmp_path / "batch-a", second)
    return path, [("batch-b", first), ("batch-a", second)]


def test_an_unchanged_warehouse_sends_nothing(db: Any, two_batches: Any) -> None:
    path, batches = two_batches
    first = sync_events(db, path)
    assert (first.loaded, first.inserted, first.duplicate_event_id) == (2, 10, 2)
    again = sync_events(db, path)
    assert again.unchanged and (again.kept, again.lines, again.inserted, again.deleted) == (
        2, 0, 0, 0)
    assert _docs(db) == _expected(batches)


def test_the_last_batch_ingested_again_with_fewer_events_is_replaced(
    db: Any, two_batches: Any, tmp_path: Path
) -> None:
    path, batches = two_batches
    sync_events(db, path)
    fewer = _batch("e", range(4, 7), "/a2")
    ingest_events(path, tmp_path / "batch-a", fewer)
    assert "batch_id_1" not in db.events.index_information()  # no delete yet
    result = sync_events(db, path)
    assert (result.kept, result.removed, result.loaded, result.reset) == (1, 1, 1, False)
    assert _docs(db) == _expected([batches[0], ("batch-a", fewer)])
    # built by the sync that deleted batch-a's buckets; a batch's buckets ride it
    assert "batch_id_1" in str(db.events.find({"batch_id": "batch-a"}).explain())


def test_the_first_batch_ingested_again_reloads_what_follows(
    db: Any, two_batches: Any, tmp_path: Path
) -> None:
    path, batches = two_batches
    sync_events(db, path)
    fewer = _batch("e", range(0, 5), "/b2")  # e5 now first comes from batch-a
    ingest_events(path, tmp_path / "batch-b", fewer)
    sync_events(db, path)
    assert _docs(db) == _expected([("batch-b", fewer), batches[1]])
    assert event_document(db, "e5")["batch_id"] == "batch-a"


def test_a_batch_removed_from_bronze_takes_its_events_away(db: Any, two_batches: Any) -> None:
    path, batches = two_batches
    sync_events(db, path)
    with duckdb.connect(str(path)) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'bronze'"
            " and table_type = 'BASE TABLE' and table_name <> '_batches'").fetchall()]
        for table in tables:
            con.execute(f"delete from bronze.{table} where _batch_id = 'batch-b'")
    result = sync_events(db, path)
    assert result.loads == 1
    assert _docs(db) == _expected([batches[1]])


def test_another_warehouse_replaces_everything(db: Any, two_batches: Any, tmp_path: Path) -> None:
    path, _batches = two_batches
    sync_events(db, path)
    other = tmp_path / "other" / "wh.duckdb"
    mine = _batch("x", range(3), "/other")
    ingest_events(other, tmp_path / "other" / "batch-b", mine)
    result = sync_events(db, other)
    assert result.reset and result.deleted == 10
    assert _docs(db) == _expected([("batch-b", mine)])


@pytest.mark.parametrize("in_parts", [False, True])
def test_events_touched_by_hand_are_reloaded(db: Any, two_batches: Any, in_parts: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path, batches = two_batches
    if in_parts:  # the events still there are counted part by part (`partitioned`)
        monkeypatch.setattr(events_module, "SAMPLE_EVERY", 1)
        monkeypatch.setattr(partitioned, "PASS_BUCKETS", 1)
    sync_events(db, path)
    parts = len(partitioned.session_parts(db))
    assert parts > 2 if in_parts else parts == 1
    total = sum(doc["n"] for doc in db.events.find())
    gone = db.events.find_one_and_delete({"session_id": "s1"})  # a bucket deleted by hand
    result = sync_events(db, path)
    assert result.reset and result.deleted == total - gone["n"] > 0
    assert _docs(db) == _expected(batches)
    db.events.drop()
    assert sync_events(db, path).loaded == 2
    assert _docs(db) == _expected(batches)
    ensure_event_indexes(db)
    assert sync_events(db, path, full=True).reset
    assert _docs(db) == _expected(batches)


def test_buckets_of_the_previous_model_are_reloaded_with_summaries(
    db: Any, two_batches: Any
) -> None:
    """An `events` written by the version before the computed summaries: the first sync
    after the upgrade reloads it, so no pipeline reads a bucket without them."""
    path, batches = two_batches
    sync_events(db, path)
    summaries = {"event_types": "", "payment_statuses": "", "product_views": ""}
    db.events.update_many({}, {"$unset": summaries})
    db.load_ledger.update_one({"_id": "events"}, {"$set": {"model": "session-buckets"}})
    result = sync_events(db, path)
    assert result.reset and result.loaded == 2
    assert db.events.count_documents({"event_types": {"$exists": False}}) == 0
    assert db.events.count_documents({}) == result.buckets > 0
    assert _docs(db) == _expected(batches)
