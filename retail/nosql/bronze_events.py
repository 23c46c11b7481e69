"""The warehouse side of the events sync: which loads of web events bronze holds, and their lines.

A load is one ingest of one batch's `events.jsonl`: the rows of `bronze.web_events` sharing
(`_batch_id`, `_ingested_at`). Ingesting a batch again replaces its rows with a new load (a new
`_ingested_at`); another warehouse has other loads. Loads are ordered as silver orders batches:
by `_batch_seq` (the warehouse's ingestion sequence, kept when a batch is ingested again), then
by time. Bronze keeps every line of the file as `_raw_line` (blank lines excepted), numbered by
`_source_row`, so MongoDB can parse exactly the lines silver types.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail.nosql.gold_io import GoldNotBuiltError, existing_tables
from retail.warehouse import table_columns

TABLE = "bronze.web_events"


@dataclass(frozen=True)
class Load:
    """One load of one batch's events: what MongoDB's ledger records and compares."""

    batch_id: str
    batch_seq: int | None
    ingested_at_us: int  # `_ingested_at` in microseconds since the epoch: exact, comparable
    rows: int

    def key(self) -> tuple[str, int | None, int]:
        """What identifies the load (the row count follows from it)."""
        return (self.batch_id, self.batch_seq, self.ingested_at_us)


def _columns(con: Any) -> set[str]:
    return {name for name, _ in table_columns(con, "bronze", "web_events")}


def warehouse_loads(con: Any, duckdb_path: Path) -> list[Load]:
    """The loads `bronze.web_events` holds, in batch order (empty: no web events at all)."""
    if "web_events" not in existing_tables(con, "bronze"):
        raise GoldNotBuiltError(
            f"{duckdb_path}: bronze.web_events missing; ingest an extract first (retail ingest)")
    # a warehouse from before `_batch_seq` orders its batches by ingestion time alone
    seq = "min(_batch_seq)" if "_batch_seq" in _columns(con) else "null::bigint"
    rows = con.execute(f"""
        select _batch_id, {seq} as batch_seq, epoch_us(_ingested_at) as ingested_at_us,
            count(*) as rows
        from {TABLE}
        group by _batch_id, _ingested_at
        order by batch_seq nulls last, ingested_at_us, _batch_id
    """).fetchall()
    return [Load(batch_id, seq_value, int(at), int(count))
            for batch_id, seq_value, at, count in rows]


def load_lines(con: Any, load: Load, chunk_rows: int) -> Iterator[list[tuple[int, str]]]:
    """The load's (`_source_row`, `_raw_line`) pairs in line order, `chunk_rows` at a time."""
    result = con.execute(
        f"select _source_row, _raw_line from {TABLE} "
        "where _batch_id = ? and epoch_us(_ingested_at) = ? order by _source_row",
        [load.batch_id, load.ingested_at_us],
    )
    while chunk := result.fetchmany(chunk_rows):
        yield chunk
