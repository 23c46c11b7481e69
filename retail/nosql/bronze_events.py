"""The warehouse side of the events sync: which loads of web events bronze holds, and their events.

A load is one ingest of one batch's `events.jsonl`: the rows of `bronze.web_events` sharing
(`_batch_id`, `_ingested_at`). Ingesting a batch again replaces its rows with a new load (a new
`_ingested_at`); another warehouse has other loads. Loads are ordered as silver orders batches:
by `_batch_seq` (the warehouse's ingestion sequence, kept when a batch is ingested again), then
by time. Bronze keeps every line of the file (blank lines excepted), numbered by `_source_row`,
with its fields extracted as text.

The lines are typed HERE, in DuckDB, with silver's expressions (`base_web__events`: `clean_text`,
`parse_integer`, `try_cast(... as timestamptz)`, the rejection reasons), not re-parsed in
Python: the same engine gives the same values by construction, and it is ~30x faster than
`json.loads` per line (which was the largest client-side cost of a sync).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail.nosql.gold_io import GoldNotBuiltError, existing_tables
from retail.warehouse import table_columns

TABLE = "bronze.web_events"
EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout_start", "payment_attempt",
               "purchase")  # the seed web_event_types
TEXT_FIELDS = ("session_id", "product_key", "order_number", "device", "page_url")
# the columns of a typed line, in `typed_lines` order
TYPED_COLUMNS = ("source_line", "rejection", "_id", *TEXT_FIELDS, "event_type", "payment_status",
                 "customer_id", "ts")


def _clean(column: str) -> str:
    """Silver's `clean_text`: trimmed (spaces only), NULL when blank."""
    return f"nullif(trim({column}), '')"


_TYPED_SQL = f"""
    select
        _source_row,
        case
            when event_id is null and starts_with(_raw_line, chr(1) || 'truncated: line of ')
                then 'malformed'
            when event_id is null and not coalesce(json_valid(_raw_line), false)
                then 'malformed'
            when {_clean("event_id")} is null then 'missing_event_id'
            when lower({_clean("event_type")}) not in ({", ".join(f"'{t}'" for t in EVENT_TYPES)})
                then 'unknown_event_type'
        end as rejection,
        {_clean("event_id")} as event_id,
        {", ".join(f"{_clean(name)} as {name}" for name in TEXT_FIELDS)},
        lower({_clean("event_type")}) as event_type,
        lower({_clean("payment_status")}) as payment_status,
        try_cast({_clean("customer_id")} as integer) as customer_id,
        try_cast({_clean("ts")} as timestamptz) as ts,
        event_type as raw_event_type
    from {TABLE}
    where _batch_id = ? and epoch_us(_ingested_at) = ?
    order by _source_row
"""


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


def typed_lines(con: Any, load: Load, chunk_rows: int) -> Iterator[list[tuple[Any, ...]]]:
    """The load's lines typed by silver's rules, in line order, `chunk_rows` at a time.

    Each row: the `TYPED_COLUMNS` (source line, rejection kind or None, then the document's
    fields), then the raw event type (for the message of an unknown one). `con` must use the
    UTC time zone (`gold_io.read_only`) so naive timestamps read as UTC, as in silver.
    """
    result = con.execute(_TYPED_SQL, [load.batch_id, load.ingested_at_us])
    while chunk := result.fetchmany(chunk_rows):
        yield chunk
