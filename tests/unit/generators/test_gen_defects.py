"""Every defect kind counted in the manifest equals what an independent parser finds in the files.

Uses an extract with every rate raised to at least 5%, so each kind occurs and a miscount
cannot hide behind zero.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from genfiles import KNOWN_TYPES, connect, parse_events, scalar, web_lines

EIGHT_DIGITS = "regexp_full_match(coalesce({c}, ''), '[0-9]{{8}}')"


def count_csv_defects(extract: Path) -> dict[str, int]:
    con = connect(extract)
    latest = """(select * from cust_info where cst_id is not null qualify row_number()
                 over (partition by cst_id order by cst_create_date desc) = 1)"""
    valid = {c: EIGHT_DIGITS.format(c=c) for c in ("sls_order_dt", "sls_ship_dt", "sls_due_dt")}
    queries = {
        "crm_name_spaces": "select count(*) filter (where cst_firstname <> trim(cst_firstname)) "
                           "+ count(*) filter (where cst_lastname <> trim(cst_lastname)) "
                           "from cust_info",
        "crm_blank_gender": f"select count(*) from {latest} where cst_gndr is null",
        "crm_blank_marital": f"select count(*) from {latest} where cst_marital_status is null",
        "crm_partial_duplicate": "select count(cst_id) - count(distinct cst_id) from cust_info",
        "crm_junk_row": "select count(*) from cust_info where cst_id is null",
        "crm_prd_end_before_start": "select count(*) from prd_info where prd_end_dt < prd_start_dt",
        "crm_prd_line_space": "select count(*) from prd_info where prd_line like '% '",
        "crm_prd_line_blank": "select count(*) from prd_info where prd_line is null",
        "crm_prd_blank_cost": "select count(*) from prd_info where prd_cost is null",
        "crm_sales_blank": "select count(*) from sales where sls_sales is null",
        "crm_sales_zero": "select count(*) from sales where cast(sls_sales as bigint) = 0",
        "crm_sales_negative": "select count(*) from sales where cast(sls_sales as bigint) < 0",
        "crm_sales_mismatch": "select count(*) from sales where cast(sls_sales as bigint) > 0 "
                              "and cast(sls_price as bigint) <> 0 and "
                              "cast(sls_sales as bigint) <> cast(sls_quantity as bigint) "
                              "* abs(cast(sls_price as bigint))",
        "crm_price_blank": "select count(*) from sales where sls_price is null",
        "crm_price_zero": "select count(*) from sales where cast(sls_price as bigint) = 0",
        "crm_price_negative": "select count(*) from sales where cast(sls_price as bigint) < 0",
        "crm_order_date_zero": "select count(*) from sales where sls_order_dt = '0'",
        "crm_order_date_bad": f"select count(*) from sales where sls_order_dt <> '0' "
                              f"and not {valid['sls_order_dt']}",
        "crm_ship_date_bad": f"select count(*) from sales where not {valid['sls_ship_dt']}",
        "crm_ship_before_order": f"select count(*) from sales where {valid['sls_order_dt']} "
                                 f"and {valid['sls_ship_dt']} and sls_ship_dt < sls_order_dt",
        "crm_due_before_order": f"select count(*) from sales where {valid['sls_order_dt']} "
                                f"and sls_due_dt < sls_order_dt",
        "erp_nas_prefix": "select count(*) from cust_az12 where CID like 'NAS%'",
        "erp_future_birthdate": f"select count(*) from cust_az12 where BDATE > '{date.today()}'",
        "erp_gender_variant": "select count(*) from cust_az12 where GEN is null "
                              "or GEN not in ('Male', 'Female')",
        "erp_loc_dash": "select count(*) from loc_a101 where CID like 'AW-%'",
        "erp_country_code": "select count(*) from loc_a101 where CNTRY in ('US', 'USA', 'DE')",
        "erp_country_blank": "select count(*) from loc_a101 where CNTRY is null",
    }
    return {name: scalar(con, sql) for name, sql in queries.items()}


def count_web_defects(extract: Path) -> dict[str, int]:
    events, malformed = parse_events(extract)
    seen: set[str] = set()
    duplicates = unknown = backwards = 0
    previous_ts = ""
    for event in events:
        if event["event_id"] in seen:
            duplicates += 1
        seen.add(event["event_id"])
        unknown += event["event_type"] not in KNOWN_TYPES
        backwards += event["ts"] < previous_ts  # same offset everywhere: text order is time order
        previous_ts = event["ts"]
    return {"web_duplicate": duplicates, "web_malformed": malformed,
            "web_unknown_type": unknown, "web_out_of_order": backwards}


def test_every_defect_count_matches_the_files(defective_extract: Path, manifest_of) -> None:
    found = {**count_csv_defects(defective_extract), **count_web_defects(defective_extract)}
    declared = manifest_of(defective_extract)["defects"]
    assert found == declared
    assert all(count > 0 for count in declared.values()), declared


def test_default_rates_match_too(small_extract: Path, manifest_of) -> None:
    found = {**count_csv_defects(small_extract), **count_web_defects(small_extract)}
    assert found == manifest_of(small_extract)["defects"]


def test_duplicates_are_exact_copies_and_malformed_lines_are_extra(small_extract: Path) -> None:
    lines = web_lines(small_extract)
    events, _ = parse_events(small_extract)
    by_id: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith('{"event_id":"') and line.endswith("}"):
            by_id.setdefault(line[13:49], set()).add(line)
    assert all(len(copies) == 1 for copies in by_id.values())
    truncated = [line for line in lines if not line.endswith("}")]
    assert truncated and all(any(e["event_id"].startswith(t[13:]) for e in events)
                             for t in truncated), "each malformed line copies a real event"


def test_every_configurable_rate_has_its_manifest_count(small_extract: Path, manifest_of) -> None:
    from dataclasses import fields

    from generators.config import DefectRates

    counted = set(manifest_of(small_extract)["defects"])
    for rate in fields(DefectRates):
        assert {f"crm_{rate.name}", f"erp_{rate.name}", rate.name} & counted, rate.name
