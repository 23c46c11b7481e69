"""The eight bronze tables: created when absent, checked when present, emptied per batch."""

from __future__ import annotations

import duckdb

from retail.errors import RetailError
from retail.ingest.layout import LAYOUT, METADATA_COLUMNS, SourceFile
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
        con.execute(f"create table if not exists {qualified(source)} ({body})")
        found = table_columns(con, "bronze", source.table)
        if [(name, kind.upper()) for name, kind in found] != [
            (name, _type_name(kind)) for name, kind in columns
        ]:
            raise RetailError(
                f"bronze.{source.table} exists with columns {[n for n, _ in found]}, which do not "
                f"match the bronze contract {[n for n, _ in columns]}; drop it and ingest again"
            )


def _type_name(kind: str) -> str:
    return "TIMESTAMP WITH TIME ZONE" if kind == "TIMESTAMPTZ" else kind


def delete_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """Remove the batch's rows from every table: re-ingesting a batch replaces it, never adds."""
    for source in LAYOUT:
        con.execute(f"delete from {qualified(source)} where _batch_id = ?", [batch_id])


def count_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, int]:
    """Rows of `batch_id` in each bronze table."""
    return {
        source.table: con.execute(
            f"select count(*) from {qualified(source)} where _batch_id = ?", [batch_id]
        ).fetchall()[0][0]
        for source in LAYOUT
    }
