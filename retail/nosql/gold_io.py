"""Reading gold and writing `gold.nosql_*` tables in the DuckDB warehouse.

Reads use a read-only connection (dbt or Dagster may be reading too). A write replaces a table
inside one transaction, so readers see the old table or the new one, never half of one, and a
failure leaves the previous table as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retail.errors import RetailError
from retail.warehouse import connect, locked_error, schema_tables


class GoldNotBuiltError(RetailError):
    """A gold table the MongoDB layer needs does not exist yet."""


def read_only(duckdb_path: Path) -> Any:
    """A read-only connection with UTC session time zone (dates of timestamps are UTC days)."""
    if not Path(duckdb_path).is_file():
        raise GoldNotBuiltError(f"{duckdb_path}: warehouse not found; build it first (dbt build)")
    con = connect(duckdb_path, read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


WAREHOUSE_ALIAS = "warehouse"
STAGING_MEMORY = "4GB"  # of the in-memory DuckDB that stages rows (`attached_read_only`)


def attached_read_only(duckdb_path: Path) -> Any:
    """An in-memory DuckDB (UTC, like `read_only`) with the warehouse attached read-only and in
    use, so unqualified names read the warehouse and temp tables live in this process's memory.

    Why: `detach_warehouse` then releases the file while the temp tables stay, so a long job
    over staged rows does not keep another process (dbt) from opening the warehouse to write.
    """
    import duckdb

    if not Path(duckdb_path).is_file():
        raise GoldNotBuiltError(f"{duckdb_path}: warehouse not found; build it first (dbt build)")
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        # rows staged here may be held while dbt builds gold in another process: bounded, and
        # spilled beside the warehouse (as DuckDB spills a file database) beyond the bound
        spill = f"{Path(duckdb_path).resolve()}.staging.tmp".replace("'", "''")
        con.execute(f"set memory_limit = '{STAGING_MEMORY}'")
        con.execute(f"set temp_directory = '{spill}'")
        path = str(Path(duckdb_path)).replace("'", "''")
        try:
            con.execute(f"attach '{path}' as {WAREHOUSE_ALIAS} (read_only)")
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise locked_error(Path(duckdb_path), str(exc)) from exc
            raise
        con.execute(f"use {WAREHOUSE_ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def detach_warehouse(con: Any) -> None:
    """Release the warehouse `attached_read_only` attached; temp tables stay."""
    con.execute("use memory")
    con.execute(f"detach {WAREHOUSE_ALIAS}")


def existing_tables(con: Any, schema: str = "gold") -> set[str]:
    return set(schema_tables(con, schema))


def require_tables(con: Any, duckdb_path: Path, names: Sequence[str]) -> None:
    missing = sorted(set(names) - existing_tables(con))
    if missing:
        raise GoldNotBuiltError(
            f"{duckdb_path}: gold table(s) {', '.join(missing)} missing; run dbt build first"
        )


def replace_gold_table(
    duckdb_path: Path,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: list[dict[str, Any]],
    finish_sql: str = "select * from typed",
) -> int:
    """Replace `gold.<table>` with `rows` (column name -> value), typed by `columns` (SQL types).

    `finish_sql` selects the table from the CTE `typed` (the rows, cast): derived columns are
    computed there, in SQL, when they must match a dbt model's arithmetic exactly.
    """
    import pyarrow as pa

    names = [name for name, _type in columns]
    data = pa.table({name: [row.get(name) for row in rows] for name in names})
    select = ", ".join(f'cast("{name}" as {sql_type}) as "{name}"' for name, sql_type in columns)
    con = connect(duckdb_path)
    try:
        con.register("nosql_rows", data)
        con.execute("begin transaction")
        con.execute("create schema if not exists gold")
        con.execute(
            f'create or replace table gold."{table}" as '
            f"with typed as (select {select} from nosql_rows) {finish_sql}"
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.close()
    return len(rows)
