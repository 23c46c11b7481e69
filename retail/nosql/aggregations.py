"""Run the aggregation pipelines in MongoDB and land their results in DuckDB gold for BI.

Tables (each replaced atomically on every run):
- `gold.nosql_most_viewed_products`: view_rank, product_number, product_key, product_name,
  category, subcategory, views, sessions: one row per viewed product number.
- `gold.nosql_category_views_daily`: view_date (UTC day), category, views, products.
- `gold.nosql_session_funnel`: step_order, step, sessions, conversion_from_previous,
  payment_attempts, failed_payments, payment_failure_rate: the columns and definitions of
  `gold.kpi_web_funnel`, one row per step.

Product names and categories come from a small `products` collection, refreshed from the
current rows of `gold.dim_products` before each pipeline that joins it.

One pass over `events` gives every figure (`event_figures`, `pipelines.event_facets`): the
session funnel and the product views. They can also be computed apart (`funnel_totals`,
`product_view_figures`: `retail run` computes the funnel while dbt still builds gold, before
the products to join exist). `run_aggregations` and `check_against_dbt` can share one
`EventFigures`, so a run reads `events` once or twice instead of five times. Each pass reads
`events` in parts split by session (`partitioned`: bounded memory on the embedded server at
any scale) and adds the parts' figures up here: sums add up, the distinct products of a
category and day are counted over the union of the parts' product numbers, and the most viewed
products are ordered after the merge (views descending, then product number, null first, as
MongoDB's `$sort` orders them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail.nosql import pipelines
from retail.nosql.gold_io import read_only, replace_gold_table, require_tables
from retail.nosql.partitioned import add_up, aggregate_parts

MOST_VIEWED_TABLE = "nosql_most_viewed_products"
CATEGORY_DAILY_TABLE = "nosql_category_views_daily"
FUNNEL_TABLE = "nosql_session_funnel"

_MOST_VIEWED_COLUMNS = (
    ("view_rank", "INTEGER"), ("product_number", "VARCHAR"), ("product_key", "VARCHAR"),
    ("product_name", "VARCHAR"), ("category", "VARCHAR"), ("subcategory", "VARCHAR"),
    ("views", "BIGINT"), ("sessions", "BIGINT"),
)
_CATEGORY_DAILY_COLUMNS = (
    ("view_date", "DATE"), ("category", "VARCHAR"), ("views", "BIGINT"), ("products", "BIGINT"),
)
_FUNNEL_COLUMNS = (
    ("step_order", "INTEGER"), ("step", "VARCHAR"), ("sessions", "BIGINT"),
    ("payment_attempts", "BIGINT"), ("failed_payments", "BIGINT"),
)
# the ratios exactly as kpi_web_funnel computes them (DuckDB arithmetic and rounding)
_FUNNEL_SQL = """
select
    step_order, step, sessions,
    case when lag(sessions) over (order by step_order) > 0
        then round(sessions / lag(sessions) over (order by step_order), 4)
    end as conversion_from_previous,
    payment_attempts, failed_payments,
    case when payment_attempts > 0 then round(failed_payments / payment_attempts, 4)
    end as payment_failure_rate
from typed
order by step_order
"""


_PRODUCTS_SQL = (
    "select product_number, product_key, product_name, category, subcategory "
    "from gold.dim_products where is_current and product_key <> '-1' order by product_number"
)


def current_products(duckdb_path: Path) -> list[tuple[Any, ...]]:
    """The rows of `products`: each product number's current version in `gold.dim_products`."""
    con = read_only(duckdb_path)
    try:
        require_tables(con, duckdb_path, ["dim_products"])
        return con.execute(_PRODUCTS_SQL).fetchall()
    finally:
        con.close()


def built_products(con: Any) -> list[tuple[Any, ...]] | None:
    """`current_products` through an open connection to the warehouse (`gold_io.read_only`,
    `attached_read_only`); None when gold's products are not built (or, built by an older
    version of the models, not readable so)."""
    import duckdb

    try:
        return con.execute(_PRODUCTS_SQL).fetchall()
    except duckdb.Error:
        return None


def write_product_lookup(db: Any, rows: list[tuple[Any, ...]]) -> int:
    """Rewrite `products` (one doc per product number) from `current_products` rows."""
    from pymongo import ReplaceOne

    names = ("product_key", "product_name", "category", "subcategory")
    requests = [ReplaceOne({"_id": row[0]}, dict(zip(names, row[1:], strict=True)), upsert=True)
                for row in rows]
    collection = db[pipelines.PRODUCTS_COLLECTION]
    if requests:
        collection.bulk_write(requests, ordered=False)
    collection.delete_many({"_id": {"$nin": [row[0] for row in rows]}})
    return len(rows)


