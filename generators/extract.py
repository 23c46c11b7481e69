"""Write one batch (first extract or follow-on) into a folder, chunk by chunk.

Sales, returns and web events are generated per chunk of consecutive days (each chunk from
its own random streams), customers per block of ids after the sales (their create date
precedes their first order), then the small product files and, last, `manifest.json`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from generators.config import CUSTOMERS_PER_CHUNK, FIRST_CUSTOMER_ID, ORDERS_PER_CHUNK
from generators.customers import customers_for, order_weights
from generators.plan import BatchPlan
from generators.rand import stream
from generators.render_customers import CUST_INFO_HEADER, cust_info_columns
from generators.render_erp import (
    CUST_AZ12_HEADER,
    LOC_A101_HEADER,
    cust_az12_columns,
    loc_a101_columns,
)
from generators.render_products import (
    PRD_INFO_HEADER,
    PX_CAT_HEADER,
    prd_info_columns,
    px_cat_columns,
)
from generators.render_sales import RETURNS_HEADER, SALES_HEADER, returns_columns, sales_columns
from generators.render_web import web_lines
from generators.sales import build_sales_chunk, day_weights
from generators.textout import LineFile
from generators.truth import Truth, check_sums
from generators.web import build_events

FILES = {
    "cust_info": ("source_crm/cust_info.csv", CUST_INFO_HEADER),
    "prd_info": ("source_crm/prd_info.csv", PRD_INFO_HEADER),
    "sales": ("source_crm/sales_details.csv", SALES_HEADER),
    "cust_az12": ("source_erp/CUST_AZ12.csv", CUST_AZ12_HEADER),
    "loc_a101": ("source_erp/LOC_A101.csv", LOC_A101_HEADER),
    "px_cat": ("source_erp/PX_CAT_G1V2.csv", PX_CAT_HEADER),
    "returns": ("source_erp/RET_ORD_Q1.csv", RETURNS_HEADER),
    "events": ("source_web/events.jsonl", None),
}


def day_chunks(orders_per_day: np.ndarray) -> list[slice]:
    """Consecutive day ranges holding at most about ORDERS_PER_CHUNK orders each."""
    bounds = np.searchsorted(np.cumsum(orders_per_day),
                             np.arange(ORDERS_PER_CHUNK, orders_per_day.sum(), ORDERS_PER_CHUNK),
                             side="right")
    edges = [0, *sorted(set(int(b) for b in bounds) - {0, len(orders_per_day)}),
             len(orders_per_day)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


class BatchWriter:
    def __init__(self, plan: BatchPlan, folder: Path) -> None:
        self.plan = plan
        self.files = {k: LineFile(folder / path, header) for k, (path, header) in FILES.items()}
        self.defects: Counter = Counter()
        self.truth = Truth()
        self.product_numbers = pa.array(plan.catalog.number)
        self.all_ids = np.arange(FIRST_CUSTOMER_ID, plan.first_customer_id + plan.new_customers)
        self.first_order = np.full(plan.new_customers, np.iinfo(np.int64).max)
        self.sessions = 0
        self.updated = 0

    def _rng(self, *keys: str | int) -> np.random.Generator:
        return stream(self.plan.seed, *keys, self.plan.batch)

    def orders_per_day(self) -> np.ndarray:
        weights = day_weights(self.plan.days)
        return self._rng("orders_per_day").multinomial(self.plan.orders, weights / weights.sum())

    def write_sales_chunk(self, i: int, days: np.ndarray, per_day: np.ndarray, first_seq: int,
                          customer_cdf: np.ndarray, product_cdf: np.ndarray) -> None:
        plan, cfg = self.plan, self.plan.config
        chunk = build_sales_chunk(self._rng("sales", i), days, per_day, first_seq, self.all_ids,
                                  customer_cdf, plan.catalog, product_cdf, cfg.business,
                                  plan.last_day)
        check_sums(chunk)
        events = build_events(self._rng("web", i), chunk, plan.first_session + self.sessions,
                              (FIRST_CUSTOMER_ID, int(self.all_ids[-1]) + 1), plan.catalog,
                              product_cdf, cfg.business)
        self.sessions += int(len(np.unique(events.session)))
        self.truth.add_chunk(chunk, events)
        rng = self._rng("defects", i)
        self.files["sales"].write_csv(
            sales_columns(rng, chunk, self.product_numbers, cfg.defects, self.defects))
        self.files["returns"].write_csv(returns_columns(chunk, self.product_numbers))
        self.files["events"].write_lines(
            web_lines(rng, events, self.product_numbers, cfg.defects, self.defects))
        new = chunk.o_customer >= plan.first_customer_id
        idx = chunk.o_customer[new] - plan.first_customer_id
        np.minimum.at(self.first_order, idx, chunk.o_day[new])

    def write_customers(self, block: int, ids: np.ndarray) -> None:
        plan, rates = self.plan, self.plan.config.defects
        rng = self._rng("customers", block)
        cust = customers_for(plan.seed, ids)
        first = self.first_order[ids - plan.first_customer_id]
        lead = rng.geometric(1 / 45, len(ids)) - 1
        earliest = plan.first_day - 365 if plan.batch == 0 else plan.first_day
        never = rng.integers(earliest, plan.last_day + 1, len(ids))
        ordered = first < np.iinfo(np.int64).max
        created = np.where(ordered, first - lead, never)
        if plan.batch:
            created = np.where(ordered, np.maximum(created, plan.first_day), created)
        self.files["cust_info"].write_csv(cust_info_columns(rng, cust, created, rates,
                                                            self.defects))
        self.files["cust_az12"].write_csv(cust_az12_columns(rng, cust, rates, self.defects))
        self.files["loc_a101"].write_csv(loc_a101_columns(rng, cust, rates, self.defects))

    def write_updated_customers(self) -> None:
        """New complete versions of existing customers (follow-on batches only)."""
        plan = self.plan
        if not plan.updated_customers:
            return
        rng = self._rng("updated_customers")
        existing = plan.first_customer_id - FIRST_CUSTOMER_ID
        ids = np.sort(rng.choice(existing, plan.updated_customers, replace=False))
        ids = ids + FIRST_CUSTOMER_ID
        created = rng.integers(plan.first_day, plan.last_day + 1, len(ids))
        self.files["cust_info"].write_csv(cust_info_columns(
            rng, customers_for(plan.seed, ids), created, plan.config.defects, self.defects,
            update_marital=True))
        self.updated = len(ids)

    def write_products(self) -> None:
        self.files["prd_info"].write_csv(prd_info_columns(
            self.plan.seed, self.plan.catalog, self.plan.config.defects, self.defects))
        self.files["px_cat"].write_csv(px_cat_columns())

    def close(self) -> dict[str, dict[str, int]]:
        for f in self.files.values():
            f.close()
        return {path: {"rows": self.files[k].rows, "bytes": self.files[k].bytes}
                for k, (path, _) in FILES.items()}


def write_batch(plan: BatchPlan, folder: Path, progress) -> tuple[dict, Truth, Counter, int]:
    """Write every data file of `plan` into `folder`; returns (files, truth, defects, sessions)."""
    writer = BatchWriter(plan, folder)
    per_day = writer.orders_per_day()
    chunks = day_chunks(per_day)
    weights = order_weights(plan.seed, writer.all_ids)
    customer_cdf = np.cumsum(weights)
    product_cdf = np.cumsum(plan.catalog.popularity)
    blocks = range(0, plan.new_customers, CUSTOMERS_PER_CHUNK)
    task = progress.add_task(f"Generating batch {plan.batch}", total=len(chunks) + len(blocks))
    first_seq = plan.first_order_seq
    for i, days in enumerate(chunks):
        writer.write_sales_chunk(i, plan.days[days], per_day[days], first_seq,
                                 customer_cdf, product_cdf)
        first_seq += int(per_day[days].sum())
        progress.advance(task)
    writer.write_updated_customers()
    for b, start in enumerate(blocks):
        stop = min(start + CUSTOMERS_PER_CHUNK, plan.new_customers)
        writer.write_customers(b, np.arange(start, stop) + plan.first_customer_id)
        progress.advance(task)
    writer.write_products()
    files = writer.close()
    return files, writer.truth, writer.defects, writer.sessions


def write_manifest(folder: Path, manifest: dict) -> None:
    """manifest.json goes last: its presence marks a complete extract."""
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")
