"""Helpers for the MongoDB tests: settings under a tmp folder, JSONL input, a hand-made gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retail.settings import Settings


def settings_under(root: Path, mongodb_uri: str | None = None) -> Settings:
    """Settings whose every path is under `root`; MongoDB is embedded unless a URI is given."""
    return Settings.rooted_at(root, **({"MONGODB_URI": mongodb_uri} if mongodb_uri else {}))


def write_events(extract: Path, lines: list[Any]) -> Path:
    """Write `source_web/events.jsonl`: dicts become JSON, str/bytes lines are written as is."""
    path = extract / "source_web" / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = [
        line if isinstance(line, bytes)
        else (line if isinstance(line, str) else json.dumps(line)).encode()
        for line in lines
    ]
    path.write_bytes(b"".join(line + b"\n" for line in encoded))
    return path


def event(event_id: str, event_type: str = "page_view", **fields: Any) -> dict[str, Any]:
    """A valid event record as the generator writes it."""
    record = {
        "event_id": event_id, "session_id": "s1", "customer_id": None, "event_type": event_type,
        "product_key": None, "order_number": None, "payment_status": None,
        "ts": "2024-03-01T10:00:00+00:00", "device": "desktop", "page_url": "/",
    }
    record.update(fields)
    return record


HAND_MADE_GOLD = """
create schema gold;
create table gold.dim_products as select * from (values
    ('k-p1-old', 1, 'P1', 'Road Bike 1 (old)', 'BI_RB', 'Bikes', 'Road Bikes', false),
    ('k-p1', 2, 'P1', 'Road Bike 1', 'BI_RB', 'Bikes', 'Road Bikes', true),
    ('k-p2', 3, 'P2', 'Helmet', 'AC_HE', 'Accessories', 'Helmets', true)
) as t(product_key, product_id, product_number, product_name, category_id, category,
       subcategory, is_current);
create table gold.dim_customers as select * from (values
    ('k-c1', 11000, 'AW00011000', 'Ann', 'Lee', 'Germany', 'Single', 'Female',
     date '1980-05-01', date '2020-01-01'),
    ('k-c2', 11001, 'AW00011001', 'Bo', 'Kim', 'France', 'Married', 'Male', null,
     date '2021-02-03'),
    ('k-c3', 11002, 'AW00011002', 'Cy', 'Ng', 'n/a', 'n/a', 'n/a', null, date '2022-03-04')
) as t(customer_key, customer_id, customer_number, first_name, last_name, country,
       marital_status, gender, birthdate, create_date);
create table gold.fct_sales (
    order_number varchar, customer_key varchar, product_key varchar, order_date date,
    ship_date date, quantity integer, unit_price decimal(18, 2),
    sales_amount decimal(18, 2), gross_margin decimal(18, 2), channel varchar
);
-- Ann: 25 one-line orders SO100..SO124 on consecutive days (only the last 20 are embedded)
insert into gold.fct_sales
select 'SO' || (100 + n), 'k-c1', 'k-p2', date '2024-01-01' + n::integer,
       date '2024-01-08' + n::integer, 1, 10.25, 10.25, 4.00, 'Store'
from range(25) as r(n);
-- Bo: one online order with two lines, one of them on the old product version
insert into gold.fct_sales values
    ('SO200', 'k-c2', 'k-p1-old', date '2023-06-01', null, 2, 5.50, 11.00, 3.00, 'Online'),
    ('SO200', 'k-c2', 'k-p2', date '2023-06-01', null, 1, 10.25, 10.25, 4.00, 'Online');
"""

HAND_MADE_SEGMENTS = """
create table gold.customer_segments as select * from (values
    ('k-c1', 11000, 256.25, 'High', 'Champions')
) as t(customer_key, customer_id, monetary_value, value_tier, rfm_segment);
"""


def hand_made_gold(duckdb_path: Path, *, with_segments: bool = True) -> Path:
    """A tiny gold schema with the gold contract columns the profiles use (models/marts/core;
    figures by construction)."""
    import duckdb

    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute(HAND_MADE_GOLD)
        if with_segments:
            con.execute(HAND_MADE_SEGMENTS)
    return duckdb_path


def write_headers_only(extract: Path) -> Path:
    """The required CRM/ERP files with their header alone: an extract of web events only."""
    from retail.ingest.layout import LAYOUT

    for source in LAYOUT:
        if source.kind == "csv" and not source.optional:
            path = extract / source.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(",".join(_HEADERS[source.table]) + "\n")
    return extract


# the headers as the source systems spell them (the layout keeps them lower-cased)
_HEADERS = {
    "crm_cust_info": ["cst_id", "cst_key", "cst_firstname", "cst_lastname",
                      "cst_marital_status", "cst_gndr", "cst_create_date"],
    "crm_prd_info": ["prd_id", "prd_key", "prd_nm", "prd_cost", "prd_line", "prd_start_dt",
                     "prd_end_dt"],
    "crm_sales_details": ["sls_ord_num", "sls_prd_key", "sls_cust_id", "sls_order_dt",
                          "sls_ship_dt", "sls_due_dt", "sls_sales", "sls_quantity", "sls_price"],
    "erp_cust_az12": ["CID", "BDATE", "GEN"],
    "erp_loc_a101": ["CID", "CNTRY"],
    "erp_px_cat_g1v2": ["ID", "CAT", "SUBCAT", "MAINTENANCE"],
}


def ingest_events(duckdb_path: Path, extract: Path, lines: list[Any] | None) -> Path:
    """Ingest a batch (folder name = batch id) holding these event lines (None: no web file)."""
    from retail.ingest import ingest_extract

    write_headers_only(extract)
    if lines is not None:
        write_events(extract, lines)
    ingest_extract(extract, duckdb_path, progress=False)
    return duckdb_path


def event_documents(db: Any) -> list[dict[str, Any]]:
    """The events `events` holds, by event_id, each as one flat dict: its bucket's `batch_id`,
    `session_id` (and `customer_id` when the bucket holds it) merged into the event
    sub-document, `_id` = event_id. Read straight from the bucket documents."""
    flat = []
    for bucket in db.events.find():
        shared = {name: bucket[name] for name in ("batch_id", "session_id", "customer_id")
                  if name in bucket}
        for sub in bucket["events"]:
            record = {**shared, **sub}
            record["_id"] = record.pop("event_id")
            flat.append(record)
    return sorted(flat, key=lambda record: record["_id"])


def event_document(db: Any, event_id: str) -> dict[str, Any] | None:
    """The event with this event_id (see `event_documents`); None when absent."""
    found = [record for record in event_documents(db) if record["_id"] == event_id]
    assert len(found) <= 1, f"{event_id} stored {len(found)} times"
    return found[0] if found else None


def remove_events(db: Any, **fields: Any) -> list[dict[str, Any]]:
    """Remove the events whose sub-document has these field values from their buckets (by
    hand, as a user editing `events` would, rewriting the bucket's summaries as the module
    asks); returns the buckets as they were before."""
    from retail.nosql.events import bucket_summary

    before = []
    for bucket in db.events.find():
        kept = [sub for sub in bucket["events"]
                if any(sub.get(name) != value for name, value in fields.items())]
        if len(kept) != len(bucket["events"]):
            before.append(bucket)
            db.events.replace_one({"_id": bucket["_id"]},
                                  {**bucket, "events": kept, "n": len(kept),
                                   **bucket_summary(kept)})
    return before
