"""bronze.web_events is a view over the stored lines: old warehouses move over, deletes work.

Issue 12: only `_raw_line` and the load columns are stored (bronze._web_event_lines); the view
parses the fields when read. A warehouse written by the earlier version (web_events a table
with the fields stored) must keep its rows, and its fields must read the same after the move.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from ingest_fixtures import GOOD_EXTRACT, bronze_rows, write_extract

from retail.ingest import ingest_extract
from retail.ingest.layout import METADATA_COLUMNS, WEB_EVENT_FIELDS

OLD_LINES = [
    '{"event_id":"old-1","event_type":"page_view","customer_id":7,"ts":"2024-01-01T00:00:00Z"}',
    "not json at all",
]


def _old_warehouse(path: Path) -> None:
    """bronze as the earlier version wrote it: web_events a TABLE with every field stored."""
    body = ", ".join(
        [f"{name} varchar" for name in (*WEB_EVENT_FIELDS, "_raw_line")]
        + [f"{name} {kind}" for name, kind in METADATA_COLUMNS]
    )
    with duckdb.connect(str(path)) as con:
        con.execute("create schema bronze")
        con.execute(f"create table bronze.web_events ({body})")
        for number, line in enumerate(OLD_LINES, start=1):
            con.execute(
                "insert into bronze.web_events (event_id, _raw_line, _batch_id, _batch_seq, "
                "_source_file, _source_row, _ingested_at) values (?, ?, 'old', 1, "
                "'source_web/events.jsonl', ?, now())",
                [json.loads(line)["event_id"] if line.startswith("{") else None, line, number],
            )


def test_an_earlier_web_events_table_keeps_its_rows_and_fields(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    _old_warehouse(db)
    with duckdb.connect(str(db)) as con:  # the earlier version's register, so the batch joins
        con.execute(  # as that version wrote it: no files_digest yet
            "create table bronze._batches (batch_id varchar, batch_seq bigint, source varchar, "
            "raw_dir varchar, first_ingested_at timestamptz, ingested_at timestamptz, "
            "total_rows bigint, table_rows map(varchar, bigint), primary key (batch_id))"
        )
        con.execute(
            "insert into bronze._batches values ('old', 1, 'extract', '/x', now(), now(), 2, "
            "map(['web_events'], [2]))"
        )
    extract = write_extract(tmp_path / "batch-a", GOOD_EXTRACT)
    ingest_extract(extract, db, source="extract")
    with duckdb.connect(str(db), read_only=True) as con:  # the register gained the column
        digests = dict(con.execute(
            "select batch_id, files_digest from bronze._batches").fetchall())
    assert digests["old"] is None and digests["batch-a"].startswith("sha256:")
    columns = ["event_id", "customer_id", "_raw_line", "_source_row"]
    old = bronze_rows(db, "web_events", columns, "old")
    assert old == [("old-1", "7", OLD_LINES[0], 1), (None, None, OLD_LINES[1], 2)]
    new = bronze_rows(db, "web_events", ["_raw_line"], "batch-a")
    assert [line for (line,) in new] == [
        line for line in GOOD_EXTRACT["source_web/events.jsonl"].splitlines() if line
    ]
    with duckdb.connect(str(db), read_only=True) as con:
        ((kind,),) = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = 'bronze' and table_name = 'web_events'"
        ).fetchall()
    assert kind == "VIEW"


def test_a_batch_deleted_from_the_lines_leaves_the_view(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    ingest_extract(write_extract(tmp_path / "batch-a", GOOD_EXTRACT), db)
    ingest_extract(write_extract(tmp_path / "batch-b", GOOD_EXTRACT), db)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from bronze._web_event_lines where _batch_id = 'batch-a'")
        batches_left = con.execute("select distinct _batch_id from bronze.web_events").fetchall()
    assert batches_left == [("batch-b",)]
