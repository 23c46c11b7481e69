"""Materialization metadata read from the warehouse: row counts, schema, a markdown preview."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from retail.warehouse import schema_tables, table_columns

PREVIEW_ROWS = 5


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:60]


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return name in schema_tables(con, schema)


def table_metadata(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, preview_rows: int = PREVIEW_ROWS
) -> dict[str, Any]:
    """Row count, column schema and the first rows of `schema.name` as Dagster metadata."""
    columns = table_columns(con, schema, name)
    relation = f'"{schema}"."{name}"'
    ((count,),) = con.execute(f"select count(*) from {relation}").fetchall()
    preview = con.execute(f"select * from {relation} limit {int(preview_rows)}").fetchall()
    return {
        "dagster/row_count": dg.MetadataValue.int(int(count)),
        "dagster/table_name": f"{schema}.{name}",
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=col, type=str(typ)) for col, typ in columns]
        ),
        "preview": dg.MetadataValue.md(markdown_table([c for c, _ in columns], preview)),
    }


def file_metadata(path: Path) -> dict[str, Any]:
    return {
        "path": dg.MetadataValue.path(str(path)),
        "size_bytes": dg.MetadataValue.int(path.stat().st_size if path.exists() else 0),
    }


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
