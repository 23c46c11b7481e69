"""The warehouse side of the events sync: which loads of web events bronze holds, and their events.

A load is one ingest of one batch's `events.jsonl`: the rows of `bronze.web_events` sharing
(`_batch_id`, `_ingested_at`). Ingesting a batch again replaces its rows with a new load (a new
`_ingested_at`); another warehouse has other loads. Loads are ordered as silver orders batches:
by `_batch_seq` (the warehouse's ingestion sequence, kept when a batch is ingested again), then
by time. Bronze keeps every line of the file (blank lines excepted), numbered by `_source_row`,
with its fields extracted as text.

The lines are typed and deduplicated HERE, in DuckDB, with silver's expressions
(`base_web__events`: `clean_text`, `parse_integer`, `try_cast(... as timestamptz)`, the
rejection reasons and the first copy of an event_id), not re-parsed in Python:
the same engine gives the same values by construction, and it is ~30x faster than
`json.loads` per line (which was the largest client-side cost of a sync).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail.nosql.gold_io import GoldNotBuiltError, existing_tables
from retail.warehouse import table_columns

TABLE = "bronze.web_events"
EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout_start", "payment_attempt",
               "purchase")  # the seed web_event_types
TEXT_FIELDS = ("session_id", "product_key", "order_number", "device", "page_url")


def _clean(column: str) -> str:
    """Silver's `clean_text`: trimmed (spaces only), NULL when blank."""
    return f"nullif(trim({column}), '')"


_TYPED_SQL = f"""
    select
        loads.ordinal,
        lines._source_row as source_line,
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
        lines.event_type as raw_event_type
    from {TABLE} as lines
    join loads on loads.batch_id = lines._batch_id
        and loads.ingested_at_us = epoch_us(lines._ingested_at)
"""
# every line of every load, typed; a valid line that is not the first valid copy of its
# event_id (in load order, then line order: silver's `_batch_seq, _source_row`) is a duplicate
_STAGED_SQL = f"""
    create or replace temp table {{table}} as
    with
    loads as (
        select unnest(?::varchar[]) as batch_id, unnest(?::bigint[]) as ingested_at_us,
            unnest(?::integer[]) as ordinal
    ),
    typed as ({_TYPED_SQL}),
    ranked as (
        select *,
            row_number() over (
                partition by event_id, rejection is null order by ordinal, source_line
            ) as copy_rank
        from typed
    )
    select * exclude (copy_rank, rejection),
        case when rejection is null and copy_rank > 1 then 'duplicate_event_id'
            else rejection end as rejection
    from ranked
    where ordinal >= ?
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


STAGED = "retail_events_to_load"


def stage_lines(con: Any, loads: list[Load], first: int) -> str:
    """Type every line of `loads` (all the warehouse holds, in batch order) and keep, in temp
    table `STAGED`, those of `loads[first:]` with their load's index as `ordinal`.

    Its `rejection` is silver's reason kind, or 'duplicate_event_id' for a valid line whose
    event_id has an earlier valid copy in ANY load (the kept loads' documents hold those), or
    NULL: the line is the first valid copy, a row of `stg_web__events`, to be inserted. So
    a sync needs no lookup in MongoDB to deduplicate. `con` must use the UTC time zone
    (`gold_io.read_only`) so naive timestamps read as UTC, as in silver.
    """
    con.execute(_STAGED_SQL.format(table=STAGED), [
        [load.batch_id for load in loads], [load.ingested_at_us for load in loads],
        list(range(len(loads))), first])
    return STAGED


# a valid staged line, as `valid_lines` yields it
VALID_COLUMNS = ("ordinal", "source_line", "event_id", *TEXT_FIELDS, "event_type",
                 "payment_status", "customer_id", "ts")
# the fields of an event sub-document, in order
EVENT_FIELDS = (*(name for name in VALID_COLUMNS[2:] if name != "session_id"), "source_line")


def line_counts(con: Any) -> dict[tuple[int, str | None], int]:
    """Staged lines per (load ordinal, rejection kind or None for a line to insert)."""
    rows = con.execute(f"select ordinal, rejection, count(*) from {STAGED} group by all")
    return {(ordinal, kind): count for ordinal, kind, count in rows.fetchall()}


def first_problems(con: Any, limit: int) -> list[tuple[Any, ...]]:
    """The first rejected staged lines in load then line order: (ordinal, line, kind,
    event_id, raw event type)."""
    return con.execute(f"""
        select ordinal, source_line, rejection, event_id, raw_event_type from {STAGED}
        where rejection is not null order by ordinal, source_line limit {int(limit)}
    """).fetchall()


def valid_lines(con: Any, rows: int) -> Any:
    """The lines to insert (`VALID_COLUMNS`), by load, then session (no session first), then
    time (none last), then line: the order of the bucket documents and of their events. An
    Arrow record batch reader of about `rows` lines per batch."""
    return con.sql(f"""
        select {", ".join(VALID_COLUMNS)} from {STAGED} where rejection is null
        order by ordinal, session_id nulls first, ts nulls last, source_line
    """).to_arrow_reader(rows)