def refresh_product_lookup(db: Any, duckdb_path: Path) -> int:
    """Rewrite `products` from the current rows of gold."""
    return write_product_lookup(db, current_products(duckdb_path))


@dataclass
class EventFigures:
    """What the aggregations and the check read from `events`, computed once."""

    totals: dict[str, int]  # `funnel_totals`
    most_viewed: list[dict[str, Any]]  # gold.nosql_most_viewed_products, without view_rank
    category_daily: list[dict[str, Any]]  # gold.nosql_category_views_daily
    views: list[dict[str, Any]]  # product views per product number ({_id, views})

    def product_figures(self) -> dict[str, list[dict[str, Any]]]:
        """The figures `product_view_figures` gives."""
        return {"most_viewed": self.most_viewed, "category_daily": self.category_daily,
                "views": self.views}


def _facets(db: Any, facets: Callable[[bool], list[dict[str, Any]]],
            cancel: threading.Event | None = None) -> list[dict[str, Any]]:
    """The one facets document from each part of `events` of the pipeline `facets(sessioned)`
    (see `pipelines.product_view_facets`); `cancel` as `aggregate_parts` takes it."""
    return [next(iter(result), {}) for result in
            aggregate_parts(db, facets(False), sessioned=facets(True), cancel=cancel)]


