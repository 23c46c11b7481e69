"""Does MongoDB agree with dbt? The same events, counted both ways, must give the same figures.

Compared exactly: the number of events (`events` vs `gold.fct_web_events`), the session funnel
recomputed in MongoDB vs `gold.kpi_web_funnel` (sessions per step, payment attempts, failed
payments), and product views per product vs `gold.fct_web_events` (by product number of the
current version; views of unknown or missing products, and of the unknown member '-1', compared
as one `None` group). `events` must first mirror the warehouse (`sync_events`).
A plain function: the Dagster asset check wraps it and reports `as_metadata()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail.nosql import pipelines
from retail.nosql.aggregations import EventFigures, funnel_totals, product_view_figures
from retail.nosql.gold_io import read_only, require_tables

MAX_LISTED = 10


@dataclass
class ConsistencyReport:
    """Outcome of one comparison run; `passed` is True when nothing differs."""

    mismatches: list[str] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def as_metadata(self) -> dict[str, Any]:
        return {"passed": self.passed, "mismatch_count": len(self.mismatches),
                "mismatches": "\n".join(self.mismatches[:MAX_LISTED]) or "none",
                **{f"compared_{name}": count for name, count in self.compared.items()}}


def _compare(report: ConsistencyReport, what: str, mongo: dict[Any, int],
             dbt: dict[Any, int]) -> None:
    for key in sorted(set(mongo) | set(dbt), key=str):
        if mongo.get(key, 0) != dbt.get(key, 0):
            report.mismatches.append(
                f"{what} {key}: MongoDB {mongo.get(key, 0)} != dbt {dbt.get(key, 0)}")


def _dbt_figures(con: Any) -> tuple[int, dict[Any, int], dict[Any, int], set[str]]:
    ((events,),) = con.execute("select count(*) from gold.fct_web_events").fetchall()
    funnel = dict(con.execute("select step, sessions from gold.kpi_web_funnel").fetchall())
    (payments,) = con.execute(
        "select max(payment_attempts), max(failed_payments) from gold.kpi_web_funnel"
    ).fetchall()
    funnel["payment_attempts"], funnel["failed_payments"] = payments
    # an event on the unknown product member (product_key '-1'), if gold ever maps one there,
    # names no real product: it belongs to the `None` group, as in MongoDB
    views = dict(con.execute("""
        select products.product_number, count(*)
        from gold.fct_web_events as events
        left join gold.dim_products as products
            on products.product_key = events.product_key and products.product_key <> '-1'
        where events.event_type = 'product_view'
        group by products.product_number
    """).fetchall())
    known = {number for (number,) in con.execute(
        "select product_number from gold.dim_products where is_current and product_key <> '-1'"
    ).fetchall()}
    return events, funnel, views, known


def check_against_dbt(db: Any, duckdb_path: Path,
                      figures: EventFigures | None = None) -> ConsistencyReport:
    """Recompute the funnel and product views in MongoDB and compare them with the dbt models.

    `figures`: `aggregations.event_figures` of `events` as it is now (e.g. those the run wrote
    `gold.nosql_*` from); computed here (funnel and product views only) when not given."""
    con = read_only(duckdb_path)
    try:
        require_tables(con, duckdb_path, ["fct_web_events", "kpi_web_funnel", "dim_products"])
        dbt_events, dbt_funnel, dbt_views, known_products = _dbt_figures(con)
    finally:
        con.close()
    report = ConsistencyReport()
    # one pass: the event count and every funnel figure
    totals = figures.totals if figures else funnel_totals(db)
    mongo_events = totals["events"]
    _compare(report, "events", {"total": mongo_events}, {"total": dbt_events})
    report.compared["events"] = max(mongo_events, dbt_events)
    mongo_funnel = {step: totals.get(step, 0) for _order, step in pipelines.FUNNEL_STEPS}
    mongo_funnel["payment_attempts"] = totals["payment_attempts"]
    mongo_funnel["failed_payments"] = totals["failed_payments"]
    _compare(report, "funnel", mongo_funnel, {k: int(v or 0) for k, v in dbt_funnel.items()})
    report.compared["funnel_figures"] = len(set(mongo_funnel) | set(dbt_funnel))
    mongo_views: dict[Any, int] = {}
    views = figures.views if figures else product_view_figures(db, duckdb_path)["views"]
    for row in views:
        number = row["_id"] if row["_id"] in known_products else None
        mongo_views[number] = mongo_views.get(number, 0) + row["views"]
    _compare(report, "product_views", mongo_views, dbt_views)
    report.compared["products"] = len(set(mongo_views) | set(dbt_views))
    return report
