"""Segmentation of the shared tiny generated warehouse (generator + ingest + dbt build).

Works on a copy of the warehouse file: segmenting rebuilds gold.customer_segments, and the
session fixture belongs to every area's tests.
"""

from __future__ import annotations

import shutil

import duckdb
from segmentation_fixtures import settings_under

from retail.dbt import run_dbt
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
