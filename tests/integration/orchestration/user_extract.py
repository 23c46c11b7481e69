"""A hand-made ERP/CRM extract shaped like a real export, not like the generator's output.

What a real source system sends and the generator does not: Windows line endings, a quoted
name with a comma, a return reason that spans two lines inside quotes, sales lines whose
customer or product the master data does not know (orphans), a product whose only version has
an impossible start date, invalid order dates, a quantity that is not a number, no web events
in the first delivery; later deliveries re-send master data, correct earlier lines and bring
the missing customer. Each batch is plain Python data, and `expected_gold` computes what gold
must hold from that data alone, with the documented silver rules, never from the warehouse.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

CUSTOMER_HEADER = ("cst_id", "cst_key", "cst_firstname", "cst_lastname",
                   "cst_marital_status", "cst_gndr", "cst_create_date")
PRODUCT_HEADER = ("prd_id", "prd_key", "prd_nm", "prd_cost", "prd_line", "prd_start_dt",
                  "prd_end_dt")
SALES_HEADER = ("sls_ord_num", "sls_prd_key", "sls_cust_id", "sls_order_dt", "sls_ship_dt",
                "sls_due_dt", "sls_sales", "sls_quantity", "sls_price")

CUSTOMERS = [
    ("11000", "AW00011000", "Jon", "Yang", "M", "M", "2024-10-06"),
    ("11001", "AW00011001", " Eugene", "Huang ", "S", "M", "2024-10-07"),
    ("11002", "AW00011002", "Ruben", "Torres", "M", "M", "2024-10-08"),
    ("11003", "AW00011003", "Christy", "Zhu", "S", "F", "2024-10-09"),
    ("11004", "AW00011004", "Elizabeth", "Johnson", "S", "F", "2024-10-10"),
    ("11005", "AW00011005", "Julio", "Ruiz", "S", "M", "2024-10-11"),
    ("11006", "AW00011006", "Janet", "Alvarez", "S", "F", "2024-10-12"),
    ("11007", "AW00011007", "Marco", "Mehta, Jr.", "M", "M", "2024-10-13"),
    ("11007", "AW00011007", "Marco", "Mehta", "", "", "2024-09-01"),  # earlier partial version
    ("", "SF566", "", "", "", "", ""),  # junk row a CRM export carries
]
#: arrives with the second delivery: the customer the first delivery's sales already named
LATE_CUSTOMER = ("11999", "AW00011999", "Ana", "Lopez", "M", "F", "2025-11-01")

PRODUCTS = [
    ("210", "BI-RB-BK-R93R-62", "Road-150 Red- 62", "2171", "R ", "2023-01-01", ""),
    ("211", "BI-MB-BK-M82S-44", "Mountain-100 Silver- 44", "1912", "M ", "2023-01-01",
     "2023-12-31"),
    ("212", "BI-MB-BK-M82S-44", "Mountain-100 Silver- 44", "1980", "M ", "2024-01-01", ""),
    ("213", "AC-HE-HL-U509-R", "Sport-100 Helmet- Red", "13", "S ", "2023-01-01", ""),
    ("214", "CL-JE-LJ-0192-M", "Long-Sleeve Logo Jersey- M", "38", "S ", "2022-02-30", ""),
]
CATEGORIES = [
    ("BI_RB", "Bikes", "Road Bikes", "Yes"),
    ("BI_MB", "Bikes", "Mountain Bikes", "Yes"),
    ("AC_HE", "Accessories", "Helmets", "No"),
    ("CL_JE", "Clothing", "Jerseys", "No"),
]
ERP_CUSTOMERS = [
    ("NASAW00011000", "1971-10-06", "Male"),
    ("AW00011001", "1976-05-10", "M"),
    ("AW00011003", "1973-02-15", "Female"),
    ("AW00011004", "2099-01-01", " "),
]
LOCATIONS = [
    ("AW-00011000", "Australia"), ("AW-00011001", "US"), ("AW-00011002", "DE"),
    ("AW-00011003", "United Kingdom"), ("AW-00011004", ""),
]


def sale(order: str, product: str, customer: str, day: str, quantity: str, price: str) -> tuple:
    """A sales line as an ERP writes it: sales = quantity x price, ship/due a few days later."""
    sales = str(int(quantity) * int(price)) if quantity.isdigit() else price
    ship = str(int(day) + 7) if day.isdigit() and len(day) == 8 else "0"
    return (order, product, customer, day, ship, ship, sales, quantity, price)


WEEK_9_SALES = [
    sale("SO70001", "BK-R93R-62", "11000", "20251103", "1", "3578"),
    sale("SO70001", "HL-U509-R", "11000", "20251103", "2", "35"),
    sale("SO70002", "BK-M82S-44", "11001", "20251103", "1", "3400"),
    sale("SO70003", "HL-U509-R", "11999", "20251104", "1", "35"),  # customer not in CRM yet
    sale("SO70004", "ZZ-NOPE-99", "11002", "20251104", "3", "20"),  # product in no prd_info
    sale("SO70005", "LJ-0192-M", "11003", "20251105", "2", "50"),  # only version: bad start
    sale("SO70006", "BK-M82S-44", "11004", "20251305", "1", "3400"),  # invalid order date
    sale("SO70007", "HL-U509-R", "11005", "20251106", "x", "35"),  # quantity not a number
    sale("SO70008", "BK-R93R-62", "11007", "20251107", "1", "3578"),
]
#: The second delivery: re-sends SO70002 with a corrected quantity, adds new orders.
WEEK_10_SALES = [
    sale("SO70002", "BK-M82S-44", "11001", "20251103", "2", "3400"),
    sale("SO70009", "BK-R93R-62", "11006", "20251110", "1", "3578"),
    sale("SO70010", "HL-U509-R", "11999", "20251111", "4", "35"),
    sale("SO70011", "BK-M82S-44", "11002", "20251112", "1", "3400"),
]
#: The third delivery: one new order.
WEEK_11_SALES = [
    sale("SO70012", "HL-U509-R", "11003", "20251118", "3", "35"),
]
WEEK_9_RETURNS = [
    ("SO70001", "HL-U509-R", "2025-11-20", "1", "Damaged,\nbox crushed"),
]


def _event(number: int, session: str, customer: int | None, kind: str, **extra) -> dict:
    return {"event_id": f"00000000-0000-4000-8000-{number:012d}", "session_id": session,
            "customer_id": customer, "event_type": kind, "product_key": extra.get("product"),
            "order_number": extra.get("order"), "payment_status": extra.get("payment"),
            "ts": f"2025-11-1{number % 3}T10:{number:02d}:00+01:00", "device": "desktop",
            "page_url": "/shop"}


WEEK_10_EVENTS = [
    _event(1, "S1", 11006, "page_view"),
    _event(2, "S1", 11006, "product_view", product="BK-R93R-62"),
    _event(3, "S1", 11006, "add_to_cart", product="BK-R93R-62"),
    _event(4, "S1", 11006, "checkout_start"),
    _event(5, "S1", 11006, "payment_attempt", payment="success"),
    _event(6, "S1", 11006, "purchase", order="SO70009"),
    _event(7, "S2", None, "page_view"),
    _event(8, "S2", None, "product_view", product="HL-U509-R"),
    _event(9, "S3", 11002, "product_view", product="BK-M82S-44"),
    _event(10, "S3", 11002, "payment_attempt", payment="failed"),
]
WEEK_11_EVENTS = [
    _event(21, "S5", 11003, "product_view", product="HL-U509-R"),
    _event(22, "S5", 11003, "purchase", order="SO70012"),
]
#: lines of events.jsonl that silver and MongoDB must reject, each for its own reason
BAD_EVENT_LINES = [
    '{"event_id": "broken',  # not JSON
    json.dumps({**_event(11, "S4", None, "hover"), "event_id": "x-11"}),  # unknown type
    json.dumps(_event(2, "S1", 11006, "product_view", product="BK-R93R-62")),  # duplicate
]


@dataclass
class Batch:
    """One delivery: the rows of each file (header excluded), events as JSON lines."""

    name: str
    customers: list[tuple] = field(default_factory=lambda: list(CUSTOMERS))
    sales: list[tuple] = field(default_factory=list)
    returns: list[tuple] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    bad_event_lines: list[str] = field(default_factory=list)

    def write(self, root: Path) -> Path:
        folder = root / self.name
        _csv(folder / "source_crm" / "cust_info.csv", CUSTOMER_HEADER, self.customers)
        _csv(folder / "source_crm" / "prd_info.csv", PRODUCT_HEADER, PRODUCTS)
        _csv(folder / "source_crm" / "sales_details.csv", SALES_HEADER, self.sales)
        _csv(folder / "source_erp" / "CUST_AZ12.csv", ("CID", "BDATE", "GEN"), ERP_CUSTOMERS)
        _csv(folder / "source_erp" / "LOC_A101.csv", ("CID", "CNTRY"), LOCATIONS)
        _csv(folder / "source_erp" / "PX_CAT_G1V2.csv", ("ID", "CAT", "SUBCAT", "MAINTENANCE"),
             CATEGORIES)
        if self.returns:
            _csv(folder / "source_erp" / "RET_ORD_Q1.csv",
                 ("ORD_NUM", "PRD_KEY", "RET_DT", "RET_QTY", "REASON"), self.returns)
        if self.events or self.bad_event_lines:
            lines = [json.dumps(event) for event in self.events] + self.bad_event_lines
            path = folder / "source_web" / "events.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return folder

    @property
    def valid_event_ids(self) -> list[str]:
        return [event["event_id"] for event in self.events]


def _csv(path: Path, header: tuple, rows: list[tuple]) -> None:
    """CRLF line endings and minimal quoting, as Windows ERP exports write them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def week_9() -> Batch:
    return Batch("week-9", sales=list(WEEK_9_SALES), returns=list(WEEK_9_RETURNS))


