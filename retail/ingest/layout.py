"""The raw extract layout (docs/architecture.md, "The raw extract"): files, headers, tables.

This is the single description of the input contract that validation, loading and the bronze
table definitions all read, so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SYSTEM_FOLDERS = ("source_crm", "source_erp", "source_web")

#: Load metadata columns every bronze table carries after its source columns. `_batch_id` names
#: the batch (lineage); `_batch_seq` orders it: the warehouse's ingestion sequence number given
#: the first time that batch id was ingested (1, 2, ...), kept when it is ingested again.
#: Incremental models compare batches by `_batch_seq`, never by the spelling of `_batch_id`.
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_batch_id", "VARCHAR"),
    ("_batch_seq", "BIGINT"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_ingested_at", "TIMESTAMPTZ"),
)

#: Fields extracted from each JSON line of `source_web/events.jsonl`, in table order.
WEB_EVENT_FIELDS = (
    "event_id",
    "session_id",
    "customer_id",
    "event_type",
    "product_key",
    "order_number",
    "payment_status",
    "ts",
    "device",
    "page_url",
)


@dataclass(frozen=True)
class SourceFile:
    """One file of the extract and the bronze table it lands in."""

    relpath: str
    table: str
    columns: tuple[str, ...]
    staging_model: str  # the silver model that keeps this table's rows (rejected_rows the rest)
    kind: Literal["csv", "jsonl"] = "csv"
    optional: bool = False

    @property
    def table_columns(self) -> tuple[str, ...]:
        """Source columns of the bronze table (web_events adds `_raw_line`)."""
        return self.columns + (("_raw_line",) if self.kind == "jsonl" else ())


def _cols(header: str) -> tuple[str, ...]:
    return tuple(name.lower() for name in header.split(","))


LAYOUT: tuple[SourceFile, ...] = (
    SourceFile(
        "source_crm/cust_info.csv",
        "crm_cust_info",
        _cols(
            "cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date"
        ),
        "stg_crm__customers",
    ),
    SourceFile(
        "source_crm/prd_info.csv",
        "crm_prd_info",
        _cols("prd_id,prd_key,prd_nm,prd_cost,prd_line,prd_start_dt,prd_end_dt"),
        "stg_crm__products",
    ),
    SourceFile(
        "source_crm/sales_details.csv",
        "crm_sales_details",
        _cols(
            "sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,"
            "sls_sales,sls_quantity,sls_price"
        ),
        "stg_crm__sales",
    ),
    SourceFile(
        "source_erp/CUST_AZ12.csv", "erp_cust_az12", _cols("CID,BDATE,GEN"), "stg_erp__customers"
    ),
    SourceFile("source_erp/LOC_A101.csv", "erp_loc_a101", _cols("CID,CNTRY"), "stg_erp__locations"),
    SourceFile(
        "source_erp/PX_CAT_G1V2.csv",
        "erp_px_cat_g1v2",
        _cols("ID,CAT,SUBCAT,MAINTENANCE"),
        "stg_erp__product_categories",
    ),
    SourceFile(
        "source_erp/RET_ORD_Q1.csv",
        "erp_ret_ord_q1",
        _cols("ORD_NUM,PRD_KEY,RET_DT,RET_QTY,REASON"),
        "stg_erp__returns",
        optional=True,
    ),
    SourceFile(
        "source_web/events.jsonl",
        "web_events",
        WEB_EVENT_FIELDS,
        "stg_web__events",
        kind="jsonl",
        optional=True,
    ),
)


def find_file(raw_dir: Path, relpath: str) -> Path | None:
    """The file for `relpath`, matching folder and file names case-insensitively.

    Real exports come from Windows tools that are loose about case (`cust_info.CSV`,
    `Source_CRM`); an exact match wins when there is one.
    """
    exact = raw_dir / relpath
    if exact.is_file():
        return exact
    current = raw_dir
    for part in relpath.split("/"):
        if not current.is_dir():
            return None
        matches = sorted(p for p in current.iterdir() if p.name.lower() == part.lower())
        if not matches:
            return None
        current = matches[0]
    return current if current.is_file() else None
