"""Silver against the generator's manifest: row counts, truth figures, and every injected
defect repaired (counted in bronze by its own symptom, gone in silver)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from silver_fixtures import Query


def _one(query: Query, sql: str):
    return query(sql)[0][0]


def test_staging_row_counts_match_the_manifest(silver_query: Query, built_warehouse) -> None:
    manifest = built_warehouse.extract.manifest
    rows, truth = manifest["row_counts"], manifest["truth"]
    defects = Counter(manifest["defects"])
    expected = {
        "stg_crm__customers": truth["customers"],
        "stg_crm__products": rows["source_crm/prd_info.csv"],
        "stg_crm__sales": truth["order_lines"],
        "stg_erp__customers": rows["source_erp/CUST_AZ12.csv"],
        "stg_erp__locations": rows["source_erp/LOC_A101.csv"],
        "stg_erp__product_categories": rows["source_erp/PX_CAT_G1V2.csv"],
        "stg_erp__returns": rows["source_erp/RET_ORD_Q1.csv"],
        "stg_web__events": rows["source_web/events.jsonl"] - defects["web_duplicate"]
        - defects["web_malformed"] - defects["web_unknown_type"],
    }
    actual = {model: _one(silver_query, f"select count(*) from silver.{model}")
              for model in expected}
    assert actual == expected
    assert rows["source_crm/sales_details.csv"] == truth["order_lines"]


def test_silver_reproduces_the_truth(silver_query: Query, built_warehouse) -> None:
    truth = built_warehouse.extract.manifest["truth"]
    revenue, units, orders = silver_query(
        "select sum(sales_amount), sum(quantity), count(distinct order_number) "
        "from silver.stg_crm__sales")[0]
    assert (revenue, units, orders) == (truth["revenue"], truth["units"], truth["orders"])
    assert _one(silver_query, "select count(*) from silver.stg_crm__products "
                              "where is_current") == truth["current_products"]
    assert _one(silver_query, "select count(*) from silver.stg_web__events where event_type = "
                              "'payment_attempt' and payment_status = 'failed'") == (
        truth["failed_payments"])
    assert _one(silver_query, "select count(distinct order_number) from silver.stg_web__events "
                              "where event_type = 'purchase'") == truth["online_orders"]
    assert _one(silver_query, "select sum(return_quantity) from silver.stg_erp__returns") == (
        truth["returned_units"])


def test_names_are_trimmed(silver_query: Query, built_warehouse) -> None:
    defects = Counter(built_warehouse.extract.manifest["defects"])
    padded_in_bronze = _one(silver_query, """
        select count(*) filter (where cst_firstname <> trim(cst_firstname))
             + count(*) filter (where cst_lastname <> trim(cst_lastname))
        from bronze.crm_cust_info""")
    assert padded_in_bronze == defects["crm_name_spaces"] > 0
    assert _one(silver_query, "select count(*) from silver.stg_crm__customers where "
                              "first_name <> trim(first_name) or last_name <> trim(last_name)") == 0


def test_crm_codes_are_mapped(silver_query: Query, built_warehouse) -> None:
    defects = Counter(built_warehouse.extract.manifest["defects"])
    gender_na, marital_na = silver_query(
        "select count(*) filter (where gender = 'n/a'), count(*) filter (where marital_status "
        "= 'n/a') from silver.stg_crm__customers")[0]
    assert (gender_na, marital_na) == (defects["crm_blank_gender"], defects["crm_blank_marital"])
    assert _one(silver_query, "select count(*) from silver.stg_crm__products "
                              "where product_line = 'n/a'") == defects["crm_prd_line_blank"]


def test_erp_ids_are_normalised_to_the_crm_key(silver_query: Query, built_warehouse) -> None:
    defects = Counter(built_warehouse.extract.manifest["defects"])
    assert _one(silver_query, "select count(*) from bronze.erp_cust_az12 where cid like 'NAS%'") \
        == defects["erp_nas_prefix"] > 0
    for model in ("stg_erp__customers", "stg_erp__locations"):
        unmatched = _one(silver_query, f"""
            select count(*) from silver.{model} as erp
            anti join silver.stg_crm__customers as crm
                on erp.customer_number = crm.customer_number""")
        assert unmatched == 0, model


def test_erp_values_are_cleaned(silver_query: Query, built_warehouse) -> None:
    defects = Counter(built_warehouse.extract.manifest["defects"])
    assert _one(silver_query, "select count(*) from silver.stg_erp__customers "
                              "where birthdate is null") == defects["erp_future_birthdate"]
    assert _one(silver_query, "select count(*) from silver.stg_erp__locations "
                              "where country = 'n/a'") == defects["erp_country_blank"]
    assert _one(silver_query, "select count(*) from silver.stg_erp__locations "
                              "where country in ('US', 'USA', 'DE')") == 0
    assert _one(silver_query, "select count(*) from silver.stg_erp__customers "
                              "where gender not in ('Male', 'Female', 'n/a')") == 0


def test_invalid_sales_dates_are_null_and_the_lines_kept(
    silver_query: Query, built_warehouse
) -> None:
    defects = Counter(built_warehouse.extract.manifest["defects"])
    no_order_date, no_ship_date = silver_query(
        "select count(*) filter (where order_date is null), "
        "count(*) filter (where ship_date is null) from silver.stg_crm__sales")[0]
    assert no_order_date == defects["crm_order_date_zero"] + defects["crm_order_date_bad"] > 0
    assert no_ship_date == defects["crm_ship_date_bad"]


def test_product_validity_follows_the_next_version(silver_query: Query) -> None:
    """valid_to / is_current recomputed here in Python from the bronze start dates."""
    bronze = silver_query(
        "select prd_id::integer, substr(prd_key, 7), prd_start_dt::date from bronze.crm_prd_info")
    starts: dict[str, list[tuple[date, int]]] = {}
    for product_id, number, start in bronze:
        starts.setdefault(number, []).append((start, product_id))
    expected = {}
    for versions in starts.values():
        versions.sort()
        for (_start, product_id), following in zip(versions, [*versions[1:], None], strict=True):
            valid_to = None if following is None else following[0] - timedelta(days=1)
            expected[product_id] = (valid_to, following is None)
    actual = {product_id: (valid_to, is_current) for product_id, valid_to, is_current in
              silver_query("select product_id, valid_to, is_current from silver.stg_crm__products")}
    assert actual == expected
