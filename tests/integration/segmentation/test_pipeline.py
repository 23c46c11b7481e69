"""run_segmentation end to end on a real DuckDB gold layer, checked against DuckDB itself."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from segmentation_fixtures import random_gold, settings_under, write_gold

from retail.dbt import DbtError, run_dbt
from retail.errors import RetailError
from retail.segmentation import run_segmentation
from retail.segmentation.scoring import SEGMENT_COLUMNS

DBT_SELECTION = ["tag:segmentation", "assert_segment_tiers_match_duckdb_percentiles"]

# Independent of both Spark and window functions: the percentile rank is counted directly as
# "customers with a strictly lower net value / (customers - 1)", and so are the score ranks.
EXPECTED_SQL = """
with customer_sales as (
    select customer_key, sum(sales_amount) as gross, count(distinct order_number) as frequency,
           max(order_date) as last_order
    from gold.fct_sales group by customer_key
), customer_returns as (
    select customer_key, sum(return_amount) as returned from gold.fct_returns group by customer_key
), metrics as (
    select s.customer_key, s.gross - coalesce(r.returned, 0) as monetary, s.frequency,
           (select max(last_order) from customer_sales) - s.last_order as recency
    from customer_sales s left join customer_returns r using (customer_key)
), counted as (
    select m.*,
        (select count(*) from metrics o where o.monetary < m.monetary) as m_below,
        (select count(*) from metrics o where o.frequency < m.frequency) as f_below,
        (select count(*) from metrics o
          where (m.recency is null and false) or (m.recency is not null
                 and (o.recency is null or o.recency > m.recency))) as r_below,
        (select count(*) from metrics) as n
    from metrics m
)
select customer_key, monetary, frequency, recency,
       case when n = 1 then 0.0 else m_below / (n - 1) end as percentile_rank,
       least(5, 1 + floor(5 * r_below / greatest(n - 1, 1)))::int as r_score,
       least(5, 1 + floor(5 * f_below / greatest(n - 1, 1)))::int as f_score,
       least(5, 1 + floor(5 * m_below / greatest(n - 1, 1)))::int as m_score
