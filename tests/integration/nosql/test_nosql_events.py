"""Web events from hand-made bronze lines into `events`: validity rules, typing, bad lines.

Each test ingests hand-made extracts (header-only CRM/ERP files plus `events.jsonl`) into a
real DuckDB warehouse with `ingest_extract`, then syncs `events` from its bronze.web_events.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from nosql_fixtures import event, event_document, event_documents, ingest_events

from retail.nosql import sync_events
from retail.nosql.gold_io import GoldNotBuiltError


def _all(db: Any) -> list[dict[str, Any]]:
    return event_documents(db)


MIXED: list[Any] = [
    event("e1", session_id="s1", customer_id=11000, ts="2024-03-01T12:30:00+02:00"),
    '{"event_id": "broken", "event_type": "page_view"',  # truncated: malformed
    event("e2", "product_view", session_id=" s1 ", product_key="BK-R93R-62"),
    '{"event_id": "e6", "event_id": "e1", "event_type": "page_view"}',  # first key wins
    "[1, 2, 3]",  # valid JSON but no fields: no event_id
    event("", "page_view"),  # blank event_id
    event("e3", "teleport"),  # unknown event type
    event("e1", "purchase", order_number="SO1"),  # duplicate of e1: the first copy is kept
    event("e4", " PAYMENT_ATTEMPT ", payment_status="FAILED", customer_id="11001"),
    event("e5", "purchase", order_number="SO9", customer_id="not a number", ts="garbage"),
    "",  # blank line: bronze keeps no row for it
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """One batch: 5 valid events and lines of every rejected kind (counts by construction)."""
    return ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-0001", MIXED)


def test_counts_match_the_silver_rules(db: Any, warehouse: Path) -> None:
    result = sync_events(db, warehouse)
    assert (result.loads, result.loaded, result.lines, result.valid, result.inserted) == (
        1, 1, 10, 5, 5)
    assert (result.malformed, result.missing_event_id, result.unknown_event_type,
            result.duplicate_event_id) == (1, 2, 1, 1)
    assert result.rejected() == result.lines - result.valid
    assert [doc["_id"] for doc in _all(db)] == ["e1", "e2", "e4", "e5", "e6"]


def test_documents_are_typed_and_cleaned(db: Any, warehouse: Path) -> None:
    sync_events(db, warehouse)
    e1 = event_document(db, "e1")
    assert e1["event_type"] == "page_view"  # the first copy, not the later purchase
    assert e1["customer_id"] == 11000
    assert e1["ts"].replace(tzinfo=dt.UTC) == dt.datetime(2024, 3, 1, 10, 30, tzinfo=dt.UTC)
    assert e1["source_line"] == 1 and e1["batch_id"] == "batch-0001"
    e2 = event_document(db, "e2")
    assert (e2["session_id"], e2["product_key"], e2["source_line"]) == ("s1", "BK-R93R-62", 3)
    e4 = event_document(db, "e4")
    assert (e4["event_type"], e4["payment_status"], e4["customer_id"]) == (
        "payment_attempt", "failed", 11001)
    e5 = event_document(db, "e5")
    assert e5["customer_id"] is None and e5["ts"] is None  # kept, as silver keeps it


def test_batch_size_does_not_change_the_result(db: Any, warehouse: Path, mongo: Any) -> None:
    sync_events(db, warehouse, batch_size=1)
    other = mongo[f"{db.name}_b"]
    try:
        sync_events(other, warehouse, batch_size=3)
        assert _all(other) == _all(db)
    finally:
        mongo.drop_database(other.name)


def test_indexes_exist(db: Any, warehouse: Path) -> None:
    sync_events(db, warehouse)
    keys = {tuple(index["key"].keys()) for index in db.events.list_indexes()}
    assert keys == {("_id",), ("session_id", "first_ts")}  # the batch index: once needed
    # the lookup it serves: a session's clickstream (its buckets) in time order
    session = db.events.find({"session_id": "s1"}).sort("first_ts", 1).explain()
    assert "session_id_1_first_ts_1" in str(session)


def test_a_mostly_broken_file_keeps_every_good_event(db: Any, tmp_path: Path) -> None:
    good = [event(f"g{n}", "product_view", product_key=f"P{n % 3}") for n in range(50)]
    junk: list[Any] = ["{", "null", '{"event_id": 5', "}{", "not json at all", "[]"]
    lines: list[Any] = []
    for index, record in enumerate(good):
        lines.append(record)
        lines.append(junk[index % len(junk)])
    path = ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-junk", lines)
    result = sync_events(db, path, batch_size=7)
    assert result.valid == 50 and result.rejected() == 50
    assert {doc["_id"] for doc in event_documents(db)} == {f"g{n}" for n in range(50)}


def test_a_warehouse_without_web_events_leaves_events_empty(db: Any, tmp_path: Path) -> None:
    path = ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-empty", None)
    result = sync_events(db, path)
    assert (result.loads, result.lines, result.documents) == (0, 0, 0)
    assert db.events.count_documents({}) == 0


def test_a_later_batch_repeating_an_event_keeps_the_first_copy(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    # "batch-10" is ingested first: it comes first although its name sorts after "batch-9"
    ingest_events(path, tmp_path / "batch-10", [event("e1", "page_view", page_url="/first")])
    ingest_events(path, tmp_path / "batch-9", [event("e1", "page_view", page_url="/second"),
                                               event("e2", "page_view")])
    result = sync_events(db, path)
    assert (result.inserted, result.duplicate_event_id) == (2, 1)
    assert event_document(db, "e1")["page_url"] == "/first"
    assert event_document(db, "e2")["batch_id"] == "batch-9"


def test_a_missing_warehouse_is_a_clear_error(db: Any, tmp_path: Path) -> None:
    with pytest.raises(GoldNotBuiltError, match="warehouse not found"):
        sync_events(db, tmp_path / "nope.duckdb")


def test_a_session_is_one_bucket_split_into_chunks(db: Any, tmp_path: Path) -> None:
    # one long session (times out of line order), a short one with one customer, no session
    base = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    stamps = [base + dt.timedelta(seconds=(n * 7919) % 1201) for n in range(1201)]
    long = [event(f"L{n:04d}", session_id="long", customer_id=n % 2, ts=stamps[n].isoformat())
            for n in range(1201)]
    short = [event("S1", session_id="short", customer_id=11000),
             event("S2", session_id="short", customer_id=11000)]
    lines = [*long, *short, event("N1", session_id=None)]
    path = ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-1", lines)
    result = sync_events(db, path)
    assert (result.documents, result.buckets) == (len(lines), 3 + 1 + 1)
    buckets = list(db.events.find({"session_id": "long"}).sort("first_ts", 1))
    assert [bucket["n"] for bucket in buckets] == [500, 500, 201]
    assert [bucket["_id"]["chunk"] for bucket in buckets] == [0, 1, 2]
    stored = [sub["ts"].replace(tzinfo=dt.UTC) for bucket in buckets for sub in bucket["events"]]
    assert stored == sorted(stamps)  # a session's events in time order, across its chunks
    assert all(bucket["first_ts"] == bucket["events"][0]["ts"]
               and bucket["last_ts"] == bucket["events"][-1]["ts"] for bucket in buckets)
    # two customers in the long session: kept per event; one in the short: on the bucket
    assert all("customer_id" not in bucket for bucket in buckets)
    short_bucket = db.events.find_one({"session_id": "short"})
    assert short_bucket["customer_id"] == 11000 and short_bucket["n"] == 2
    assert all("customer_id" not in sub for sub in short_bucket["events"])
    assert db.events.find_one({"session_id": None})["events"][0]["event_id"] == "N1"


def test_a_bucket_carries_the_summaries_of_its_events(db: Any, tmp_path: Path) -> None:
    """The computed fields the aggregations read, against the hand-made session."""
    lines = [
        event("E1", ts="2024-03-01T09:00:00+00:00"),  # a page view
        event("E2", "product_view", product_key="P1", ts="2024-03-01T23:30:00-02:00"),
        event("E3", "product_view", product_key="P1", ts="2024-03-02T01:00:00+00:00"),
        event("E4", "product_view", product_key="P2", ts="2024-03-01T12:00:00+00:00"),
        event("E5", "product_view", ts="2024-03-01T12:30:00+00:00"),  # names no product
        event("E6", "product_view", product_key="P1", ts="not a time"),  # no day
        event("E7", "payment_attempt", payment_status="failed", ts="2024-03-01T13:00:00Z"),
        event("E8", "payment_attempt", ts="2024-03-01T14:00:00Z"),  # no status
    ]
    sync_events(db, ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-1", lines))
    (bucket,) = db.events.find()
    assert bucket["event_types"] == ["page_view", "payment_attempt", "product_view"]
    assert bucket["payment_statuses"] == ["failed", None]  # time order: E7, then E8
    views = {(v["product_key"], v["day"]): v["views"] for v in bucket["product_views"]}
    # E2 is 01:30 UTC on March 2: the same UTC day as E3
    assert views == {("P1", "2024-03-02"): 2, ("P2", "2024-03-01"): 1,
                     (None, "2024-03-01"): 1, ("P1", None): 1}
    assert len(bucket["product_views"]) == len(views)


def _buckets_in_order(db: Any) -> list[bytes]:
    from bson.raw_bson import RawBSONDocument

    raw = db.events.with_options(codec_options=db.codec_options.with_options(
        document_class=RawBSONDocument))
    return [bucket.raw for bucket in raw.find().sort("_id", 1)]


def test_buckets_made_from_small_reads_are_the_buckets_made_from_one(
        db: Any, mongo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lines come from DuckDB in batches and a bucket may span two: its lines wait for
    the next batch. Read 1, 2 and 5 lines at a time, the documents are the same bytes."""
    from retail.nosql import events as events_module

    monkeypatch.setattr(events_module, "BUCKET_EVENTS", 3)  # long sessions: several chunks
    lines = [event(f"L{i}", "product_view" if i % 3 else "payment_attempt",
                   session_id=None if i % 11 == 0 else f"s{i % 4}", product_key=f"P{i % 2}",
                   customer_id=11000 + (i % 5 == 0 and i > 20), payment_status="ok",
                   ts=f"2024-03-0{1 + i % 3}T{i % 24:02d}:00:00Z" if i % 7 else None)
             for i in range(40)]
    warehouse = ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-1", lines)
    sync_events(db, warehouse)
    at_once = _buckets_in_order(db)
    assert len(at_once) == 14  # 4 sessions of 9 lines and no session of 4, in chunks of 3
    for rows in (1, 2, 5):
        other = mongo[f"{db.name}_{rows}"]
        monkeypatch.setattr(events_module, "ENCODE_LINES", rows)
        sync_events(other, warehouse)
        assert _buckets_in_order(other) == at_once
        mongo.drop_database(other.name)


def test_a_time_past_year_9999_is_an_error_naming_its_batch_and_line(
        db: Any, tmp_path: Path) -> None:
    """DuckDB reads it as a time (so silver keeps it), but Python's datetime, which the
    driver and the embedded server decode into, stops at 9999: MongoDB cannot serve it."""
    from retail.errors import RetailError

    lines = [event("A1"), event("A2", ts="12024-03-01T10:00:00Z"), event("A3")]
    warehouse = ingest_events(tmp_path / "wh.duckdb", tmp_path / "batch-7", lines)
    with pytest.raises(RetailError, match=r"batch batch-7, line 2: the time 12024-03-01T10:00"
                                          r".*outside years 1-9999"):
        sync_events(db, warehouse)
    assert db.events.count_documents({}) == 0
