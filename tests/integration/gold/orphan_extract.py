"""A hand-made CRM/ERP extract with the orphans a real ERP export has, and the later batch that
brings what was missing.

Batch 1 (`write_orphan_batch`): two CRM customers, three products; sales lines that name
- a product number that is in no product version (ZZ-NOPE-99),
- a customer id the CRM does not hold (99999),
- a product whose only version has an impossible start date (RA-X1, 2022-02-30),
- a price and sales amount written with a thousands separator ("2,908": not a number),
plus a return of the orphan-product line and a web event from another unknown customer
(99998). Batch 2 (`write_fix_batch`) re-sends the lists with customer 99999, product
ZZ-NOPE-99 and a valid version of RA-X1, and one new order.

The rows are plain data here so that tests compute their expectations from them.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

SALES_HEADER = ("sls_ord_num", "sls_prd_key", "sls_cust_id", "sls_order_dt", "sls_ship_dt",
                "sls_due_dt", "sls_sales", "sls_quantity", "sls_price")
CUSTOMER_HEADER = ("cst_id", "cst_key", "cst_firstname", "cst_lastname", "cst_marital_status",
                   "cst_gndr", "cst_create_date")
PRODUCT_HEADER = ("prd_id", "prd_key", "prd_nm", "prd_cost", "prd_line", "prd_start_dt",
                  "prd_end_dt")

ORPHAN_PRODUCT = "ZZ-NOPE-99"
BROKEN_PRODUCT = "RA-X1"  # its only version starts on 2022-02-30
ORPHAN_CUSTOMER = 99999
WEB_ONLY_CUSTOMER = 99998
NOT_A_NUMBER = "2,908"

CUSTOMERS = [
    ("11000", "AW00011000", "Thibaut", "Barre", "M", "M", "2023-01-10"),
    ("11001", "AW00011001", "Cynthia", "Yates", "S", "F", "2023-01-11"),
]
LATE_CUSTOMER = (str(ORPHAN_CUSTOMER), "AW00099999", "Late", "Arrival", "S", "F", "2023-02-01")

PRODUCTS = [
    ("1", "BI-RB-BK-R1-48", "Road Bike R1 48", "500", "R", "2023-01-01", ""),
    ("2", "AC-HE-HL-U1", "Helmet U1", "10", "S", "2023-01-01", "2023-05-31"),
    ("3", "AC-HE-HL-U1", "Helmet U1", "12", "S", "2023-06-01", ""),
    ("4", "AC-BR-RA-X1", "Bike Rack X1", "40", "S", "2022-02-30", ""),
]
LATE_PRODUCTS = [
    ("4", "AC-BR-RA-X1", "Bike Rack X1", "40", "S", "2022-02-28", ""),  # corrected version
    ("5", f"AC-BR-{ORPHAN_PRODUCT}", "Bike Rack ZZ", "25", "S", "2023-01-01", ""),
]

SALES = [
    ("SO1", "BK-R1-48", "11000", "20230301", "20230305", "20230310", "500", "1", "500"),
    ("SO1", "HL-U1", "11000", "20230301", "20230305", "20230310", "20", "2", "10"),
    ("SO2", ORPHAN_PRODUCT, "11001", "20230302", "20230306", "20230311", "30", "1", "30"),
    ("SO3", "HL-U1", str(ORPHAN_CUSTOMER), "20230701", "20230705", "20230710", "24", "2", "12"),
    ("SO4", BROKEN_PRODUCT, "11001", "20230401", "20230405", "20230410", "40", "1", "40"),
    ("SO5", "BK-R1-48", "11000", "20230402", "20230406", "20230411", NOT_A_NUMBER, "1",
     NOT_A_NUMBER),
]
LATE_SALES = [
    ("SO6", ORPHAN_PRODUCT, str(ORPHAN_CUSTOMER), "20230801", "20230805", "20230810", "50", "2",
     "25"),
]

ERP_CUSTOMERS = [("AW00011000", "1980-05-01", "Male"), ("AW00011001", "1985-07-02", "Female")]
LOCATIONS = [("AW-00011000", "Germany"), ("AW-00011001", "France")]
CATEGORIES = [
    ("BI_RB", "Bikes", "Road Bikes", "Yes"),
    ("AC_HE", "Accessories", "Helmets", "No"),
    ("AC_BR", "Accessories", "Bike Racks", "Yes"),
]
RETURNS = [("SO2", ORPHAN_PRODUCT, "2023-04-01", "1", "Defective")]
EVENTS = [
    {"event_id": "6f1c2d1e-0000-4000-8000-000000000001", "session_id": "S1",
     "customer_id": WEB_ONLY_CUSTOMER, "event_type": "page_view", "product_key": None,
     "ts": "2023-03-01T10:00:00+00:00", "device": "desktop", "page_url": "/shop"},
]


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")  # quotes "2,908" as a CSV export does
        writer.writerow(header)
        writer.writerows(rows)


def _write_batch(out: Path, customers: list, products: list, sales: list,
                 returns: list, events: list[dict]) -> Path:
    _write_csv(out / "source_crm" / "cust_info.csv", CUSTOMER_HEADER, customers)
    _write_csv(out / "source_crm" / "prd_info.csv", PRODUCT_HEADER, products)
    _write_csv(out / "source_crm" / "sales_details.csv", SALES_HEADER, sales)
    _write_csv(out / "source_erp" / "CUST_AZ12.csv", ("CID", "BDATE", "GEN"), ERP_CUSTOMERS)
    _write_csv(out / "source_erp" / "LOC_A101.csv", ("CID", "CNTRY"), LOCATIONS)
    _write_csv(out / "source_erp" / "PX_CAT_G1V2.csv", ("ID", "CAT", "SUBCAT", "MAINTENANCE"),
               CATEGORIES)
    _write_csv(out / "source_erp" / "RET_ORD_Q1.csv",
               ("ORD_NUM", "PRD_KEY", "RET_DT", "RET_QTY", "REASON"), returns)
    events_file = out / "source_web" / "events.jsonl"
    events_file.parent.mkdir(parents=True, exist_ok=True)
    events_file.write_text("".join(json.dumps(event) + "\n" for event in events),
                           encoding="utf-8")
    return out


def write_orphan_batch(out: Path) -> Path:
    """Batch 1: the orphans (see the module docstring)."""
    return _write_batch(out, CUSTOMERS, PRODUCTS, SALES, RETURNS, EVENTS)


def write_fix_batch(out: Path) -> Path:
    """Batch 2: the whole lists again with the missing customer and products, one new order."""
    products = [row for row in PRODUCTS if row[0] != "4"] + LATE_PRODUCTS
    return _write_batch(out, CUSTOMERS + [LATE_CUSTOMER], products, LATE_SALES, [], [])


def number(text: str) -> Decimal | None:
    """The amount a CSV field holds, None when it is not a plain number."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def kept_sales(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The lines whose money is readable (all others in these files are otherwise clean)."""
    return [row for row in rows if number(row[6]) is not None and number(row[8]) is not None]


def revenue_of(rows: list[tuple[str, ...]]) -> Decimal:
    """Sum of sls_sales of the lines kept."""
    return sum((number(row[6]) for row in kept_sales(rows)), Decimal(0))
