"""Headline figures shown on the gold KPI assets (revenue, orders, AOV, failure rate, tier shares).

The figures are read from the marts that own them (kpi_daily_sales, kpi_web_funnel,
kpi_customer_tiers), so the metadata shows what the marts publish and no formula is written
twice. Two figures have no mart: the distinct orders of the whole period (orders are not
additive over days: a line with an invalid order date puts its order under the unknown day as
well) is counted on fct_sales, and the average order value over the period divides the mart's
revenue by it. The summary of `retail run` prints these figures from `gold/fct_sales`, which
therefore shows the sales headline too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
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


HEADLINES: dict[str, Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]] = {
    "fct_sales": sales_headline,
    "kpi_daily_sales": sales_headline,
    "kpi_web_funnel": payment_headline,
    "kpi_customer_tiers": tier_headline,
}


def headline_metadata(
    con: duckdb.DuckDBPyConnection, model: str, log: Any | None = None
) -> dict[str, Any]:
    """Headline figures for `model` as metadata (none for other models, or when they fail)."""
    compute = HEADLINES.get(model)
    if compute is None:
        return {}
    try:
        figures = compute(con)
    except duckdb.Error as exc:  # a model changed shape: report it, do not fail the run
        if log is not None:
            log.warning(f"headline figures for {model} unavailable: {exc}")
        return {}
    return {
        name: dg.MetadataValue.float(value) if isinstance(value, float)
        else dg.MetadataValue.int(value)
        for name, value in figures.items()
    }
