"""MongoDB follows the warehouse through a user's week (issue 10.4), on real dbt builds.

After every step (ingest, `dbt build`, then the nosql layer as the Dagster asset runs it):
`events` holds exactly the rows of dbt's `stg_web__events` (field by field), as many as
`gold.fct_web_events`, `customer_profiles` one per `gold.dim_customers` row, and
`check_against_dbt` passes. Expectations are read from the dbt models, never from MongoDB.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import event_document, event_documents

from retail.dbt import run_dbt
from retail.ingest import ingest_extract
from retail.nosql import (
    build_customer_profiles,
    check_against_dbt,
    run_aggregations,
    sync_events,
)
from retail.settings import Settings

pytestmark = pytest.mark.dbt

FIELDS = ("session_id", "customer_id", "event_type", "product_key", "order_number",
          "payment_status", "device", "page_url", "batch_id")


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(query).fetchall()


def _dbt_events(path: Path) -> dict[str, tuple[Any, ...]]:
    rows = _sql(path, """
        select event_id, session_id, customer_id, event_type, product_number, order_number,
            payment_status, device, page_url, _batch_id, epoch_ms(event_at)
        from silver.stg_web__events""")
    return {row[0]: row[1:] for row in rows}


def _mongo_events(db: Any) -> dict[str, tuple[Any, ...]]:
    return {doc["_id"]: (*(doc[name] for name in FIELDS),
                         int(doc["ts"].timestamp() * 1000) if doc["ts"] else None)
            for doc in event_documents(db)}


def _step(db: Any, settings: Settings) -> dict[str, tuple[Any, ...]]:
    """dbt build, then the nosql layer; asserts MongoDB mirrors the warehouse. Returns events."""
    # dbt's unit tests check model logic on fixtures, not this warehouse: left to tests/dbt
    run_dbt(["build", "--exclude", "test_type:unit"], settings,
            target_path=settings.duckdb_path.parent / "dbt-target")
    sync_events(db, settings.duckdb_path)
    build_customer_profiles(db, settings.duckdb_path)
    run_aggregations(db, settings.duckdb_path)
    path = settings.duckdb_path
    expected = _dbt_events(path)
    assert _mongo_events(db) == expected
    ((fct_events,),) = _sql(path, "select count(*) from gold.fct_web_events")
    assert len(event_documents(db)) == fct_events == len(expected)
    ((customers,),) = _sql(path, "select count(*) from gold.dim_customers")
    assert db.customer_profiles.count_documents({}) == customers
    report = check_against_dbt(db, path)
    assert report.passed, report.mismatches
    return expected


def _event_lines(extract: Path) -> list[str]:
    return (extract / "source_web" / "events.jsonl").read_text().splitlines()


def _set_event_lines(extract: Path, lines: list[str]) -> None:
    (extract / "source_web" / "events.jsonl").write_text("".join(f"{line}\n" for line in lines))


def _first_valid(lines: list[str]) -> dict[str, Any]:
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event_type") == "page_view":
            return record
    raise AssertionError("no valid page_view in the extract")


@pytest.fixture(scope="module")
def week(tiny_extract: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """batch-1 (the tiny extract) and batch-2 (its follow-on week, plus awkward lines)."""
    from generators import generate_followon

    root = tmp_path_factory.mktemp("week")
    first = root / "batch-1"
    shutil.copytree(tiny_extract.path, first)
    second = root / "batch-2"
    generate_followon(first, 7, second, progress=False)
    repeated = {**_first_valid(_event_lines(first)), "page_url": "/a-later-copy"}
    awkward = [
        json.dumps(repeated),  # repeats an event of batch-1: batch-1's copy is kept
        '{"event_id": "dup-key", "event_id": "other", "event_type": "page_view",'
        ' "session_id": "s-awk"}',
        '{"event_id": "nested", "event_type": "page_view", "session_id": {"s": 1}}',
        '{"event_id": "  spaced ", "event_type": " Page_View ", "customer_id": "12.5",'
        ' "session_id": "\\ts-tab"}',
        '{"event_id": "hex", "event_type": "page_view", "customer_id": "0x1F",'
        ' "session_id": "s-awk", "ts": "2024-05-01 10:00:00"}',
    ]
    _set_event_lines(second, _event_lines(second) + awkward)
    return {"first": first, "second": second, "repeated_id": repeated["event_id"]}


def test_a_week_of_batches(db: Any, week: dict[str, Any], tmp_path: Path) -> None:
    settings = Settings.rooted_at(tmp_path / "wh")
    ingest_extract(week["first"], settings.duckdb_path, progress=False)
    first = _step(db, settings)
    assert first

    ingest_extract(week["second"], settings.duckdb_path, progress=False)
    both = _step(db, settings)
    assert len(both) > len(first)
    assert event_document(db, week["repeated_id"])["batch_id"] == "batch-1"
    assert event_document(db, "dup-key")["batch_id"] == "batch-2"

    # batch-2 corrected: ingested again with half of its events
    lines = _event_lines(week["second"])
    corrected = tmp_path / "corrected" / "batch-2"
    shutil.copytree(week["second"], corrected)
    _set_event_lines(corrected, lines[: len(lines) // 2])
    ingest_extract(corrected, settings.duckdb_path, progress=False)
    fewer = _step(db, settings)
    assert len(first) < len(fewer) < len(both)

    # nothing changed: nothing is sent again
    assert sync_events(db, settings.duckdb_path).unchanged

    # batch-2 removed by hand from every bronze table
    with duckdb.connect(str(settings.duckdb_path)) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.columns where table_schema = 'bronze'"
            " and column_name = '_batch_id' and table_name in (select table_name from"
            " information_schema.tables where table_type = 'BASE TABLE')").fetchall()]
        for table in tables:
            con.execute(f'delete from bronze."{table}" where _batch_id = ?', ["batch-2"])
    assert _step(db, settings) == first


def test_switching_warehouses(db: Any, built_warehouse: Any, tiny_extract: Any,
                              tmp_path: Path) -> None:
    """The demo warehouse, then a user's extract without web events in a new warehouse, then
    the demo again: MongoDB holds one warehouse's events at a time."""
    demo = Settings.rooted_at(tmp_path / "demo")
    demo.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(built_warehouse.duckdb_path, demo.duckdb_path)
    assert _step(db, demo)

    no_web = tmp_path / "erp" / "batch-2024-06"
    shutil.copytree(tiny_extract.path, no_web)
    shutil.rmtree(no_web / "source_web")
    mine = Settings.rooted_at(tmp_path / "mine")
    ingest_extract(no_web, mine.duckdb_path, progress=False)
    assert _step(db, mine) == {}
    assert db.events.count_documents({}) == 0

    assert _step(db, demo)
