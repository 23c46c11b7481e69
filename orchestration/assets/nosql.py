"""MongoDB: web events and customer profiles in MongoDB, aggregations back into gold.

One step: rebuild the customer-360 profiles from gold (skipped when that gold is unchanged;
on their own embedded server, retail/nosql/server.py), make `events` mirror the warehouse's
web events (`bronze.web_events`, batch by batch: `sync_events`), run the aggregation pipelines
into `gold.nosql_*`, then compare MongoDB's figures with dbt's (`check_against_dbt`) as an
asset check. Events come from bronze, not from the extract folder, so MongoDB holds what the
warehouse holds (a batch ingested again, removed, or another warehouse) and aggregations never
read stale events.
In `retail run` the events were synced (and the funnel figures computed) while dbt built gold,
and the product-view figures while Spark and the segmentation models ran
(retail/nosql/early_sync.py, started by the bronze step): this step takes that outcome.
The profiles go first; all the events' work of the step (`_EventsWork`: taking that outcome or
syncing, the aggregations, the check) runs while the profiles' server builds their indexes
(retail/nosql/beside.py), and its outputs follow the profiles'. A failure of either is the
step's; the events' outputs are recorded when they were written beside a profiles' build that
failed.
"""

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.metadata import table_metadata
from orchestration.resources import DUCKDB_POOL, RetailResource
from retail.warehouse import connect

EVENTS_KEY = dg.AssetKey(["nosql", "events"])
BRONZE_EVENTS_KEY = dg.AssetKey(["bronze", "web_events"])
PROFILES_KEY = dg.AssetKey(["nosql", "customer_profiles"])
GOLD_TABLES = ("nosql_most_viewed_products", "nosql_category_views_daily", "nosql_session_funnel")
FUNNEL_KEY = dg.AssetKey(["gold", "nosql_session_funnel"])
CHECK = dg.AssetCheckSpec("mongo_matches_dbt", asset=FUNNEL_KEY, blocking=False,
                          description="MongoDB's event counts, funnel and product views equal "
                                      "dbt's gold.fct_web_events / kpi_web_funnel.")
PROFILE_INPUTS = [dg.AssetKey(["gold", name]) for name in
                  ("dim_customers", "dim_products", "fct_sales", "kpi_customer_lifetime",
                   "customer_segments", "fct_web_events", "kpi_web_funnel")]


def _outs() -> dict[str, dg.AssetOut]:
    outs = {
        "events": dg.AssetOut(key=EVENTS_KEY, kinds={"mongodb"},
                              description="MongoDB `events`: the warehouse's valid web events "
                                          "(bronze.web_events, by silver's rules), one "
                                          "bucket document per batch and session."),
        "customer_profiles": dg.AssetOut(
            key=PROFILES_KEY, kinds={"mongodb"},
            description="MongoDB `customer_profiles`: one customer-360 document per customer."),
    }
    for table in GOLD_TABLES:
        outs[table] = dg.AssetOut(key=dg.AssetKey(["gold", table]), kinds={"mongodb", "duckdb"},
                                  description=f"gold.{table}: a MongoDB aggregation, for BI.")
    return outs


@dg.multi_asset(
    name="nosql",
    outs=_outs(),
    deps=[BRONZE_EVENTS_KEY, *PROFILE_INPUTS],
    internal_asset_deps={
        "events": {BRONZE_EVENTS_KEY},
        "customer_profiles": set(PROFILE_INPUTS),
        **{table: {EVENTS_KEY, dg.AssetKey(["gold", "dim_products"])} for table in GOLD_TABLES},
    },
    group_name="nosql",
    check_specs=[CHECK],
    pool=DUCKDB_POOL,
)
def nosql(context: dg.AssetExecutionContext, retail: RetailResource) -> Iterator[Any]:
    """Events and profiles into MongoDB; aggregations into gold; consistency with dbt."""
    from retail.nosql import mongo_database, sync_customer_profiles
    from retail.nosql.server import release_early

    settings = retail.settings()
    with mongo_database(settings) as db:
        # profiles first: in `retail run` the events work started early may still be running;
        # the profiles have their own embedded server, so both use a core. The rest of the
        # step's work runs while the profiles' server builds their indexes (`meanwhile`)
        events = _EventsWork(settings, db)
        started = time.perf_counter()
        try:
            profiles = sync_customer_profiles(settings, progress=False, meanwhile=events)
        except Exception:
            if events.done:  # written beside the failed build: recorded, then the failure
                yield from events.outputs()
            raise
        yield dg.Output(None, output_name="customer_profiles", metadata={
            "documents": profiles, "duration_seconds": round(time.perf_counter() - started, 3)})
        if events.error is not None:
            raise events.error
        yield from events.outputs()
    # `retail run` started the servers early: the last step that needs them is done; they stop
    # while the next steps work, and the run's end waits for that
    release_early(settings, wait=False)
    report = events.report
    yield dg.AssetCheckResult(check_name=CHECK.name, asset_key=FUNNEL_KEY, passed=report.passed,
                              metadata=report.as_metadata())


class _EventsWork:
    """The step's work besides the profiles: `events` in step with the warehouse (or what the
    early sync did), the figures of `events`, the aggregations into gold and the check against
    dbt. Called once (beside the profiles' index builds); keeps its error instead of raising
    it, so the profiles' build is never undone by it; `outputs()` then gives its outputs."""

    def __init__(self, settings: Any, db: Any) -> None:
        self._settings, self._db = settings, db
        self.done = False
        self.error: Exception | None = None
        self._outputs: list[tuple[str, dict[str, Any]]] = []
        self.report: Any = None

    def __call__(self) -> None:
        try:
            self._run()
            self.done = True
        except Exception as error:  # raised by the step once the profiles' output is out
            self.error = error

    def _run(self) -> None:
        from retail.nosql import check_against_dbt, early_sync, run_aggregations, sync_events
        from retail.nosql.aggregations import (
            EventFigures,
            current_products,
            event_figures,
            product_view_figures,
        )

        settings, db = self._settings, self._db
        early = early_sync.take(settings)  # `retail run`: synced while dbt built gold
        started = time.perf_counter()
        if early is None:
            synced = sync_events(db, settings.duckdb_path, progress=False)
            timing = {"duration_seconds": round(time.perf_counter() - started, 3)}
        else:
            synced = early.result
            timing = {"duration_seconds": early.sync_seconds, "synced_during_dbt": True,
                      "funnel_seconds": early.funnel_seconds,
                      "product_views_seconds": early.products_seconds}
        self._outputs.append(("events", {**synced.as_metadata(), **timing}))
        started = time.perf_counter()
        # the figures of `events`, shared by gold and the check: one pass, or what the early
        # sync computed (the product views again if gold's products changed since)
        products = current_products(settings.duckdb_path)
        if early is None:
            figures = event_figures(db, settings.duckdb_path, products)
        else:
            early_products = early.products == products and early.product_figures
            figures = EventFigures(totals=early.totals, **(early_products or product_view_figures(
                db, settings.duckdb_path, products)))
        rows = run_aggregations(db, settings.duckdb_path, figures)
        seconds = round(time.perf_counter() - started, 3)
        with connect(settings.duckdb_path, read_only=True) as con:
            for table in GOLD_TABLES:
                self._outputs.append((table, {**table_metadata(con, "gold", table),
                                              "duration_seconds": seconds,
                                              "rows_written": rows.get(table, 0)}))
        self.report = check_against_dbt(db, settings.duckdb_path, figures)

    def outputs(self) -> Iterator[dg.Output[None]]:
        for name, metadata in self._outputs:
            yield dg.Output(None, output_name=name, metadata=metadata)
