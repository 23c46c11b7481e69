"""Independent readers of a generated extract for the tests (no generator code used).

CSV files are read with DuckDB as all-VARCHAR tables (blank fields NULL), JSONL with `json`.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

CSV_FILES = {
    "cust_info": "source_crm/cust_info.csv",
    "prd_info": "source_crm/prd_info.csv",
    "sales": "source_crm/sales_details.csv",
    "cust_az12": "source_erp/CUST_AZ12.csv",
    "loc_a101": "source_erp/LOC_A101.csv",
    "px_cat": "source_erp/PX_CAT_G1V2.csv",
    "returns": "source_erp/RET_ORD_Q1.csv",
}
KNOWN_TYPES = {"page_view", "product_view", "add_to_cart", "checkout_start", "payment_attempt",
               "purchase"}


def connect(*extracts: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per CSV file, over all given extracts (unioned)."""
    con = duckdb.connect()
    for name, rel in CSV_FILES.items():
        files = ", ".join(f"'{e / rel}'" for e in extracts)
        con.execute(
            f"create view {name} as select * from read_csv([{files}], header=true, "
            "all_varchar=true, quote='\"', auto_detect=true, null_padding=false)"
        )
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def web_lines(extract: Path) -> list[str]:
    return (extract / "source_web/events.jsonl").read_text(encoding="utf-8").splitlines()


def parse_events(extract: Path) -> tuple[list[dict], int]:
    """(parsed objects in file order, number of malformed lines)."""
    parsed, malformed = [], 0
    for line in web_lines(extract):
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            malformed += 1
    return parsed, malformed


def valid_events(extract: Path) -> list[dict]:
    """Deduplicated (first copy of each event_id), known-type events."""
    seen: set[str] = set()
    out = []
    for event in parse_events(extract)[0]:
        if event["event_type"] in KNOWN_TYPES and event["event_id"] not in seen:
            seen.add(event["event_id"])
            out.append(event)
    return out
