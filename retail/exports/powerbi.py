"""Power BI exports: one CSV per gold table plus manifest.json, never half-written.

Every CSV is first written under a temporary name in the target folder; only when all tables
are written are they renamed into place (an atomic rename per file), and manifest.json goes last.
Formats are chosen for Power BI's CSV connector and Excel with their default settings: UTF-8
with a byte order mark (without it both guess a legacy code page and garble accented names),
header row, comma separator, ISO dates, ISO 8601 UTC timestamps, '.' decimals, booleans as
true/false, every DOUBLE rounded to 4 decimal places (one rule for every ratio, whichever model
computed it); columns keep the table's order and rows are sorted so that the same warehouse
always gives byte-identical files. Lineage columns (names starting with '_': `_batch_id`,
`_batch_seq`, `_ingested_at`) stay in the warehouse; a report has no use for them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from retail.errors import RetailError
from retail.warehouse import connect, schema_tables, table_columns

MANIFEST = "manifest.json"
SCHEMA = "gold"
BOM = b"\xef\xbb\xbf"
#: decimal places of every exported DOUBLE (ratios, shares, averages); DECIMALs keep their scale.
RATIO_DECIMALS = 4
#: column names starting with this are lineage (batch, ingestion time), not report content.
LINEAGE_PREFIX = "_"
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8")


@dataclass(frozen=True)
class ExportedTable:
    table: str
    file: str
    rows: int
    bytes: int
    columns: list[dict[str, str]] = field(default_factory=list)
    lineage_columns_left_out: list[str] = field(default_factory=list)


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
    if kind in FLOAT_TYPES:
        return f"round({col}, {RATIO_DECIMALS}) as {col}"
    return col


def is_lineage(name: str) -> bool:
    return name.startswith(LINEAGE_PREFIX)


def gold_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return schema_tables(con, SCHEMA)


def _write_csv(
    con: duckdb.DuckDBPyConnection, table: str, tmp: Path
) -> tuple[int, list, list[str]]:
    """(rows, exported columns, lineage columns left out) of `table` written to `tmp`."""
    columns = [(n, t) for n, t in table_columns(con, SCHEMA, table) if not is_lineage(n)]
    left_out = [n for n, _ in table_columns(con, SCHEMA, table) if is_lineage(n)]
    if not columns:
        raise RetailError(f"{SCHEMA}.{table}: no columns to export besides lineage columns")
    select = ", ".join(column_expression(name, typ) for name, typ in columns)
    part = tmp.with_suffix(".part")
    target = str(part).replace("'", "''")
    try:
        rows = con.execute(
            f"copy (select {select} from {SCHEMA}.{_quote(table)} order by all) "
            f"to '{target}' (format csv, header true, delimiter ',')"
        ).fetchall()[0][0]
        # DuckDB writes no BOM; prefix it (a stream copy, the file is never held in memory).
        with tmp.open("wb") as out, part.open("rb") as body:
            out.write(BOM)
            shutil.copyfileobj(body, out, 1 << 20)
    finally:
        part.unlink(missing_ok=True)
    return int(rows), [{"name": name, "type": typ} for name, typ in columns], left_out


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
    written: list[tuple[Path, Path, str, int, list, list[str]]] = []
    try:
        with connect(duckdb_path, read_only=True) as con:
            tables = gold_tables(con)
            if not tables:
                raise RetailError(f"{duckdb_path}: the gold schema has no tables to export")
            for table in tables:
                final = out_dir / f"{table}.csv"
                tmp = out_dir / f".{table}.csv.tmp"
                written.append((tmp, final, table, *_write_csv(con, table, tmp)))
    except BaseException:
        for tmp, *_ in written:
            tmp.unlink(missing_ok=True)
        raise
    exported: list[ExportedTable] = []
    for tmp, final, table, rows, columns, left_out in written:
        size = tmp.stat().st_size
        os.replace(tmp, final)
        exported.append(
            ExportedTable(f"{SCHEMA}.{table}", final.name, rows, size, columns, left_out)
        )
    _remove_stale(out_dir, {t.file for t in exported})
    exported_at = datetime.now(UTC).isoformat(timespec="seconds")
    _write_manifest(out_dir, exported, exported_at, Path(duckdb_path))
    return ExportResult(out_dir, exported, exported_at)


def _write_manifest(out_dir: Path, tables: list[ExportedTable], at: str, source: Path) -> None:
    body = {
        "exported_at": at,
        "warehouse": str(source),
        "format": {"encoding": "utf-8-sig",
                   "encoding_note": "UTF-8 with a byte order mark: Power BI and Excel read "
                                    "accented names right with their default settings",
                   "delimiter": ",", "header": True,
                   "date": "YYYY-MM-DD", "timestamp": "YYYY-MM-DDTHH:MM:SSZ (UTC)",
                   "decimal_separator": ".",
                   "rounding": f"every DOUBLE column (ratios, shares, averages) is rounded "
                               f"to {RATIO_DECIMALS} decimal places; DECIMAL columns keep "
                               f"their declared scale",
                   "lineage_columns": "columns whose names start with '_' (_batch_id, "
                                      "_batch_seq, _ingested_at) are left out of the files; "
                                      "they stay in the warehouse's gold tables"},
        "tables": [t.__dict__ for t in tables],
    }
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
