"""Write the data files of one batch (first extract or follow-on), chunk by chunk.

Phase 1 writes sales, returns and web events per chunk of consecutive days; phase 2 writes
customers (CRM and ERP) per block of ids, after the sales because a customer's create date
precedes their first order; then the small product files. Chunks run in this process and,
for large batches, helper processes (see `runner`): the files are byte-identical either way.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from generators import timing
from generators.chunks import SESSIONS_PER_CHUNK, ChunkResult
from generators.config import CUSTOMERS_PER_CHUNK, FIRST_CUSTOMER_ID, ORDERS_PER_CHUNK
from generators.plan import BatchPlan
from generators.rand import stream
from generators.render_customers import CUST_INFO_HEADER
from generators.render_erp import CUST_AZ12_HEADER, LOC_A101_HEADER
from generators.render_products import (
    PRD_INFO_HEADER,
    PX_CAT_HEADER,
    prd_info_columns,
    px_cat_columns,
)
from generators.render_sales import RETURNS_HEADER, SALES_HEADER, return_rows
from generators.runner import chunk_runner
from generators.sales import day_weights
from generators.textout import csv_lines
from generators.truth import Truth

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
PARALLEL_FROM_ORDERS = 500_000  # below this (scale ~18) a helper's start costs more than it saves


def default_workers(plan: BatchPlan) -> int:
    """Two processes (this one and a helper) for large batches when both cores are idle,
    else one.

    With one core busy elsewhere, two processes were slower than one (scale 50 with a dbt
    build running: 8.1 s against 6.7 s): they compete for the same core and wait for each
    other's turns. One process still uses a second core for its writer thread. The bytes
    written never depend on this choice.
    """
    if plan.orders < PARALLEL_FROM_ORDERS:
        return 1
    cores = os.cpu_count() or 1
    idle = cores - os.getloadavg()[0]
    return 2 if cores >= 2 and idle >= 1.5 else 1


def day_chunks(orders_per_day: np.ndarray) -> list[slice]:
    """Consecutive day ranges holding at most about ORDERS_PER_CHUNK orders each."""
    cumulative = np.cumsum(orders_per_day)
    cuts = np.searchsorted(cumulative, np.arange(ORDERS_PER_CHUNK, cumulative[-1],
                                                 ORDERS_PER_CHUNK), side="right")
    edges = sorted({0, len(orders_per_day), *(int(c) for c in cuts)})
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def write_batch(plan: BatchPlan, folder: Path, progress, workers: int | None = None
                ) -> tuple[dict, Truth, Counter, int, np.ndarray]:
    """Write every data file of `plan` into `folder`.

    Returns (files: path -> rows and bytes, truth, defect counts, next free session number,
    returns dated after this batch, for the next one).
    """
    spans = timing.LAST = timing.Run()
    sizes, rows = {}, {}
    for key, (rel, header) in FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"" if header is None else f"{header}\n".encode())
        sizes[key], rows[key] = (folder / rel).stat().st_size, 0
    rng = stream(plan.seed, "orders_per_day", plan.batch)
    weights = day_weights(plan.days)
    per_day = rng.multinomial(plan.orders, weights / weights.sum())
    chunks = day_chunks(per_day)
    seqs = plan.first_order_seq + np.concatenate([[0], np.cumsum(per_day)])
    blocks = range(0, plan.new_customers, CUSTOMERS_PER_CHUNK)
    truth, defects = Truth(), Counter()
    late: list[np.ndarray] = []
    first_order = np.full(plan.new_customers, np.iinfo(np.int64).max)
    task = progress.add_task(f"Generating batch {plan.batch}", total=len(chunks) + len(blocks))

    def collect(result: ChunkResult) -> None:
        truth.add(result.truth)
        defects.update(result.defects)
        for key, count in result.rows.items():
            rows[key] += count
        spans.chunks.append(result.clock)

    def advance(first: int) -> Callable[[int], None]:
        return lambda finished: progress.update(task, completed=first + finished)

    paths = {k: rel for k, (rel, _) in FILES.items()}
    with chunk_runner(plan, folder, paths, sizes, workers or default_workers(plan)) as (
            run, offsets):
        sales_tasks = [("sales", i, plan.days[d], per_day[d], int(seqs[d.start]))
                       for i, d in enumerate(chunks)]
        for result in run(sales_tasks, advance(0)):
            collect(result)
            index, day = result.first_order
            np.minimum.at(first_order, index, day)
            late.append(result.late_returns)
        customer_tasks = []
        if plan.updated_customers:
            pick = stream(plan.seed, "updated_customer_ids", plan.batch)
            old = pick.choice(plan.first_customer_id - FIRST_CUSTOMER_ID,
                              plan.updated_customers, replace=False)
            customer_tasks.append(("customers", 0, np.sort(old) + FIRST_CUSTOMER_ID,
                                   np.zeros(0, np.int64), True))
        for start in blocks:
            stop = min(start + CUSTOMERS_PER_CHUNK, plan.new_customers)
            customer_tasks.append(("customers", len(customer_tasks),
                                   np.arange(start, stop) + plan.first_customer_id,
                                   first_order[start:stop]))
        for result in run(customer_tasks, advance(len(chunks))):
            collect(result)

    tail = timing.Clock()
    pending = np.concatenate([plan.carried_returns, *late]).reshape(-1, 5)
    due = pending[:, 2] <= plan.last_day
    with open(folder / FILES["returns"][0], "ab") as fh:
        lines = csv_lines(return_rows(*pending[due].T, pa.array(plan.catalog.number)))
        fh.writelines(lines.buffers)
        rows["returns"] += lines.rows
        truth.returned_units += int(pending[due, 3].sum())
    with open(folder / FILES["prd_info"][0], "ab") as fh:
        lines = csv_lines(prd_info_columns(plan.seed, plan.catalog, plan.config.defects,
                                           defects))
        fh.writelines(lines.buffers)
        rows["prd_info"] = lines.rows
    with open(folder / FILES["px_cat"][0], "ab") as fh:
        lines = csv_lines(px_cat_columns())
        fh.writelines(lines.buffers)
        rows["px_cat"] = lines.rows
    tail.lap("small files (parent)")
    spans.chunks.append(tail)
    spans.end = time.time()
    files = {rel: {"rows": rows[k], "bytes": (folder / rel).stat().st_size}
             for k, (rel, _) in FILES.items()}
    next_session = plan.first_session + len(chunks) * SESSIONS_PER_CHUNK
    return files, truth, defects, next_session, pending[~due]

