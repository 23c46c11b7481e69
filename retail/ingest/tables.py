"""The eight bronze tables: created when absent, checked when present, emptied per batch."""

from __future__ import annotations

import duckdb

from retail.errors import RetailError
from retail.ingest.layout import LAYOUT, METADATA_COLUMNS, WEB_EVENT_FIELDS, SourceFile
from retail.warehouse import table_columns


def ident(name: str) -> str:
    """A safely quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A safely quoted SQL string literal (for table-function arguments, which take no `?`)."""
    return "'" + text.replace("'", "''") + "'"


def qualified(source: SourceFile) -> str:
    return f"bronze.{ident(source.table)}"


def expected_columns(source: SourceFile) -> list[tuple[str, str]]:
    return [(name, "VARCHAR") for name in source.table_columns] + list(METADATA_COLUMNS)


#: Long, rarely read text compresses best (and is written ~2x faster) with ZSTD than with the
#: dictionary/FSST analysis DuckDB runs by default; short CSV fields do better with the default.
COMPRESSION = {"_raw_line": " using compression zstd"}

_EVENT_STRUCT = "{" + ", ".join(f'"{name}": "VARCHAR"' for name in WEB_EVENT_FIELDS) + "}"

#: Where web_events' rows are stored: the line and the load columns only (see `_event_view`).
EVENT_LINES = "bronze._web_event_lines"


def storage(source: SourceFile) -> str:
    """The table that holds `source`'s rows: what loads insert into and deletes delete from."""
    return EVENT_LINES if source.kind == "jsonl" else qualified(source)


def _event_view(source: SourceFile) -> str:
    """bronze.web_events: a view giving each stored line its fields as JSON text.

    Storing ten more text columns per event cost ~3x the time of storing the line itself
    (issue 12), while parsing on read is cheap: one `json_transform` per line and query,
    none at all for a query that reads only `_raw_line` and the load columns (DuckDB prunes
    the unused struct). It reads numbers, booleans and nested values as their JSON text, like
    `json_extract_string`; a line that is not JSON gives NULL fields (silver rejects it from
    `_raw_line`). `try_cast(... as json)` gave the same fields as `case when json_valid(...)`
    on every line of a scale-10 extract and odd cases, ~30% faster. Rows are deleted through
    `storage(source)`: a view takes no DELETE.
    """
    fields = ", ".join(f"_fields.{ident(name)} as {ident(name)}" for name in source.columns)
    kept = ", ".join(ident(name) for name in ("_raw_line", *(n for n, _ in METADATA_COLUMNS)))
    return (
        f"create or replace view {qualified(source)} as select {fields}, {kept} from ("
        f"select *, json_transform(try_cast(_raw_line as json), {literal(_EVENT_STRUCT)}) "
        f"as _fields from {EVENT_LINES})"
    )


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema and tables if absent; refuse a table whose columns differ from the contract.

    Every table always exists, so dbt sources resolve even when an optional file never came.
    """
    con.execute("create schema if not exists bronze")
    for source in LAYOUT:
        columns = expected_columns(source)
        body = ", ".join(
            f"{ident(name)} {kind}{COMPRESSION.get(name, '')}" for name, kind in columns
        )
        if source.kind == "jsonl":
            _ensure_event_lines(con, source)
        else:
            con.execute(f"create table if not exists {qualified(source)} ({body})")
        found = table_columns(con, "bronze", source.table)
        if [(name, kind.upper()) for name, kind in found] != [
            (name, _type_name(kind)) for name, kind in columns
        ]:
            raise RetailError(
                f"bronze.{source.table} exists with columns {[n for n, _ in found]}, which do not "
                f"match the bronze contract {[n for n, _ in columns]}; drop it and ingest again"
            )


def _ensure_event_lines(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    """The lines table and the view over it; a web_events TABLE of an earlier version (fields
    stored) moves its lines over, from which the view derives the same fields."""
    kept = ["_raw_line", *(name for name, _ in METADATA_COLUMNS)]
    body = ", ".join(
        f"{ident(name)} {kind}{COMPRESSION.get(name, '')}"
        for name, kind in (("_raw_line", "VARCHAR"), *METADATA_COLUMNS)
    )
    con.execute(f"create table if not exists {EVENT_LINES} ({body})")
    ((old_table,),) = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'bronze' "
        "and table_name = ? and table_type = 'BASE TABLE'",
        [source.table],
    ).fetchall()
    if old_table:
        found = {name for name, _ in table_columns(con, "bronze", source.table)}
        if not set(kept) <= found:
            raise RetailError(
                f"bronze.{source.table} exists with columns {sorted(found)}, which do not "
                f"match the bronze contract; drop it and ingest again"
            )
        columns = ", ".join(ident(name) for name in kept)
        con.execute(
            f"insert into {EVENT_LINES} ({columns}) select {columns} from {qualified(source)}"
        )
        con.execute(f"drop table {qualified(source)}")
    con.execute(_event_view(source))


def _type_name(kind: str) -> str:
    return "TIMESTAMP WITH TIME ZONE" if kind == "TIMESTAMPTZ" else kind


def delete_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """Remove the batch's rows from every table: re-ingesting a batch replaces it, never adds."""
    for source in LAYOUT:
        con.execute(f"delete from {storage(source)} where _batch_id = ?", [batch_id])


def count_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, int]:
    """Rows of `batch_id` in each bronze table."""
    return {
        source.table: con.execute(
            f"select count(*) from {storage(source)} where _batch_id = ?", [batch_id]
        ).fetchall()[0][0]
        for source in LAYOUT
    }
