"""Helpers of the gold tests: truth queries, table checksums, warehouses built from extracts.

Every warehouse here is real: extracts written by the generator (or derived from one on disk),
loaded by `retail.ingest.ingest_extract`, built by the dbt CLI.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from retail.dbt import run_dbt
from retail.ingest import ingest_extract
from retail.settings import Settings
from retail.truth import TRUTH_SQL
from retail.warehouse import connect

#: How the warehouse reproduces each manifest truth figure (one map for checks and tests).
TRUTH_QUERIES = TRUTH_SQL

#: (fact, key column, dimension, dimension key): every fact key must exist in its dimension.
FACT_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("fct_sales", "customer_key", "dim_customers", "customer_key"),
    ("fct_sales", "product_key", "dim_products", "product_key"),
    ("fct_sales", "order_date_key", "dim_date", "date_key"),
    ("fct_sales", "ship_date_key", "dim_date", "date_key"),
    ("fct_sales", "due_date_key", "dim_date", "date_key"),
    ("fct_returns", "customer_key", "dim_customers", "customer_key"),
    ("fct_returns", "product_key", "dim_products", "product_key"),
    ("fct_returns", "return_date_key", "dim_date", "date_key"),
    ("fct_web_events", "customer_key", "dim_customers", "customer_key"),
    ("fct_web_events", "product_key", "dim_products", "product_key"),
    ("fct_web_events", "event_date_key", "dim_date", "date_key"),
)


settings_under = Settings.rooted_at  # every warehouse and data path under a tmp folder


def query(duckdb_path: Path, sql: str) -> list[tuple]:
    """Run one read-only query on the warehouse file."""
    con = connect(duckdb_path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def truth_figures(duckdb_path: Path) -> dict[str, int]:
    """The nine truth figures as the warehouse computes them (money is whole: exact ints)."""
    figures = {}
    for name, sql in TRUTH_QUERIES.items():
        value = query(duckdb_path, sql)[0][0]
        assert value == int(value), f"{name} is not a whole number: {value}"
        figures[name] = int(value)
    return figures


#: Every column but the load time, which records when a batch was ingested, not what it holds.
CONTENT = "(select columns(lambda c: c <> '_ingested_at') from {})"


def gold_checksums(duckdb_path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent md5 of every gold table's full content (all
    columns but `_ingested_at`)."""
    tables = [row[0] for row in query(
        duckdb_path,
        "select table_name from information_schema.tables"
        " where table_schema = 'gold' order by table_name",
    )]
    return {
        table: tuple(query(
            duckdb_path,
            f"select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10)"
            f" order by cast(t as varchar)), '')) from {CONTENT.format(f'gold.{table}')} as t",
        )[0])
        for table in tables
    }


def build(settings: Settings, target: Path, args: Sequence[str] = ("build",)) -> None:
    """Run dbt (default `build`) on the warehouse of `settings`; raises DbtError on failure."""
    run_dbt(list(args), settings, target_path=target)


def ingest_all(settings: Settings, extracts: Sequence[Path], *, force: bool = False) -> None:
    """Ingest the extracts, in order, into the warehouse of `settings` (`force`: load a batch
    again even when its files are unchanged)."""
    for extract in extracts:
        ingest_extract(extract, settings.duckdb_path, force=force)


def copy_extract(source: Path, out: Path) -> Path:
    """A private copy of an extract (the session extract is never changed)."""
    shutil.copytree(source, out)
    return out


def withhold_purchase_events(extract: Path, late_batch: Path, orders: int) -> set[str]:
    """Move the purchase events of `orders` online orders from `extract` into a new batch.

    The new batch at `late_batch` is a valid extract whose CSV files hold only their header
    and whose events file holds only the moved lines: the web events of those orders arrive
    one batch after the orders themselves. Returns the order numbers whose events moved.
    """
    events_file = extract / "source_web" / "events.jsonl"
    lines = events_file.read_text(encoding="utf-8").splitlines(keepends=True)
    moved_orders: set[str] = set()
    kept, moved = [], []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):  # malformed lines stay where they are
            kept.append(line)
            continue
        order = event.get("order_number")
        if event.get("event_type") == "purchase" and order and (
            order in moved_orders or len(moved_orders) < orders
        ):
            moved_orders.add(order)
            moved.append(line)
        else:
            kept.append(line)
    events_file.write_text("".join(kept), encoding="utf-8")
    for csv_file in extract.glob("source_*/*.csv"):
        target = late_batch / csv_file.relative_to(extract)
        target.parent.mkdir(parents=True, exist_ok=True)
        header = csv_file.read_text(encoding="utf-8").splitlines(keepends=True)[0]
        target.write_text(header, encoding="utf-8")
    (late_batch / "source_web").mkdir(parents=True, exist_ok=True)
    (late_batch / "source_web" / "events.jsonl").write_text("".join(moved), encoding="utf-8")
    return moved_orders
