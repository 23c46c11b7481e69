"""Headline figures shown on the gold KPI assets (revenue, orders, AOV, failure rate, tier shares).

The figures are read from the marts that own them (kpi_daily_sales, kpi_web_funnel,
kpi_customer_tiers), so the metadata shows what the marts publish and no formula is written
twice. Two figures have no mart: the distinct orders of the whole period (orders are not
additive over days: a line with an invalid order date puts its order under the unknown day as
well) is counted on fct_sales, and the average order value over the period divides the mart's
revenue by it. The summary of `retail run` prints these figures from `gold/fct_sales`, which
therefore shows the sales headline too.

Dagster-free, like orchestration/describe.py: dbt's children in a `retail run` compute the
figures as soon as the models a headline reads are built (orchestration/dbt_describe.py);
orchestration/metadata.py turns them into materialization metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb


def sales_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    revenue, lines, units = con.execute(
        "select coalesce(sum(revenue), 0), coalesce(sum(order_lines), 0), "
        "coalesce(sum(units), 0) from gold.kpi_daily_sales"
    ).fetchall()[0]
    ((orders,),) = con.execute(
        "select count(distinct order_number) from gold.fct_sales"
    ).fetchall()
    return {
        "revenue": float(revenue),
        "orders": int(orders),
        "order_lines": int(lines),
        "units": int(units),
        "average_order_value": round(float(revenue) / orders, 2) if orders else 0.0,
    }


def payment_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    # the payment figures are the same on every funnel row: read the first step's
    attempts, failed, rate = con.execute(
        "select payment_attempts, failed_payments, payment_failure_rate "
        "from gold.kpi_web_funnel order by step_order limit 1"
    ).fetchall()[0]
    return {
        "payment_attempts": int(attempts),
        "failed_payments": int(failed),
        "payment_failure_rate": float(rate) if rate is not None else 0.0,
    }


def tier_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = con.execute(
        "select value_tier, customer_share from gold.kpi_customer_tiers "
        "where customers > 0 order by tier_order"
    ).fetchall()
    return {f"tier_share_{tier.lower()}": round(share, 4) for tier, share in rows}


@dataclass(frozen=True)
class Headline:
    compute: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]
    reads: tuple[str, ...]  # the models it reads: its figures are final once they are built


SALES = Headline(sales_headline, reads=("fct_sales", "kpi_daily_sales"))
HEADLINES: dict[str, Headline] = {
    "fct_sales": SALES,
    "kpi_daily_sales": SALES,
    "kpi_web_funnel": Headline(payment_headline, reads=("kpi_web_funnel",)),
    "kpi_customer_tiers": Headline(tier_headline, reads=("kpi_customer_tiers",)),
}


def headline_figures(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, Any] | None:
    """`model`'s headline figures; None when it has none. Raises duckdb.Error when a model it
    reads is missing or changed shape."""
    headline = HEADLINES.get(model)
    return None if headline is None else headline.compute(con)


def headlines_reading(model: str) -> list[str]:
    """The models whose headline figures read `model`."""
    return [name for name, headline in HEADLINES.items() if model in headline.reads]


def headline_entry(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, Any] | None:
    """`model`'s headline as {"figures": {...}}, or {"error": message} when a model it reads is
    missing or changed shape; None when it has no headline."""
    try:
        figures = headline_figures(con, model)
    except duckdb.Error as exc:
        return {"error": str(exc)}
    return None if figures is None else {"figures": figures}
