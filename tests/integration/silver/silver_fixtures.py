"""Helpers of the silver tests: queries on a warehouse file, the bronze -> staging map, the dbt
commands that rebuild silver, and snapshots that compare silver before and after.

(A module of its own: test folders each have a conftest.py, and pytest imports every one of
them under the name `conftest`, so importing helpers from it is ambiguous.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from retail.ingest.layout import LAYOUT
from retail.settings import Settings
from retail.warehouse import connect

Query = Callable[[str], list[tuple[Any, ...]]]

# bronze table -> the staging model that keeps its rows (the raw layout is its one home)
STAGING_OF = {source.table: source.staging_model for source in LAYOUT}

# rebuilds the silver views (a copied warehouse already holds the seeds)
SILVER_RUN = ["run", "--select", "staging"]
# the dbt check that every bronze row is kept or rejected exactly once
RECONCILE_TEST = ["test", "--select", "assert_bronze_rows_reconcile"]


def querier(duckdb_path: Path) -> Query:
    """A function that runs one SQL query on the warehouse (read-only) and returns its rows."""

    def query(sql: str) -> list[tuple[Any, ...]]:
        con = connect(duckdb_path, read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return query


settings_under = Settings.rooted_at  # every warehouse and data path under a tmp folder


def silver_snapshot(query: Query) -> dict[str, list[tuple[Any, ...]]]:
    """Every silver staging model and rejected_rows, rows sorted, without the load time
    `_ingested_at` (it records when a batch was ingested, not what it holds): equal means
    unchanged."""
    tables = [*STAGING_OF.values(), "rejected_rows"]
    content = "select columns(lambda c: c <> '_ingested_at') from silver.{}"
    return {table: sorted(query(content.format(table)), key=repr) for table in tables}
