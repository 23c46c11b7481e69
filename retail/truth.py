"""How the warehouse reproduces each truth figure of a generated extract's manifest.

The generator computes the truth from its own model (`generators/truth.py`); these queries
compute the same figures from gold. Gold and the manifest are thus two independent accounts of
one extract: the pipeline's blocking truth check and the tests compare them through this one
map. Sums are coalesced to 0 so that an empty fact gives 0, as the manifest says.
"""

from __future__ import annotations

#: truth figure name -> SQL computing it from gold (one row, one column).
TRUTH_SQL: dict[str, str] = {
    "order_lines": "select count(*) from gold.fct_sales",
    "orders": "select count(distinct order_number) from gold.fct_sales",
    "customers": "select count(*) from gold.dim_customers",
    "current_products": "select count(*) from gold.dim_products where is_current",
    "revenue": "select coalesce(sum(sales_amount), 0) from gold.fct_sales",
    "units": "select coalesce(sum(quantity), 0) from gold.fct_sales",
    "online_orders": (
        "select count(distinct order_number) from gold.fct_sales where channel = 'Online'"
    ),
    "failed_payments": (
        "select count(*) from gold.fct_web_events"
        " where event_type = 'payment_attempt' and payment_status = 'failed'"
    ),
    "returned_units": "select coalesce(sum(return_quantity), 0) from gold.fct_returns",
}
