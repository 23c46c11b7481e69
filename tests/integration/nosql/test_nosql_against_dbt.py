"""The MongoDB layer on the shared tiny generated warehouse: it must agree with dbt exactly.

Expected figures come from the generator's manifest (truth, defect counts) or from SQL over the
dbt models written here independently of the MongoDB pipelines.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import event_documents, remove_events

from retail.nosql import (
    SyncResult,
    build_customer_profiles,
    check_against_dbt,
    run_aggregations,
    sync_events,
)


@dataclass(frozen=True)
class Synced:
    db: Any
    duckdb_path: Path
    load: SyncResult
    profiles: int
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def synced(built_warehouse: Any, mongo: Any, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Synced]:
    """Events, profiles and aggregations of the tiny extract, in a copy of its warehouse."""
    copy = tmp_path_factory.mktemp("nosql-wh") / "retail.duckdb"
    shutil.copy(built_warehouse.duckdb_path, copy)
    db = mongo[f"retail_test_dbt_{copy.parent.name}"]
    load = sync_events(db, copy)
    profiles = build_customer_profiles(db, copy)
    run_aggregations(db, copy)
    yield Synced(db, copy, load, profiles, built_warehouse.extract.manifest)
    mongo.drop_database(db.name)


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(query).fetchall()


def test_event_counts_match_silver_and_the_manifest(synced: Synced) -> None:
    rejected = dict(_sql(synced.duckdb_path, """
        select reason, count(*) from silver.rejected_rows
        where source_table like '%web_events%' group by reason"""))
    by_kind = {"malformed": synced.load.malformed,
               "without an event_id": synced.load.missing_event_id,
               "unknown event type": synced.load.unknown_event_type,
               "duplicate": synced.load.duplicate_event_id}
    for kind, count in by_kind.items():
        assert sum(n for reason, n in rejected.items() if kind in reason) == count, kind
    assert synced.load.rejected() == sum(rejected.values())
    ((kept,),) = _sql(synced.duckdb_path, "select count(*) from silver.stg_web__events")
    stored = event_documents(synced.db)
    assert synced.load.valid == kept == len(stored) == len({doc["_id"] for doc in stored})
    defects = synced.manifest["defects"]
    assert synced.load.malformed == defects["web_malformed"]
    assert synced.load.unknown_event_type == defects["web_unknown_type"]
    assert synced.load.duplicate_event_id == defects["web_duplicate"]


def test_syncing_again_changes_nothing(synced: Synced) -> None:
    before = list(synced.db.events.find({}, sort=[("_id", 1)]))  # the bucket documents
    again = sync_events(synced.db, synced.duckdb_path, batch_size=333)
    assert again.unchanged and (again.inserted, again.documents) == (0, synced.load.valid)
    assert again.buckets == len(before)
    assert list(synced.db.events.find({}, sort=[("_id", 1)])) == before


def test_funnel_equals_kpi_web_funnel(synced: Synced) -> None:
    columns = ("step_order, step, sessions, conversion_from_previous, payment_attempts, "
               "failed_payments, payment_failure_rate")
    mongo = _sql(synced.duckdb_path, f"select {columns} from gold.nosql_session_funnel order by 1")
    dbt = _sql(synced.duckdb_path, f"select {columns} from gold.kpi_web_funnel order by 1")
    assert mongo == dbt and len(mongo) == 7
    assert mongo[0][5] == synced.manifest["truth"]["failed_payments"]


def test_product_views_equal_fct_web_events(synced: Synced) -> None:
    mongo = _sql(synced.duckdb_path, """
        select product_key, views, sessions from gold.nosql_most_viewed_products
        where product_key is not null order by product_key""")
    dbt = _sql(synced.duckdb_path, """
        select product_key, count(*), count(distinct session_id) from gold.fct_web_events
        where event_type = 'product_view' and product_key is not null
        group by product_key order by product_key""")
    assert mongo == dbt and mongo
    ranks = _sql(synced.duckdb_path, "select view_rank, views from gold.nosql_most_viewed_products"
                                     " order by view_rank")
    assert [rank for rank, _ in ranks] == list(range(1, len(ranks) + 1))
    assert [views for _, views in ranks] == sorted((views for _, views in ranks), reverse=True)


def test_category_views_per_day_equal_fct_web_events(synced: Synced) -> None:
    mongo = _sql(synced.duckdb_path, """
        select view_date, category, views from gold.nosql_category_views_daily
        order by 1, 2 nulls first""")
    dbt = _sql(synced.duckdb_path, """
        select cast(events.event_at as date), products.category, count(*)
        from gold.fct_web_events as events
        left join gold.dim_products as products on products.product_key = events.product_key
        where events.event_type = 'product_view' and events.event_at is not null
        group by 1, 2 order by 1, 2 nulls first""")
    assert mongo == dbt and mongo


def test_check_passes_and_catches_a_lost_event(synced: Synced) -> None:
    report = check_against_dbt(synced.db, synced.duckdb_path)
    assert report.passed, report.mismatches
    assert report.compared["products"] > 0 and report.compared["funnel_figures"] == 9
    victim = next(doc for doc in event_documents(synced.db)
                  if doc["event_type"] == "product_view")
    (bucket,) = remove_events(synced.db, event_id=victim["_id"])
    try:
        broken = check_against_dbt(synced.db, synced.duckdb_path)
    finally:
        synced.db.events.replace_one({"_id": bucket["_id"]}, bucket)
    assert not broken.passed
    assert any(line.startswith("events total") for line in broken.mismatches)
    assert any(line.startswith("product_views") for line in broken.mismatches)


def test_profiles_are_complete(synced: Synced) -> None:
    truth = synced.manifest["truth"]
    profiles = synced.db.customer_profiles
    assert synced.profiles == truth["customers"] == profiles.count_documents({})
    totals = {"revenue": Decimal(0), "units": 0, "orders": 0}
    for doc in profiles.find({}, {"lifetime": 1, "recent_orders": 1}):
        lifetime = doc["lifetime"]
        totals["revenue"] += lifetime["revenue"].to_decimal()
        totals["units"] += lifetime["units"]
        totals["orders"] += lifetime["orders"]
        assert len(doc["recent_orders"]) == min(20, lifetime["orders"])
    assert totals == {"revenue": Decimal(truth["revenue"]), "units": truth["units"],
                      "orders": truth["orders"]}


def test_the_busiest_customer_embeds_the_20_latest_orders(synced: Synced) -> None:
    ((customer_key, orders),) = _sql(synced.duckdb_path, """
        select customer_key, count(distinct order_number) from gold.fct_sales
        group by 1 order by 2 desc, 1 limit 1""")
    expected = [number for (number,) in _sql(synced.duckdb_path, f"""
        select order_number from gold.fct_sales where customer_key = '{customer_key}'
        group by order_number order by min(order_date) desc nulls last, order_number desc
        limit 20""")]
    doc = synced.db.customer_profiles.find_one({"customer_key": customer_key})
    assert [order["order_number"] for order in doc["recent_orders"]] == expected
    assert doc["lifetime"]["orders"] == orders
    first = doc["recent_orders"][0]
    lines = _sql(synced.duckdb_path, f"""
        select products.product_name, sales.quantity, sales.sales_amount
        from gold.fct_sales as sales
        join gold.dim_products as products on products.product_key = sales.product_key
        where sales.order_number = '{first["order_number"]}'
        order by products.product_number""")
    assert [(line["product_name"], line["quantity"], line["sales_amount"].to_decimal())
            for line in first["lines"]] == lines
