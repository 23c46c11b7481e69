"""Orphan rows of a real ERP extract keep the build green and every line in gold (issue 10).

A sales line whose product is in no product version, or whose only version is rejected, points
at dim_products' unknown member ('-1'); a line whose customer the CRM does not hold points at
an inferred member of dim_customers (same key the fact uses). A later batch that brings the
missing customer and products fixes the members in place, and the incremental run equals a
full rebuild. Expectations come from the hand-made rows of orphan_extract.py.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from gold_fixtures import FACT_KEYS, build, gold_checksums, ingest_all, query, settings_under
from orphan_extract import (
    BROKEN_PRODUCT,
    LATE_SALES,
    NOT_A_NUMBER,
    ORPHAN_CUSTOMER,
    ORPHAN_PRODUCT,
    SALES,
    WEB_ONLY_CUSTOMER,
    kept_sales,
    revenue_of,
    write_fix_batch,
    write_orphan_batch,
)

from retail.ingest.layout import LAYOUT
from retail.settings import Settings

STAGING_OF = {
    source.table: (f"bronze.{source.table}", f"silver.{source.staging_model}")
    for source in LAYOUT
}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def one(path: Path, sql: str) -> object:
    return query(path, sql)[0][0]


def line_keys(path: Path) -> dict[str, tuple[str, str]]:
    """order number -> (customer_key, product_key) of the single-line orders in fct_sales."""
    return {order: (customer, product) for order, customer, product in query(
        path, "select order_number, any_value(customer_key), any_value(product_key)"
              " from gold.fct_sales group by order_number having count(*) = 1")}


def assert_bronze_rows_are_kept_or_rejected(path: Path) -> None:
    for table, (bronze, staging) in STAGING_OF.items():
        bronze_rows = one(path, f"select count(*) from {bronze}")
        kept = one(path, f"select count(*) from {staging}")
        rejected = one(path, "select count(*) from silver.rejected_rows"
                             f" where source_table = '{table}'")
        assert bronze_rows == kept + rejected, table


def assert_relationships_hold(path: Path) -> None:
    for fact, column, dimension, key in FACT_KEYS:
        missing = one(path, f"select count(*) from gold.{fact} where {column} is not null"
                            f" and {column} not in (select {key} from gold.{dimension})")
        assert missing == 0, f"{fact}.{column} -> {dimension}"


def assert_sales_match(path: Path, rows: list[tuple[str, ...]]) -> None:
    """fct_sales holds every readable line once and its revenue is their sum of sls_sales."""
    assert one(path, "select count(*) from gold.fct_sales") == len(kept_sales(rows))
    assert one(path, "select sum(sales_amount) from gold.fct_sales") == revenue_of(rows)


@pytest.fixture(scope="module")
def orphan_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    root = tmp_path_factory.mktemp("orphans")
    batch = write_orphan_batch(root / "batch-0001")
    settings = settings_under(root / "warehouse")
    ingest_all(settings, [batch])
    build(settings, root / "target")  # the whole `dbt build`, tests included: raises on failure
    return settings, root


def test_orphan_lines_are_kept_and_the_build_is_green(
    orphan_warehouse: tuple[Settings, Path],
) -> None:
    path = orphan_warehouse[0].duckdb_path
    assert_bronze_rows_are_kept_or_rejected(path)
    assert_sales_match(path, SALES)
    assert_relationships_hold(path)
    lines = line_keys(path)
    assert lines["SO2"][1] == "-1"  # product number in no version
    assert lines["SO4"][1] == "-1"  # only version rejected (invalid start date)
    assert lines["SO3"][0] == md5(str(ORPHAN_CUSTOMER))
    unknown = query(path, "select product_id, product_number, product_name, category, cost,"
                          " is_current, is_unknown from gold.dim_products"
                          " where product_key = '-1'")
    assert unknown == [(-1, "n/a", "n/a", "n/a", None, False, True)]
    assert one(path, "select count(*) from gold.dim_products where is_unknown") == 1
    # the orphan lines have no known cost, hence no margin; the others do
    assert query(path, "select order_number, unit_cost, gross_margin from gold.fct_sales"
                       " where product_key = '-1' order by order_number") == [
        ("SO2", None, None), ("SO4", None, None)]


def test_unknown_customers_are_inferred_members(orphan_warehouse: tuple[Settings, Path]) -> None:
    path = orphan_warehouse[0].duckdb_path
    inferred = query(path, "select customer_key, customer_id, customer_number, first_name,"
                           " country, gender, is_inferred from gold.dim_customers"
                           " where is_inferred order by customer_id")
    assert inferred == [
        (md5(str(cid)), cid, None, None, "n/a", "n/a", True)
        for cid in sorted([WEB_ONLY_CUSTOMER, ORPHAN_CUSTOMER])
    ]
    assert one(path, "select count(*) from gold.dim_customers where not is_inferred") == 2
    # an inferred customer is a real customer: it has its lifetime figures
    assert one(path, "select revenue from gold.kpi_customer_lifetime"
                     f" where customer_id = {ORPHAN_CUSTOMER}") == Decimal("24")


def test_returns_and_kpis_follow_the_orphan_lines(orphan_warehouse: tuple[Settings, Path]) -> None:
    path = orphan_warehouse[0].duckdb_path
    assert query(path, "select customer_key, product_key, return_amount from gold.fct_returns"
                       " where order_number = 'SO2'") == [(md5("11001"), "-1", Decimal("30"))]
    total = revenue_of(SALES)
    assert one(path, "select sum(revenue) from gold.kpi_product_performance") == total
    assert one(path, "select revenue from gold.kpi_product_performance"
                     " where product_key = '-1'") == Decimal("70")  # SO2 30 + SO4 40


def test_rejects_say_what_is_wrong(orphan_warehouse: tuple[Settings, Path]) -> None:
    path = orphan_warehouse[0].duckdb_path
    reasons = {row[0] for row in query(path, "select reason from silver.rejected_rows")}
    assert (f"order line whose price cannot be derived: sls_price '{NOT_A_NUMBER}' is not a"
            f" number and sls_sales '{NOT_A_NUMBER}' is not a number") in reasons
    assert ("product version without a valid start date: prd_start_dt '2022-02-30' is not a"
            " date") in reasons
    assert not any("no price" in reason for reason in reasons)


def test_a_later_batch_fixes_the_members_and_equals_a_full_rebuild(tmp_path: Path) -> None:
    batches = [write_orphan_batch(tmp_path / "batch-0001"),
               write_fix_batch(tmp_path / "batch-0002")]
    incremental = settings_under(tmp_path / "incremental")
    ingest_all(incremental, batches[:1])
    build(incremental, tmp_path / "target-incremental")
    ingest_all(incremental, batches[1:])
    build(incremental, tmp_path / "target-incremental")
    path = incremental.duckdb_path

    lines = line_keys(path)
    assert lines["SO2"][1] == md5("5")  # ZZ-NOPE-99 arrived as prd_id 5
    assert lines["SO4"][1] == md5("4")  # RA-X1's corrected version
    assert lines["SO6"] == (md5(str(ORPHAN_CUSTOMER)), md5("5"))
    assert one(path, "select count(*) from gold.fct_sales where product_key = '-1'") == 0
    assert query(path, "select customer_key, first_name, is_inferred from gold.dim_customers"
                       f" where customer_id = {ORPHAN_CUSTOMER}") == [
        (md5(str(ORPHAN_CUSTOMER)), "Late", False)]
    assert query(path, "select product_number from gold.dim_products where product_id = 5") == [
        (ORPHAN_PRODUCT,)]
    assert query(path, "select product_number from gold.dim_products where product_id = 4") == [
        (BROKEN_PRODUCT,)]
    assert one(path, "select gross_margin from gold.fct_sales where order_number = 'SO2'") == 5
    assert_sales_match(path, SALES + LATE_SALES)
    assert_bronze_rows_are_kept_or_rejected(path)
    assert_relationships_hold(path)

    full = settings_under(tmp_path / "full")
    ingest_all(full, batches)
    build(full, tmp_path / "target-full")
    assert gold_checksums(path) == gold_checksums(full.duckdb_path)
