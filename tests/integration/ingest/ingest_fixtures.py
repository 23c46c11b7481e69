"""Hand-written extracts for the ingest tests, and an independent reading of what bronze holds.

The small extract below is written by hand so each tricky value (spaces, quotes, commas,
blank fields, malformed JSON) is visible in the test source. Expected values come from
Python's csv/json modules reading the same bytes, never from the loader itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

CUST_INFO = (
    "cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date\n"
    '11000,AW00011000, Jon ,"Yang, Jr",M,M,2025-10-06\n'
    '11001,AW00011001,"  Eugene","Huang  ",S,,2025-10-06\n'
    ",JUNK,,,,,\n"
    '11002,AW00011002,"Ru""by",Müller, ,F,2025-10-07\n'
)
PRD_INFO = (
    "prd_id,prd_key,prd_nm,prd_cost,prd_line,prd_start_dt,prd_end_dt\n"
    '210,CO-RF-FR-R92B-58,"HL Road Frame - Black, 58",,R ,2023-07-01,\n'
    "211,CO-RF-FR-R92R-58,HL Road Frame - Red- 58,12,R,2023-07-01,2007-12-28\n"
    '212,AC-BC-WH-W12,Wheel 12" (front),5,M,2023-07-01,\n'  # a bare quote inside is literal
)
SALES = (
    "sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,sls_sales,"
    "sls_quantity,sls_price\n"
    "SO43697,FR-R92B-58,11000,20241229,20250105,20250110,3578,1,3578\n"
    "SO43698,FR-R92R-58,11001,0,20250105,20250110,,2,-12\n"
    "SO43698,FR-R92B-58,11001,2024123,20250105,20250110,-5,1,\n"
)
CUST_AZ12 = "CID,BDATE,GEN\nNASAW00011000,1971-10-06,Male \nAW00011001,2099-01-01,  \n"
LOC_A101 = "CID,CNTRY\nAW-00011000,DE\nAW-00011001,\nAW-00011002, United States\n"
PX_CAT = "ID,CAT,SUBCAT,MAINTENANCE\nCO_RF,Components,Road Frames,Yes\n"
RET_ORD = 'ORD_NUM,PRD_KEY,RET_DT,RET_QTY,REASON\nSO43697,FR-R92B-58,2025-01-20,1,"Damaged, box"\n'
EVENTS = (
    '{"event_id":"e1","session_id":"s1","customer_id":11000,"event_type":"page_view",'
    '"product_key":null,"ts":"2025-01-01T10:00:00+01:00","device":" mobile ","page_url":"/"}\n'
    '{"event_id":"e2","session_id":"s1","customer_id":11000,"event_type":"purchase",'
    '"order_number":"SO43697","ts":"2025-01-01T10:05:00+01:00","page_url":"/über"}\n'
    '{"event_id":"e3","session_id":"s1","event_type":"payment_attempt",\n'
    '  not json at all, "quoted" \n'
    '{"event_id":"e4","event_type":"payment_attempt","payment_status":"failed","extra":{"a":1}}\n'
)

GOOD_EXTRACT: dict[str, str] = {
    "source_crm/cust_info.csv": CUST_INFO,
    "source_crm/prd_info.csv": PRD_INFO,
    "source_crm/sales_details.csv": SALES,
    "source_erp/CUST_AZ12.csv": CUST_AZ12,
    "source_erp/LOC_A101.csv": LOC_A101,
    "source_erp/PX_CAT_G1V2.csv": PX_CAT,
    "source_erp/RET_ORD_Q1.csv": RET_ORD,
    "source_web/events.jsonl": EVENTS,
}

TABLE_OF = {
    "source_crm/cust_info.csv": "crm_cust_info",
    "source_crm/prd_info.csv": "crm_prd_info",
    "source_crm/sales_details.csv": "crm_sales_details",
    "source_erp/CUST_AZ12.csv": "erp_cust_az12",
    "source_erp/LOC_A101.csv": "erp_loc_a101",
    "source_erp/PX_CAT_G1V2.csv": "erp_px_cat_g1v2",
    "source_erp/RET_ORD_Q1.csv": "erp_ret_ord_q1",
    "source_web/events.jsonl": "web_events",
}


def write_extract(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text or bytes) under `folder`; returns `folder`."""
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return folder


def csv_records(text: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Header (lower-cased) and records as Python's csv module reads them; '' means NULL."""
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    header = [name.strip().lower() for name in rows[0]]
    return header, [tuple(value if value != "" else None for value in row) for row in rows[1:]]


def bronze_rows(db: Path, table: str, columns: list[str], batch_id: str | None = None) -> list:
    """`columns` of a bronze table in (batch, line) order, read through a fresh connection."""
    where = "" if batch_id is None else "where _batch_id = ?"
    select = ", ".join(f'"{name}"' for name in columns)
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select {select} from bronze.{table} {where} order by _batch_id, _source_row",
            [] if batch_id is None else [batch_id],
        ).fetchall()


def snapshot(db: Path) -> dict[str, list]:
    """Every table of every schema with all its rows, sorted: equal snapshots = same warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "order by table_schema, table_name"
        ).fetchall()
        return {
            f"{schema}.{name}": sorted(
                con.execute(f'select * from "{schema}"."{name}"').fetchall(), key=repr
            )
            for schema, name in tables
        }
