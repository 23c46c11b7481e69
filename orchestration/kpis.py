"""Headline figures shown on the gold KPI assets (revenue, orders, AOV, failure rate, tier shares).

Each figure is computed from the facts themselves (not copied from a KPI table), so the figure on
an asset is also a cross-check of that asset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
import duckdb


def sales_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    revenue, orders, lines, units = con.execute(
        "select coalesce(sum(sales_amount), 0), count(distinct order_number), count(*), "
        "coalesce(sum(quantity), 0) from gold.fct_sales"
    ).fetchall()[0]
    return {
        "revenue": float(revenue),
        "orders": int(orders),
        "order_lines": int(lines),
        "units": int(units),
        "average_order_value": round(float(revenue) / orders, 2) if orders else 0.0,
    }


def payment_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    attempts, failed = con.execute(
        "select count(*), count(*) filter (where payment_status = 'failed') "
        "from gold.fct_web_events where event_type = 'payment_attempt'"
    ).fetchall()[0]
    return {
        "payment_attempts": int(attempts),
        "failed_payments": int(failed),
        "payment_failure_rate": round(failed / attempts, 4) if attempts else 0.0,
    }


def tier_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = con.execute(
        "select value_tier, count(*) from gold.customer_segments group by value_tier "
        "order by case value_tier when 'High' then 1 when 'Medium' then 2 else 3 end"
    ).fetchall()
    total = sum(n for _, n in rows)
    return {f"tier_share_{tier.lower()}": round(n / total, 4) for tier, n in rows if total}


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
