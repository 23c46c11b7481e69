"""Power BI exports: one CSV per gold table plus manifest.json, never half-written.

Every CSV is first written under a temporary name in the target folder; only when all tables
are written are they renamed into place (an atomic rename per file), and manifest.json goes last.
Formats are chosen for Power BI's CSV connector: UTF-8, header row, comma separator, ISO dates,
ISO 8601 UTC timestamps, '.' decimals, booleans as true/false; columns keep the table's order and
rows are sorted so that the same warehouse always gives byte-identical files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from retail.errors import RetailError
from retail.warehouse import connect, schema_tables, table_columns

MANIFEST = "manifest.json"
SCHEMA = "gold"


@dataclass(frozen=True)
class ExportedTable:
    table: str
    file: str
    rows: int
    bytes: int
    columns: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    tables: list[ExportedTable]
    exported_at: str

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / MANIFEST


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_expression(name: str, data_type: str) -> str:
    """How one column is written: text formats Power BI reads without locale surprises."""
    col = _quote(name)
    kind = data_type.upper()
    if kind == "DATE":
        return f"strftime({col}, '%Y-%m-%d') as {col}"
    if kind in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"strftime(timezone('UTC', {col}), '%Y-%m-%dT%H:%M:%SZ') as {col}"
    if kind.startswith("TIMESTAMP"):
        return f"strftime({col}, '%Y-%m-%dT%H:%M:%S') as {col}"
    return col


def gold_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return schema_tables(con, SCHEMA)


def _write_csv(con: duckdb.DuckDBPyConnection, table: str, tmp: Path) -> tuple[int, list]:
    columns = table_columns(con, SCHEMA, table)
    select = ", ".join(column_expression(name, typ) for name, typ in columns)
    target = str(tmp).replace("'", "''")
    rows = con.execute(
        f"copy (select {select} from {SCHEMA}.{_quote(table)} order by all) "
        f"to '{target}' (format csv, header true, delimiter ',')"
    ).fetchall()[0][0]
    return int(rows), [{"name": name, "type": typ} for name, typ in columns]


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Drop CSVs of tables that an earlier export listed but gold no longer has."""
    manifest = out_dir / MANIFEST
    if not manifest.exists():
        return
    for entry in json.loads(manifest.read_text()).get("tables", []):
        if entry.get("file") not in keep:
            (out_dir / entry["file"]).unlink(missing_ok=True)


def export_powerbi(duckdb_path: Path, out_dir: Path) -> ExportResult:
    """Export every gold table of `duckdb_path` to `out_dir` (see the module docstring)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if not Path(duckdb_path).exists():
        raise RetailError(f"{duckdb_path}: no warehouse yet; run `retail run` first")
    written: list[tuple[Path, Path, str, int, list]] = []
    try:
        with connect(duckdb_path, read_only=True) as con:
            tables = gold_tables(con)
            if not tables:
                raise RetailError(f"{duckdb_path}: the gold schema has no tables to export")
            for table in tables:
                final = out_dir / f"{table}.csv"
                tmp = out_dir / f".{table}.csv.tmp"
                rows, columns = _write_csv(con, table, tmp)
                written.append((tmp, final, table, rows, columns))
    except BaseException:
        for tmp, *_ in written:
            tmp.unlink(missing_ok=True)
        raise
    exported: list[ExportedTable] = []
    for tmp, final, table, rows, columns in written:
        size = tmp.stat().st_size
        os.replace(tmp, final)
        exported.append(ExportedTable(f"{SCHEMA}.{table}", final.name, rows, size, columns))
    _remove_stale(out_dir, {t.file for t in exported})
    exported_at = datetime.now(UTC).isoformat(timespec="seconds")
    _write_manifest(out_dir, exported, exported_at, Path(duckdb_path))
    return ExportResult(out_dir, exported, exported_at)


def _write_manifest(out_dir: Path, tables: list[ExportedTable], at: str, source: Path) -> None:
    body = {
        "exported_at": at,
        "warehouse": str(source),
        "format": {"encoding": "utf-8", "delimiter": ",", "header": True,
                   "date": "YYYY-MM-DD", "timestamp": "YYYY-MM-DDTHH:MM:SSZ (UTC)",
                   "decimal_separator": "."},
        "tables": [t.__dict__ for t in tables],
    }
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