def _rows(facets: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [row for part in facets for row in part.get(name, [])]


def _null_first(value: Any) -> tuple[bool, Any]:
    """A sort key ordering null before strings, as MongoDB's `$sort` does."""
    return (value is not None, "" if value is None else value)


def _category_daily(facets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (day, category): the views added up, the product numbers viewed counted once."""
    views: dict[tuple[str, Any], int] = {}
    numbers: dict[tuple[str, Any], set[str]] = {}
    for row in _rows(facets, "category_daily"):
        key = (row["view_date"], row["category"])
        views[key] = views.get(key, 0) + row["views"]
        numbers.setdefault(key, set()).update(
            n for n in row["product_numbers"] if isinstance(n, str))
    return [{"view_date": day, "category": category, "views": views[(day, category)],
             "products": len(numbers[(day, category)])}
            for day, category in sorted(views, key=lambda key: (key[0], _null_first(key[1])))]


def _product_figures(facets: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The `most_viewed`, `category_daily` and `views` figures from the parts' facets
    (`pipelines.product_view_facets`)."""
    merged = add_up(_rows(facets, "products"), "product_number", ("views", "sessions"))
    for number, row in add_up(_rows(facets, "unsessioned"), "_id", ("groups",)).items():
        merged[number]["sessions"] -= row["groups"]  # groups of buckets without a session
    per_product = sorted(merged.values(),
                         key=lambda row: (-row["views"], _null_first(row["product_number"])))
    return {
        "most_viewed": [row for row in per_product if isinstance(row["product_number"], str)],
        "category_daily": _category_daily(facets),
        "views": [{"_id": row["product_number"], "views": row["views"]}
                  for row in per_product],
    }


def product_view_figures(db: Any, duckdb_path: Path,
                         products: list[tuple[Any, ...]] | None = None
                         ) -> dict[str, list[dict[str, Any]]]:
    """The `most_viewed`, `category_daily` and `views` figures, from one pass
    (`pipelines.product_view_facets`), products refreshed first: from `products` (rows of
    `current_products`) when the caller read them, else from gold."""
    write_product_lookup(db, current_products(duckdb_path) if products is None else products)
    return _product_figures(_facets(db, pipelines.product_view_facets))


def event_figures(db: Any, duckdb_path: Path,
                  products: list[tuple[Any, ...]] | None = None,
                  cancel: threading.Event | None = None) -> EventFigures:
    """Every figure the aggregations and the check need, in ONE pass over `events`: the
    funnel and the product views as facets of it (`pipelines.event_facets`), products
    refreshed first as `product_view_figures` does. One pass instead of two saves reading
    every bucket once more: on the embedded server at scale 10 (244k buckets) reading them is
    17 s of a pass, and one pass took 61.7 s against 78.7 s for the two. `cancel`, once set,
    stops the pass before its next part (`partitioned.PassCancelled`)."""
    write_product_lookup(db, current_products(duckdb_path) if products is None else products)
    facets = _facets(db, pipelines.event_facets, cancel)
    return EventFigures(totals=_funnel_totals(_rows(facets, "funnel")),
                        **_product_figures(facets))


def _figure_rows(db: Any, duckdb_path: Path, figures: EventFigures | None,
                 name: str) -> list[dict[str, Any]]:
    """The rows of one product-view figure (copies: callers add fields), from `figures` when
    given, else from a product-view pass."""
    rows = getattr(figures, name) if figures else product_view_figures(db, duckdb_path)[name]
    return [dict(row) for row in rows]


def aggregate_most_viewed_products(db: Any, duckdb_path: Path,
                                   figures: EventFigures | None = None) -> int:
    """Most viewed products -> `gold.nosql_most_viewed_products`; returns the row count."""
    rows = _figure_rows(db, duckdb_path, figures, "most_viewed")
    for rank, row in enumerate(rows, start=1):
        row["view_rank"] = rank
    return replace_gold_table(duckdb_path, MOST_VIEWED_TABLE, _MOST_VIEWED_COLUMNS, rows)


def aggregate_category_views_daily(db: Any, duckdb_path: Path,
                                   figures: EventFigures | None = None) -> int:
    """Views per category per UTC day -> `gold.nosql_category_views_daily`."""
    rows = _figure_rows(db, duckdb_path, figures, "category_daily")
    return replace_gold_table(duckdb_path, CATEGORY_DAILY_TABLE, _CATEGORY_DAILY_COLUMNS, rows)


def funnel_totals(db: Any) -> dict[str, int]:
    """Every funnel figure from one MongoDB pass (`pipelines.funnel_pass`): sessions per
    step (keys of FUNNEL_STEPS, and any other event type reached), `payment_attempts`,
    `failed_payments` (events, whatever their session) and `events`."""
    return _funnel_totals(row for rows in aggregate_parts(db, pipelines.funnel_pass())
                          for row in rows)


def _funnel_totals(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The funnel figures from the rows of sessions per signature of every part: each row
    counts its sessions once in every step one of its buckets reaches, and its statuses once
    per session."""
    totals = {"sessions": 0, "payment_success": 0, "payment_attempts": 0,
              "failed_payments": 0, "events": 0}
    for row in rows:
        signature, sessions = row["_id"], int(row["sessions"])
        statuses = [status for bucket in signature["statuses"] for status in bucket]
        totals["payment_attempts"] += sessions * len(statuses)
        totals["failed_payments"] += sessions * statuses.count("failed")
        totals["events"] += int(row["events"])
        if signature["session_type"] != "string":  # the buckets without a session
            continue
        totals["sessions"] += sessions
        for step in {kind for bucket in signature["types"] for kind in bucket}:
            totals[step] = totals.get(step, 0) + sessions
        if "success" in statuses:
            totals["payment_success"] += sessions
    return totals


def funnel_rows(db: Any, totals: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The session funnel computed in MongoDB, one row per step (zeros when no events)."""
    totals = funnel_totals(db) if totals is None else totals
    return [
        {"step_order": order, "step": step, "sessions": totals.get(step, 0),
         "payment_attempts": totals["payment_attempts"],
         "failed_payments": totals["failed_payments"]}
        for order, step in pipelines.FUNNEL_STEPS
    ]


def aggregate_session_funnel(db: Any, duckdb_path: Path,
                             figures: EventFigures | None = None) -> int:
    """Session funnel -> `gold.nosql_session_funnel` (the columns of `gold.kpi_web_funnel`)."""
    rows = funnel_rows(db, figures.totals if figures else None)
    return replace_gold_table(
        duckdb_path, FUNNEL_TABLE, _FUNNEL_COLUMNS, rows, finish_sql=_FUNNEL_SQL)


def run_aggregations(db: Any, duckdb_path: Path,
                     figures: EventFigures | None = None) -> dict[str, int]:
    """All three aggregations; returns rows written per gold table.

    `figures`: `event_figures(db, duckdb_path)` of `events` as it is now, computed here when
    not given; a caller that also runs `check_against_dbt` passes the same figures to both."""
    figures = figures or event_figures(db, duckdb_path)
    return {
        MOST_VIEWED_TABLE: aggregate_most_viewed_products(db, duckdb_path, figures),
        CATEGORY_DAILY_TABLE: aggregate_category_views_daily(db, duckdb_path, figures),
        FUNNEL_TABLE: aggregate_session_funnel(db, duckdb_path, figures),
    }
