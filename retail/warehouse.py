"""Opening the DuckDB warehouse file, with a clear message when another process holds it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from retail.errors import WarehouseLockedError

SCHEMAS = ("bronze", "silver", "gold")


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. DuckDB allows one writing process per file: say so plainly."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseLockedError(
                f"{path} is in use by another process (DuckDB allows one writer per file). "
                "Wait for the running pipeline (a Dagster run, `retail run` or `dbt build`) "
                "to finish, then try again."
            ) from exc
        raise
