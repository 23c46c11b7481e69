"""Segmentation of the shared tiny generated warehouse (generator + ingest + dbt build).

Works on a copy of the warehouse file: segmenting rebuilds gold.customer_segments, and the
session fixture belongs to every area's tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from segmentation_fixtures import settings_under

from generators import generate_followon
from retail.dbt import run_dbt
from retail.ingest import ingest_extract
from retail.segmentation import run_segmentation


def test_generated_warehouse_segments_hold_the_truth(spark, built_warehouse, tmp_path) -> None:
    settings = settings_under(tmp_path)
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(built_warehouse.duckdb_path, settings.duckdb_path)

    result = run_segmentation(settings, spark=spark)
    # dbt rebuilds the two models and runs their tests, including the DuckDB percentile check.
    run_dbt(["build", "--select", "tag:segmentation",
             "assert_segment_tiers_match_duckdb_percentiles"],
            settings, target_path=tmp_path / "dbt")

    truth = built_warehouse.extract.manifest["truth"]
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        gross, customers, tiers_total = con.execute(
            "select sum(gross_revenue), count(*), (select sum(customers) "
            "from gold.kpi_customer_tiers) from gold.customer_segments").fetchone()
        purchasing = con.execute("select count(distinct customer_key) from gold.fct_sales "
                                 "where customer_key is not null").fetchone()[0]
        latest_order = con.execute("select max(order_date) from gold.fct_sales").fetchone()[0]
    finally:
        con.close()
    assert gross == truth["revenue"]  # every sale is attributed to exactly one customer
    assert customers == purchasing == result.customers == tiers_total
    assert 0 < customers <= truth["customers"]
    assert result.reference_date == latest_order
    assert set(result.tier_counts) == {"High", "Medium", "Low"}


def _test_status(target: Path, test_name: str) -> str:
    results = json.loads((target / "run_results.json").read_text())["results"]
    (status,) = [r["status"] for r in results if r["unique_id"].endswith(f".{test_name}")]
    return status


def test_new_sales_after_segmentation_warn_as_stale_and_build_stays_green(
    spark, built_warehouse, tmp_path
) -> None:
    """`retail ingest` + `dbt build` without `retail segment`: the cross-check still holds
    (it recomputes from the snapshot Spark scored), the freshness test warns, dbt exits 0."""
    settings = settings_under(tmp_path)
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(built_warehouse.duckdb_path, settings.duckdb_path)
    run_segmentation(settings, spark=spark)
    fresh = tmp_path / "dbt-fresh"
    run_dbt(["build", "--select", "tag:segmentation"], settings, target_path=fresh)
    assert _test_status(fresh, "assert_customer_segments_are_current") == "pass"

    followon = generate_followon(built_warehouse.extract.path, days=20,
                                 out=tmp_path / "batch-0002")
    before = built_warehouse.extract.manifest["truth"]["order_lines"]
    assert followon["truth"]["order_lines"] > before
    ingest_extract(tmp_path / "batch-0002", settings.duckdb_path)
    stale = tmp_path / "dbt-stale"
    run_dbt(["build"], settings, target_path=stale)  # raises DbtError on any error
    assert _test_status(stale, "assert_customer_segments_are_current") == "warn"
    assert _test_status(stale, "assert_segment_tiers_match_duckdb_percentiles") == "pass"
