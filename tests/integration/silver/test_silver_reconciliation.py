"""Nothing is lost: every bronze row is kept by its staging model or rejected, exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from silver_fixtures import RECONCILE_TEST, SILVER_RUN, STAGING_OF, Query

from retail.dbt import DbtError, run_dbt
from retail.settings import Settings
from retail.warehouse import connect


@pytest.mark.parametrize("bronze_table", sorted(STAGING_OF))
def test_every_bronze_row_is_kept_or_rejected_exactly_once(
    silver_query: Query, bronze_table: str
) -> None:
    staging = STAGING_OF[bronze_table]
    bronze_keys = f"select _batch_id, _source_row from bronze.{bronze_table}"
    accounted_keys = f"""
        select _batch_id, _source_row from silver.{staging}
        union all
        select batch_id, source_row from silver.rejected_rows
        where source_table = '{bronze_table}'
    """
    assert silver_query(f"({bronze_keys}) except all ({accounted_keys})") == []
    assert silver_query(f"({accounted_keys}) except all ({bronze_keys})") == []

    (bronze_rows,) = silver_query(f"select count(*) from bronze.{bronze_table}")[0]
    (kept_rows,) = silver_query(f"select count(*) from silver.{staging}")[0]
    (rejected,) = silver_query(
        f"select count(*) from silver.rejected_rows where source_table = '{bronze_table}'"
    )[0]
    assert bronze_rows > 0
    assert bronze_rows == kept_rows + rejected


def test_reconciliation_test_catches_a_row_counted_twice(
    warehouse_copy: Settings, dbt_target: Path
) -> None:
    """The dbt singular test is not vacuous: a bronze line present twice makes it fail."""
    con = connect(warehouse_copy.duckdb_path)
    try:
        con.execute(
            "insert into bronze.erp_loc_a101 "
            "select * from bronze.erp_loc_a101 order by _source_row limit 1"
        )
    finally:
        con.close()
    run_dbt(SILVER_RUN, warehouse_copy, target_path=dbt_target)
    with pytest.raises(DbtError, match="assert_bronze_rows_reconcile"):
        run_dbt(RECONCILE_TEST, warehouse_copy, target_path=dbt_target)
