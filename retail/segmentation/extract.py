"""Handing the purchase history from gold to Spark: DuckDB `COPY ... TO ... (FORMAT parquet)`.

Parquet written by DuckDB is columnar and typed, so Spark reads it directly: no pandas, no
row-by-row transfer through the driver. Money stays DECIMAL(18,2) so that sums are exact in
both engines and ties in monetary value are real ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retail.errors import RetailError
from retail.warehouse import connect, schema_tables

REQUIRED_TABLES = ("fct_sales", "dim_customers", "fct_returns")

PURCHASES_SQL = """
select
    sales.customer_key,
    cast(customers.customer_id as integer) as customer_id,
    cast(sales.order_number as varchar) as order_number,
    cast(sales.order_date as date) as order_date,
    cast(sales.sales_amount as decimal(18,2)) as sales_amount,
from gold.fct_sales as sales
left join gold.dim_customers as customers
    on sales.customer_key = customers.customer_key
where sales.customer_key is not null
"""

RETURNS_SQL = """
select
    returns.customer_key,
    cast(returns.order_number as varchar) as order_number,
    cast(returns.return_amount as decimal(18,2)) as return_amount,
from gold.fct_returns as returns
where returns.customer_key is not null
"""


@dataclass(frozen=True)
class PurchaseExtract:
    """The two Parquet files Spark reads, with their row counts."""

    purchases: Path
    returns: Path
    purchase_rows: int
    return_rows: int
    sales_without_customer: int


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_purchases(duckdb_path: Path, out_dir: Path) -> PurchaseExtract:
    """Write purchases.parquet and returns.parquet for Spark into `out_dir` (created)."""
    if not Path(duckdb_path).exists():
        raise RetailError(f"{duckdb_path}: no warehouse yet; run `retail run` or `dbt build` first")
    out_dir.mkdir(parents=True, exist_ok=True)
    purchases, returns = out_dir / "purchases.parquet", out_dir / "returns.parquet"
    con = connect(duckdb_path, read_only=True)
    try:
        present = set(schema_tables(con, "gold"))
        missing = [name for name in REQUIRED_TABLES if name not in present]
        if missing:
            raise RetailError(
                f"{duckdb_path}: gold tables {', '.join('gold.' + m for m in missing)} are "
                "missing; "
                "build the warehouse (`retail run` or `dbt build`) before segmenting customers"
            )
        con.execute(f"copy ({PURCHASES_SQL}) to {_sql_string(purchases)} (format parquet)")
        con.execute(f"copy ({RETURNS_SQL}) to {_sql_string(returns)} (format parquet)")
        counts = con.execute(
            f"select (select count(*) from read_parquet({_sql_string(purchases)})),"
            f" (select count(*) from read_parquet({_sql_string(returns)})),"
            " (select count(*) from gold.fct_sales where customer_key is null)"
        ).fetchall()[0]
    finally:
        con.close()
    assert counts is not None
    return PurchaseExtract(purchases, returns, int(counts[0]), int(counts[1]), int(counts[2]))
