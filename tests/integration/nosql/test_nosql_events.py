"""Loading web events from hand-made JSONL: validity rules, idempotency, bad lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from nosql_fixtures import event, write_events

from retail.errors import BadInputError
from retail.nosql import load_events


def _all(db: Any) -> list[dict[str, Any]]:
    return list(db.events.find({}, sort=[("_id", 1)]))


@pytest.fixture
def mixed_extract(tmp_path: Path) -> Path:
    """4 valid events and lines of every rejected kind (counts known by construction)."""
    extract = tmp_path / "batch-0001"
    write_events(extract, [
        event("e1", session_id="s1", customer_id=11000, ts="2024-03-01T12:30:00+02:00"),
        '{"event_id": "broken", "event_type": "page_view"',  # truncated: malformed
        event("e2", "product_view", session_id=" s1 ", product_key="BK-R93R-62"),
        b"\xff\xfe not utf-8 \x00",  # malformed
        "[1, 2, 3]",  # valid JSON but no fields: no event_id
        event("", "page_view"),  # blank event_id
        event("e3", "teleport"),  # unknown event type
        event("e1", "purchase", order_number="SO1"),  # duplicate of e1: the first copy is kept
        event("e4", " PAYMENT_ATTEMPT ", payment_status="FAILED", customer_id="11001"),
        event("e5", "purchase", order_number="SO9", customer_id="not a number", ts="garbage"),
        "",  # blank line: malformed
    ])
    return extract


def test_counts_match_the_silver_rules(db: Any, mixed_extract: Path) -> None:
    result = load_events(db, mixed_extract)
    assert (result.lines, result.valid, result.inserted) == (11, 4, 4)
    assert (result.malformed, result.missing_event_id, result.unknown_event_type,
            result.duplicate_event_id) == (3, 2, 1, 1)
    assert result.rejected() == result.lines - result.valid
    assert [doc["_id"] for doc in _all(db)] == ["e1", "e2", "e4", "e5"]


def test_documents_are_typed_and_cleaned(db: Any, mixed_extract: Path) -> None:
    load_events(db, mixed_extract)
    e1 = db.events.find_one({"_id": "e1"})
    assert e1["event_type"] == "page_view"  # the first copy, not the later purchase
    assert e1["customer_id"] == 11000
    assert e1["ts"].replace(tzinfo=dt.UTC) == dt.datetime(2024, 3, 1, 10, 30, tzinfo=dt.UTC)
    assert e1["source_line"] == 1 and e1["batch_id"] == "batch-0001"
    e2 = db.events.find_one({"_id": "e2"})
    assert (e2["session_id"], e2["product_key"]) == ("s1", "BK-R93R-62")
    e4 = db.events.find_one({"_id": "e4"})
    assert (e4["event_type"], e4["payment_status"], e4["customer_id"]) == (
        "payment_attempt", "failed", 11001)
    e5 = db.events.find_one({"_id": "e5"})
    assert e5["customer_id"] is None and e5["ts"] is None  # kept, as silver keeps it


@pytest.mark.parametrize(("first_mode", "second_mode"),
                         [("insert", "insert"), ("upsert", "upsert"), ("insert", "upsert")])
def test_loading_twice_leaves_the_same_documents(
    db: Any, mixed_extract: Path, first_mode: str, second_mode: str
) -> None:
    first = load_events(db, mixed_extract, batch_size=2, mode=first_mode)
    before = _all(db)
    second = load_events(db, mixed_extract, batch_size=1000, mode=second_mode,
                         skip_loaded=False)  # the full re-load path, not the ledger's skip
    assert not second.skipped
    assert _all(db) == before
    assert (second.inserted, second.already_present) == (0, first.valid)
    assert second.rejected() == first.rejected()


def test_batch_size_and_mode_do_not_change_the_result(
    db: Any, mixed_extract: Path, mongo: Any
) -> None:
    load_events(db, mixed_extract, batch_size=1)
    other = mongo[f"{db.name}_b"]
    try:
        load_events(other, mixed_extract, batch_size=3, mode="upsert")
        assert _all(other) == _all(db)
    finally:
        mongo.drop_database(other.name)


def test_indexes_exist(db: Any, mixed_extract: Path) -> None:
    load_events(db, mixed_extract)
    keys = {tuple(index["key"].keys()) for index in db.events.list_indexes()}
    for field in ("session_id", "customer_id", "ts", "product_key"):
        assert (field,) in keys


def test_a_mostly_broken_file_keeps_every_good_event(db: Any, tmp_path: Path) -> None:
    good = [event(f"g{n}", "product_view", product_key=f"P{n % 3}") for n in range(50)]
    junk: list[Any] = ["{", "null", '{"event_id": 5', b"\x80\x81", "}{", "not json at all"]
    lines: list[Any] = []
    for index, record in enumerate(good):
        lines.append(record)
        lines.append(junk[index % len(junk)])
    extract = tmp_path / "batch-junk"
    write_events(extract, lines)
    result = load_events(db, extract, batch_size=7)
    assert result.valid == 50 and result.rejected() == 50
    assert db.events.count_documents({}) == 50
    assert {doc["_id"] for doc in db.events.find({}, {"_id": 1})} == {f"g{n}" for n in range(50)}


def test_extract_without_events_file_loads_nothing(db: Any, tmp_path: Path) -> None:
    (tmp_path / "batch-empty").mkdir()
    result = load_events(db, tmp_path / "batch-empty")
    assert not result.file_present and result.lines == 0
    assert db.events.count_documents({}) == 0


def test_a_later_batch_repeating_an_event_keeps_the_first_copy(db: Any, tmp_path: Path) -> None:
    write_events(tmp_path / "batch-1", [event("e1", "page_view", page_url="/first")])
    write_events(tmp_path / "batch-2", [event("e1", "page_view", page_url="/second"),
                                        event("e2", "page_view")])
    load_events(db, tmp_path / "batch-1")
    second = load_events(db, tmp_path / "batch-2")
    assert (second.inserted, second.already_present) == (1, 1)
    assert db.events.find_one({"_id": "e1"})["page_url"] == "/first"


def test_missing_extract_folder_is_bad_input(db: Any, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="extract folder not found"):
        load_events(db, tmp_path / "nope")
