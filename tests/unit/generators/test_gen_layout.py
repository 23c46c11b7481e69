"""Layout contract of a generated extract: files, exact headers, row counts, parseable lines."""

from __future__ import annotations

import json
from pathlib import Path

from genfiles import KNOWN_TYPES, parse_events

# Headers of the public extract (README "Point it at your own extract"), written out here
# independently of the generator and of retail/ingest/layout.py.
EXPECTED_HEADERS = {
    "source_crm/cust_info.csv":
        "cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date",
    "source_crm/prd_info.csv": "prd_id,prd_key,prd_nm,prd_cost,prd_line,prd_start_dt,prd_end_dt",
    "source_crm/sales_details.csv": "sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,"
                                    "sls_ship_dt,sls_due_dt,sls_sales,sls_quantity,sls_price",
    "source_erp/CUST_AZ12.csv": "CID,BDATE,GEN",
    "source_erp/LOC_A101.csv": "CID,CNTRY",
    "source_erp/PX_CAT_G1V2.csv": "ID,CAT,SUBCAT,MAINTENANCE",
    "source_erp/RET_ORD_Q1.csv": "ORD_NUM,PRD_KEY,RET_DT,RET_QTY,REASON",
}
EVENT_KEYS = {"event_id", "session_id", "customer_id", "event_type", "product_key", "ts",
              "device", "page_url"}  # always present; order_number/payment_status when relevant


def test_exactly_the_documented_files(small_extract: Path) -> None:
    files = sorted(str(p.relative_to(small_extract)) for p in small_extract.rglob("*")
                   if p.is_file())
    assert files == sorted([*EXPECTED_HEADERS, "source_web/events.jsonl", "manifest.json"])
    leftovers = [p.name for p in small_extract.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "the staging folder must be gone after a successful run"


def test_headers_and_field_counts(small_extract: Path) -> None:
    for rel, header in EXPECTED_HEADERS.items():
        raw = (small_extract / rel).read_bytes()
        assert raw.endswith(b"\n") and b"\r" not in raw and b'"' not in raw, rel
        lines = raw.decode("utf-8").splitlines()
        assert lines[0] == header, rel
        assert len(lines) > 1, f"{rel} has no records"
        width = header.count(",")
        bad = [i for i, line in enumerate(lines, 1) if line.count(",") != width]
        assert bad == [], f"{rel}: lines with a wrong field count: {bad[:5]}"


def test_manifest_row_counts_and_bytes(small_extract: Path, manifest_of) -> None:
    manifest = manifest_of(small_extract)
    for rel, info in manifest["files"].items():
        path = small_extract / rel
        lines = path.read_bytes().count(b"\n")
        header = 0 if rel.endswith(".jsonl") else 1
        assert info["rows"] == lines - header, rel
        assert info["bytes"] == path.stat().st_size, rel
        assert manifest["row_counts"][rel] == info["rows"]
    assert manifest["seed"] == 11 and manifest["scale"] == 0.05 and manifest["batch"] == 0
    assert manifest["generator_version"]
    assert set(manifest["truth"]) == {
        "order_lines", "orders", "customers", "current_products", "revenue", "units",
        "online_orders", "failed_payments", "returned_units"}


def test_events_are_json_objects_with_the_documented_keys(small_extract: Path) -> None:
    events, malformed = parse_events(small_extract)
    assert len(events) > 100
    assert all(EVENT_KEYS <= set(e) <= EVENT_KEYS | {"order_number", "payment_status"}
               for e in events)
    known = [e for e in events if e["event_type"] in KNOWN_TYPES]
    assert {e["event_type"] for e in known} == KNOWN_TYPES
    for e in known:
        assert e["ts"].endswith("+00:00") and len(e["ts"]) == 25
        assert ("order_number" in e) == (e["event_type"] == "purchase")
        assert ("payment_status" in e) == (e["event_type"] == "payment_attempt")
        assert e.get("payment_status") in (None, "success", "failed")
        assert e["customer_id"] is None or isinstance(e["customer_id"], int)
    assert json.loads(json.dumps(events[0])) == events[0]
