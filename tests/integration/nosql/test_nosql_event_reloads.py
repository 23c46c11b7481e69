"""Re-loading an events file already in `events` is skipped, and only while that stays true."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from nosql_fixtures import event, write_events

from retail.nosql import load_events

COUNTERS = ("lines", "valid", "malformed", "missing_event_id", "unknown_event_type",
            "duplicate_event_id")


def _all(db: Any) -> list[dict[str, Any]]:
    return list(db.events.find({}, sort=[("_id", 1)]))


def _counters(result: Any) -> tuple[int, ...]:
    return tuple(getattr(result, name) for name in COUNTERS)


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    """3 valid events, one malformed line, one duplicate."""
    folder = tmp_path / "batch-a"
    write_events(folder, [event("a1", session_id="s1"), "{oops",
                          event("a2", "product_view", product_key="P1"),
                          event("a1", "purchase"), event("a3", "purchase", order_number="SO1")])
    return folder


def test_the_same_file_again_is_skipped_with_the_same_counters(db: Any, extract: Path) -> None:
    first = load_events(db, extract)
    before = _all(db)
    second = load_events(db, extract)
    assert (first.skipped, second.skipped) == (False, True)
    assert _counters(second) == _counters(first) == (5, 3, 1, 0, 0, 1)
    assert (second.inserted, second.already_present) == (0, 3)
    assert second.rejected() == first.rejected()
    assert _all(db) == before


def test_the_same_bytes_in_another_folder_are_skipped_and_change_nothing(
    db: Any, extract: Path, tmp_path: Path
) -> None:
    load_events(db, extract)
    before = _all(db)
    copy = tmp_path / "batch-copy"
    shutil.copytree(extract, copy)
    again = load_events(db, copy)
    assert again.skipped and again.file.startswith(str(copy))
    assert _all(db) == before  # the first load's documents stay, as a full re-load leaves them


def test_a_deleted_document_makes_the_next_load_full_and_restores_it(
    db: Any, extract: Path
) -> None:
    load_events(db, extract)
    before = _all(db)
    db.events.delete_one({"_id": "a2"})
    again = load_events(db, extract)
    assert not again.skipped and (again.inserted, again.already_present) == (1, 2)
    assert _all(db) == before


def test_a_dropped_collection_is_loaded_again(db: Any, extract: Path) -> None:
    load_events(db, extract)
    db.events.drop()
    again = load_events(db, extract)
    assert not again.skipped and again.inserted == 3
    assert {tuple(index["key"]) for index in db.events.list_indexes()} >= {("session_id",)}


def test_another_file_in_between_keeps_both_recorded(
    db: Any, extract: Path, tmp_path: Path
) -> None:
    other = tmp_path / "batch-b"
    write_events(other, [event("b1"), event("a1", "purchase")])
    load_events(db, extract)
    middle = load_events(db, other)
    assert not middle.skipped and (middle.inserted, middle.already_present) == (1, 1)
    assert load_events(db, extract).skipped and load_events(db, other).skipped
    assert len(_all(db)) == 4


def test_a_changed_file_is_loaded(db: Any, extract: Path) -> None:
    load_events(db, extract)
    path = extract / "source_web" / "events.jsonl"
    path.write_bytes(path.read_bytes() + b'{"event_id": "a4", "event_type": "page_view"}\n')
    again = load_events(db, extract)
    assert not again.skipped and (again.inserted, again.already_present) == (1, 3)


def test_skip_loaded_false_runs_the_full_reload(db: Any, extract: Path) -> None:
    load_events(db, extract)
    again = load_events(db, extract, skip_loaded=False)
    assert not again.skipped and (again.inserted, again.already_present) == (0, 3)