def week_10(events: list[dict] | None = None) -> Batch:
    """Named so that it sorts before `week-9` as text, though it comes later."""
    return Batch("week-10", customers=[*CUSTOMERS, LATE_CUSTOMER], sales=list(WEEK_10_SALES),
                 events=list(WEEK_10_EVENTS if events is None else events),
                 bad_event_lines=list(BAD_EVENT_LINES))


def week_11() -> Batch:
    """A third delivery: one new order, bought online in a new session."""
    return Batch("week-11", customers=[*CUSTOMERS, LATE_CUSTOMER], sales=list(WEEK_11_SALES),
                 events=list(WEEK_11_EVENTS))


@dataclass(frozen=True)
class Expected:
    order_lines: int
    orders: int
    units: int
    revenue: Decimal
    returned_units: int
    web_events: int
    online_orders: int


def expected_gold(batches: list[Batch]) -> Expected:
    """What gold must hold for these deliveries, in delivery order, from the rules in README:
    a line without a positive integer quantity is rejected; the latest delivery of an order
    line wins; orphan customers and products and invalid dates keep the line; the first
    copy of an event wins; an order with a purchase event is online."""
    lines: dict[tuple[str, str], tuple] = {}
    for batch in batches:
        for line in batch.sales:
            if line[7].isdigit() and int(line[7]) > 0:
                lines[(line[0], line[1])] = line
    events: dict[str, dict] = {}
    for batch in batches:
        for event in batch.events:
            events.setdefault(event["event_id"], event)
    online = {e["order_number"] for e in events.values() if e["event_type"] == "purchase"}
    returned = sum(int(r[3]) for batch in batches for r in batch.returns)
    return Expected(
        order_lines=len(lines),
        orders=len({order for order, _ in lines}),
        units=sum(int(line[7]) for line in lines.values()),
        revenue=sum((Decimal(line[6]) for line in lines.values()), Decimal(0)),
        returned_units=returned,
        web_events=len(events),
        online_orders=len(online & {order for order, _ in lines}),
    )