from counted
"""


def _read_segments(output_dir: Path) -> dict[str, tuple]:
    rows = duckdb.sql(
        f"select customer_key, monetary_value, frequency, recency_days, percentile_rank, "
        f"r_score, f_score, m_score, value_tier, rfm_segment "
        f"from read_parquet('{output_dir}/*.parquet')"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.fixture(scope="module")
def segmented(spark, tmp_path_factory):
    settings = settings_under(tmp_path_factory.mktemp("segmented"))
    random_gold(settings.duckdb_path)
    return settings, run_segmentation(settings, spark=spark)


def test_every_purchasing_customer_agrees_with_duckdb(segmented) -> None:
    settings, result = segmented
    got = _read_segments(result.output_dir)
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    expected = {row[0]: row[1:] for row in con.execute(EXPECTED_SQL).fetchall()}
    con.close()

    assert set(got) == set(expected) and result.customers == len(expected) == 270
    for key, (monetary, frequency, recency, rank, r, f, m) in expected.items():
        spark_row = got[key]
        assert spark_row[:3] == (monetary, frequency, recency), key
        assert spark_row[3] == pytest.approx(rank, abs=1e-12), key
        assert spark_row[4:7] == (r, f, m), key
        tier = ("Low" if monetary <= 0 else "High" if rank >= 0.8
                else "Medium" if rank >= 0.5 else "Low")
        assert spark_row[7] == tier, key
        assert (spark_row[8] == "Refunded") == (monetary <= 0), key
    assert sum(result.tier_counts.values()) == result.customers
    # the fixture has refunded customers and ties, so both paths above were exercised
    assert result.segment_counts["Refunded"] >= 10
    assert len({row[0] for row in got.values()}) < len(got)


def test_tiers_agree_with_duckdb_quantiles(segmented) -> None:
    """DuckDB's quantile_cont interpolates at position q * (n - 1), the same scale as
    percent_rank, so a value strictly above quantile_cont(q) has percent_rank >= q and one
    strictly below has percent_rank < q. (Equal to it: decided by ties, checked above.)"""
    settings, result = segmented
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    high, medium = con.execute(
        f"select quantile_cont(monetary, 0.8), quantile_cont(monetary, 0.5) from ({EXPECTED_SQL})"
    ).fetchone()
    con.close()
    checked = 0
    for monetary, *_rest, tier, _segment in _read_segments(result.output_dir).values():
        if monetary <= 0:
            assert tier == "Low"
            continue
        above_high, below_high = monetary > high, monetary < high
        above_medium, below_medium = monetary > medium, monetary < medium
        if above_high:
            assert tier == "High"
        if below_high and above_medium:
            assert tier == "Medium"
        if below_medium:
            assert tier == "Low"
        checked += above_high or (below_high and above_medium) or below_medium
    assert checked > 0.9 * result.customers  # few customers sit exactly on a quantile


def test_dbt_models_on_the_segments_and_the_duckdb_check(segmented, tmp_path) -> None:
    settings, result = segmented
    run_dbt(["build", "--select", *DBT_SELECTION], settings, target_path=tmp_path / "dbt")
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        rows = con.execute("select count(*), sum(monetary_value) from gold.customer_segments"
                           ).fetchone()
        kpi = con.execute("select value_tier, customers, revenue, revenue_share "
                          "from gold.kpi_customer_tiers order by tier_order").fetchall()
        # every ratio column of the two models, as gold stores it (4 decimal places)
        ratios = con.execute(
            "select percentile_rank from gold.customer_segments union all "
            "select unnest([customer_share, revenue_share, min_percentile_rank]) "
            "from gold.kpi_customer_tiers").fetchall()
    finally:
        con.close()
    assert rows[0] == result.customers
    assert [row[0] for row in kpi] == ["High", "Medium", "Low"]
    tiers = ("High", "Medium", "Low")
    assert [row[1] for row in kpi] == [result.tier_counts.get(tier, 0) for tier in tiers]
    assert sum(row[2] for row in kpi) == rows[1]
    # shares are rounded to 4 places each, so three of them sum to 1 within 1.5e-4
    assert sum(row[3] for row in kpi) == pytest.approx(1.0, abs=1.5e-4)
    assert len(ratios) == result.customers + 9
    assert all(r is None or round(r, 4) == r for (r,) in ratios)
    assert any(r is not None and round(r, 2) != r for (r,) in ratios)  # not all trivial

    # The DuckDB check must be able to fail: with other thresholds Spark's tiers disagree.
    with pytest.raises(DbtError, match="assert_segment_tiers_match_duckdb_percentiles"):
        run_dbt(["test", "--select", "assert_segment_tiers_match_duckdb_percentiles",
                 "--vars", "{segmentation_high_percentile: 0.95}"],
                settings, target_path=tmp_path / "dbt")


def test_empty_gold_gives_an_empty_typed_segments_table(spark, tmp_path) -> None:
    settings = settings_under(tmp_path)
    write_gold(settings.duckdb_path, ["cust-1", "cust-2"], sales=[], returns=[])
    # Before any Spark run there is no Parquet: the dbt models build empty (checked below).
    run_dbt(["build", "--select", *DBT_SELECTION], settings, target_path=tmp_path / "dbt")
    result = run_segmentation(settings, spark=spark)
    assert (result.customers, result.tier_counts, result.reference_date) == (0, {}, None)
    described = duckdb.sql(
        f"describe select * from read_parquet('{result.output_dir}/*.parquet')").fetchall()
    duck_types = {"string": "VARCHAR", "int": "INTEGER", "decimal(18,2)": "DECIMAL(18,2)",
                  "date": "DATE", "double": "DOUBLE"}
    assert [(row[0], row[1]) for row in described] == [
        (name, duck_types[kind]) for name, kind in SEGMENT_COLUMNS]
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        assert con.execute("select count(*) from gold.customer_segments").fetchone() == (0,)
        assert con.execute("select sum(customers) from gold.kpi_customer_tiers").fetchone() == (0,)
    finally:
        con.close()


def _files(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (segments and the scored input snapshot) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_failed_run_leaves_the_last_good_output(spark, tmp_path) -> None:
    settings = settings_under(tmp_path)
    random_gold(settings.duckdb_path, customers=40, seed=11)
    first = run_segmentation(settings, spark=spark)
    before = _files(first.output_dir)

    # A failure inside Spark: two lines of 9e15 overflow the DECIMAL(18,2) monetary value
    # (Spark 4 runs in ANSI mode, so the cast raises instead of writing NULL).
    con = duckdb.connect(str(settings.duckdb_path))
    con.execute("insert into gold.fct_sales (order_number, customer_key, order_date, "
                "sales_amount) values ('BIG1', 'cust-00000', date '2025-01-01', 9e15), "
                "('BIG2', 'cust-00000', date '2025-01-02', 9e15)")
    con.close()
    with pytest.raises(RetailError, match=r"the Spark job failed \(given\)"):
        run_segmentation(settings, spark=spark)
    assert _files(first.output_dir) == before

    # A failure before Spark: a gold table is missing.
    con = duckdb.connect(str(settings.duckdb_path))
    con.execute("drop table gold.fct_returns")
    con.close()
    with pytest.raises(RetailError, match="gold.fct_returns"):
        run_segmentation(settings, spark=spark)

    assert _files(first.output_dir) == before
    assert [p.name for p in settings.segments_dir.parent.iterdir()] == ["customer_segments"]
