"""Hand-made gold tables (the columns of the gold contracts in models/marts/) in a real DuckDB
file, for segmentation tests.

Only the columns segmentation reads carry meaning; the rest hold plausible constants so the
tables look like what the dbt gold layer builds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from retail.settings import Settings

Sale = tuple[str, str, date | None, float]  # order_number, customer_key, order_date, sales_amount
Return = tuple[str, str, float]  # order_number, customer_key, return_amount


settings_under = Settings.rooted_at  # every path under a tmp folder; SPARK_* as overrides


def _insert(con: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple]) -> None:
    if rows:  # executemany refuses an empty list; an empty table is a valid fixture
        con.executemany(sql, rows)


def write_gold(duckdb_path: Path, customer_keys: list[str], sales: list[Sale],
               returns: list[Return]) -> None:
    """Create gold.dim_customers, gold.fct_sales and gold.fct_returns holding exactly these rows."""
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute("create schema if not exists gold")
        con.execute("""
            create or replace table gold.dim_customers (
                customer_key varchar, customer_id integer, customer_number varchar,
                first_name varchar, last_name varchar, country varchar, marital_status varchar,
                gender varchar, birthdate date, create_date date)""")
        _insert(
            con,
            "insert into gold.dim_customers values (?, ?, ?, 'Ann', 'Lee', 'Germany', 'Single',"
            " 'Female', date '1980-01-01', date '2022-01-01')",
            [(key, 11000 + i, f"AW{11000 + i:08d}") for i, key in enumerate(customer_keys)],
        )
        con.execute("""
            create or replace table gold.fct_sales (
                order_number varchar, customer_key varchar, product_key varchar,
                order_date date, ship_date date, due_date date, order_date_key integer,
                ship_date_key integer, due_date_key integer, quantity integer,
                unit_price decimal(18,2), sales_amount decimal(18,2), unit_cost integer,
                gross_margin decimal(18,2), channel varchar)""")
        _insert(
            con,
            "insert into gold.fct_sales values (?, ?, 'p1', ?, null, null, -1, -1, -1, 1, ?, ?,"
            " 0, ?, 'Store')",
            [(order, key, day, amount, amount, amount) for order, key, day, amount in sales],
        )
        con.execute("""
            create or replace table gold.fct_returns (
                return_key varchar, order_number varchar, customer_key varchar,
                product_key varchar, return_date date, return_date_key integer,
                return_quantity integer, return_reason varchar, return_amount decimal(18,2))""")
        _insert(
            con,
            "insert into gold.fct_returns values (md5(? || ?), ?, ?, 'p1', date '2025-12-31',"
            " 20251231, 1, 'Damaged', ?)",
            [(order, str(i), order, key, amount) for i, (order, key, amount) in enumerate(returns)],
        )
    finally:
        con.close()


def random_gold(duckdb_path: Path, customers: int = 300, seed: int = 3) -> None:
    """A seeded, messy but valid gold layer: ties in spending, customers without orders,
    order lines without a valid date, partial and complete returns."""
    import numpy as np

    rng = np.random.default_rng(seed)
    keys = [f"cust-{i:05d}" for i in range(customers)]
    sales: list[Sale] = []
    returns: list[Return] = []
    start = date(2024, 1, 1).toordinal()
    for i, key in enumerate(keys):
        if i % 10 == 9:  # a customer without orders: must not be segmented
            continue
        for order in range(int(rng.integers(1, 5))):
            order_number = f"SO{i:05d}{order}"
            offset = int(rng.integers(0, 730))
            day = None if rng.random() < 0.03 else date.fromordinal(start + offset)
            for _line in range(int(rng.integers(1, 3))):
                amount = float(rng.choice([5, 20, 35, 50, 120, 540, 2000]))
                sales.append((order_number, key, day, amount))
                if i % 17 == 0 or rng.random() < 0.08:  # every 17th customer returns everything
                    returns.append((order_number, key, amount))
    write_gold(duckdb_path, keys, sales, returns)
