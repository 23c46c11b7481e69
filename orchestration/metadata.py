"""Materialization metadata: a table's description (orchestration/describe.py: row count,
schema, a readable preview) and headline figures (orchestration/kpis.py) as Dagster values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.describe import PREVIEW_ROWS, describe_table


def table_metadata(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, preview_rows: int = PREVIEW_ROWS,
    columns: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Row count, column schema and the first rows of `schema.name` as Dagster metadata
    (`columns`: its (name, type) columns when the caller has read them already)."""
    return description_metadata(describe_table(con, schema, name, preview_rows, columns))


def description_metadata(description: dict[str, Any]) -> dict[str, Any]:
    """`describe_table`'s description as Dagster metadata."""
    return {
        "dagster/row_count": dg.MetadataValue.int(int(description["row_count"])),
        "dagster/table_name": description["table_name"],
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=col, type=typ) for col, typ in description["columns"]]
        ),
        "preview": dg.MetadataValue.md(description["preview"]),
    }


def headline_metadata(entry: dict[str, Any] | None, model: str, log: Any | None = None
                      ) -> dict[str, Any]:
    """A headline entry (orchestration/kpis.py `headline_entry`) as metadata: its figures;
    none when the model has no headline, or when it failed (reported as a warning: a model
    changed shape, and the run goes on)."""
    if entry is None:
        return {}
    if "error" in entry:
        if log is not None:
            log.warning(f"headline figures for {model} unavailable: {entry['error']}")
        return {}
    return {
        name: dg.MetadataValue.float(value) if isinstance(value, float)
        else dg.MetadataValue.int(value)
        for name, value in entry["figures"].items()
    }


def file_metadata(path: Path) -> dict[str, Any]:
    return {
        "path": dg.MetadataValue.path(str(path)),
        "size_bytes": dg.MetadataValue.int(path.stat().st_size if path.exists() else 0),
    }


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
