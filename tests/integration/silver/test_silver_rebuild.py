"""Re-runs change nothing; a follow-on batch accumulates without duplicating anything."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from silver_fixtures import RECONCILE_TEST, SILVER_RUN, STAGING_OF, querier, silver_snapshot

from retail.dbt import run_dbt
from retail.ingest import ingest_extract
from retail.settings import Settings


def test_reingest_and_rebuild_change_nothing(
    warehouse_copy: Settings, built_warehouse, dbt_target: Path
) -> None:
    query = querier(warehouse_copy.duckdb_path)
    before = silver_snapshot(query)
    # the same files loaded again (unchanged files are not loaded unless forced)
    ingest_extract(built_warehouse.extract.path, warehouse_copy.duckdb_path, force=True)
    run_dbt(SILVER_RUN, warehouse_copy, target_path=dbt_target)
    assert silver_snapshot(query) == before


def test_followon_batch_accumulates(
    warehouse_copy: Settings, built_warehouse, dbt_target: Path, tmp_path: Path
) -> None:
    """Silver over two batches matches the follow-on manifest's cumulative truth; files sent
    again in full (products, categories) keep one row per key, the later copy."""
    from generators import generate_followon

    first = built_warehouse.extract
    second_path = tmp_path / "landing" / "batch-0002"
    second = generate_followon(first.path, 30, second_path)
    ingest_extract(second_path, warehouse_copy.duckdb_path)
    run_dbt(SILVER_RUN, warehouse_copy, target_path=dbt_target)
    run_dbt(RECONCILE_TEST, warehouse_copy, target_path=dbt_target)
    query = querier(warehouse_copy.duckdb_path)

    truth = second["truth"]
    assert query("select count(*) from silver.stg_crm__customers")[0][0] == truth["customers"]
    assert query("select count(*), sum(sales_amount), sum(quantity) "
                 "from silver.stg_crm__sales")[0] == (
        truth["order_lines"], truth["revenue"], truth["units"])
    assert query("select count(*) from silver.stg_crm__products where is_current")[0][0] == (
        truth["current_products"])
    assert query("select count(*) from silver.stg_web__events where event_type = "
                 "'payment_attempt' and payment_status = 'failed'")[0][0] == (
        truth["failed_payments"])

    rows = second["row_counts"]
    assert query("select count(*), count(*) filter (where _batch_id = 'batch-0002') "
                 "from silver.stg_crm__products")[0] == (
        rows["source_crm/prd_info.csv"], rows["source_crm/prd_info.csv"])
    superseded_products = query(
        "select count(*) from silver.rejected_rows where source_table = 'crm_prd_info' "
        "and reason like 'superseded product version%'")[0][0]
    assert superseded_products == first.manifest["row_counts"]["source_crm/prd_info.csv"]

    defects_1, defects_2 = Counter(first.manifest["defects"]), Counter(second["defects"])
    superseded_customers = query(
        "select count(*) from silver.rejected_rows where source_table = 'crm_cust_info' "
        "and reason like 'superseded customer%'")[0][0]
    assert superseded_customers == (
        defects_1["crm_partial_duplicate"] + defects_2["crm_partial_duplicate"]
        + second["updated_customers"])
    for bronze_table, staging in STAGING_OF.items():
        bronze_rows = query(f"select count(*) from bronze.{bronze_table}")[0][0]
        kept = query(f"select count(*) from silver.{staging}")[0][0]
        rejected = query("select count(*) from silver.rejected_rows "
                         f"where source_table = '{bronze_table}'")[0][0]
        assert bronze_rows == kept + rejected, bronze_table


def test_optional_files_absent_leave_their_models_empty(
    warehouse_copy: Settings, dbt_target: Path
) -> None:
    """Without returns and web events (empty bronze tables) silver still builds and reconciles."""
    from retail.warehouse import connect

    con = connect(warehouse_copy.duckdb_path)
    try:
        con.execute("delete from bronze.erp_ret_ord_q1")
        con.execute("delete from bronze._web_event_lines")  # bronze.web_events is its view
    finally:
        con.close()
    run_dbt(SILVER_RUN, warehouse_copy, target_path=dbt_target)
    run_dbt(RECONCILE_TEST, warehouse_copy, target_path=dbt_target)
    query = querier(warehouse_copy.duckdb_path)
    assert query("select count(*) from silver.stg_erp__returns")[0][0] == 0
    assert query("select count(*) from silver.stg_web__events")[0][0] == 0
    assert query("select count(*) from silver.stg_crm__sales")[0][0] > 0
