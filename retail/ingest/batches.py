"""`bronze._batches`: the warehouse's register of ingested batches, and their order.

Batches are ordered by when they were FIRST ingested into this warehouse, never by the spelling
of their ids ("batch-10" sorts before "batch-9"). The register gives each new batch id the next
sequence number (1, 2, ...); a batch ingested again keeps its number, so a corrected re-ingest
keeps its place in time. Every bronze row carries its batch's number as `_batch_seq`, and the
incremental models compare batches by it. The register row is written in the same transaction
as the batch's rows, so the two never disagree. It also keeps the digest of the files the batch
was last loaded from (`files_digest`, fingerprint.py): a batch ingested again from the same
files is not loaded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from retail.warehouse import schema_tables, table_columns

REGISTRY = "bronze._batches"

#: Columns of `bronze._batches`, in table order.
REGISTRY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "VARCHAR"),
    ("batch_seq", "BIGINT"),
    ("source", "VARCHAR"),
    ("raw_dir", "VARCHAR"),
    ("first_ingested_at", "TIMESTAMPTZ"),
    ("ingested_at", "TIMESTAMPTZ"),
    ("total_rows", "BIGINT"),
    ("table_rows", "MAP(VARCHAR, BIGINT)"),
    ("files_digest", "VARCHAR"),  # NULL for a batch loaded before digests were kept
)


@dataclass(frozen=True)
class BatchRecord:
    """One row of the register."""

    batch_id: str
    batch_seq: int
    source: str


@dataclass(frozen=True)
class LastLoad:
    """What the register says of a batch's last load: enough to report it without loading."""

    batch_seq: int
    source: str
    ingested_at: str  # ISO 8601, UTC
    files_digest: str | None
    table_rows: dict[str, int]


def has_registry(con: duckdb.DuckDBPyConnection) -> bool:
    return "_batches" in schema_tables(con, "bronze")


def ensure_registry(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists bronze")
    body = ", ".join(f"{name} {kind}" for name, kind in REGISTRY_COLUMNS)
    con.execute(f"create table if not exists {REGISTRY} ({body}, primary key (batch_id))")
    # a register written before a column existed gets it (NULL for its batches)
    present = {name for name, _ in table_columns(con, "bronze", "_batches")}
    for name, kind in REGISTRY_COLUMNS:
        if name not in present:
            con.execute(f"alter table {REGISTRY} add column {name} {kind}")


def registered(con: duckdb.DuckDBPyConnection) -> list[BatchRecord]:
    """Every registered batch, in batch order (empty when the warehouse has no register)."""
    if not has_registry(con):
        return []
    rows = con.execute(
        f"select batch_id, batch_seq, source from {REGISTRY} order by batch_seq"
    ).fetchall()
    return [BatchRecord(batch_id, seq, source) for batch_id, seq, source in rows]


def sequence_for(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """The batch's number: its own when it was ingested before, else the next one."""
    known = con.execute(
        f"select batch_seq from {REGISTRY} where batch_id = ?", [batch_id]
    ).fetchall()  # fetchall: a SELECT read to its end leaves no result open on `con`
    if known:
        return int(known[0][0])
    ((last,),) = con.execute(f"select coalesce(max(batch_seq), 0) from {REGISTRY}").fetchall()
    return int(last) + 1


def last_load(con: duckdb.DuckDBPyConnection, batch_id: str) -> LastLoad | None:
    """The batch's last load as registered, or None for a batch this warehouse does not hold."""
    if not has_registry(con):
        return None
    cursor = con.execute(
        f"select *, strftime(ingested_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S UTC') as at_utc "
        f"from {REGISTRY} where batch_id = ?", [batch_id])
    names = [column[0] for column in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return None
    row = dict(zip(names, rows[0], strict=True))
    return LastLoad(int(row["batch_seq"]), row["source"], row["at_utc"],
                    row.get("files_digest"),  # absent from a register written before digests
                    {k: int(v) for k, v in (row["table_rows"] or {}).items()})


def record_batch(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    batch_seq: int,
    source: str,
    raw_dir: Path,
    rows: dict[str, int],
    files_digest: str,
) -> None:
    """Insert or update the batch's register row (first_ingested_at is kept on re-ingest)."""
    con.execute(
        f"""
        insert into {REGISTRY} (batch_id, batch_seq, source, raw_dir, first_ingested_at,
            ingested_at, total_rows, table_rows, files_digest)
        values (?, ?, ?, ?, now(), now(), ?, map(?::varchar[], ?::bigint[]), ?)
        on conflict (batch_id) do update set
            source = excluded.source, raw_dir = excluded.raw_dir,
            ingested_at = excluded.ingested_at, total_rows = excluded.total_rows,
            table_rows = excluded.table_rows, files_digest = excluded.files_digest
        """,
        [
            batch_id,
            batch_seq,
            source,
            str(raw_dir),
            sum(rows.values()),
            list(rows),
            list(rows.values()),
            files_digest,
        ],
    )
