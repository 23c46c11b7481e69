"""One unit of work: build, render and write one chunk of sales or one block of customers.

A chunk depends only on the plan and its own numbered random streams, so it can run in any
process; its lines go to a `ChunkSink` in turn order, and only small figures (truth, defect
counts, first order days, row and byte counts) come back to the parent.
"""

from __future__ import annotations

import ctypes
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from generators.config import FIRST_CUSTOMER_ID
from generators.customers import customers_for, order_weights
from generators.plan import BatchPlan
from generators.rand import stream
from generators.render_customers import cust_info_columns
from generators.render_erp import cust_az12_columns, loc_a101_columns
from generators.render_sales import returns_columns, sales_columns
from generators.render_web import web_lines
from generators.sales import build_sales_chunk
from generators.sinks import ChunkSink
from generators.textout import Lines, csv_lines
from generators.timing import Clock
from generators.truth import Truth, check_model
from generators.web import build_events

SESSIONS_PER_CHUNK = 1_000_000  # session numbers of chunk i start at i * this (never reached)


@dataclass
class ChunkResult:
    rows: dict[str, int] = field(default_factory=dict)
    nbytes: dict[str, int] = field(default_factory=dict)
    truth: Truth = field(default_factory=Truth)
    defects: Counter = field(default_factory=Counter)
    first_order: tuple[np.ndarray, np.ndarray] | None = None  # (index of new customer, day)
    late_returns: np.ndarray | None = None  # returns after the batch (see SalesChunk.r_late)
    clock: Clock = field(default_factory=Clock)  # phase spans, for the benchmark


class Context:
    """What every chunk of one batch needs, built once per process."""

    def __init__(self, plan: BatchPlan, sink: ChunkSink) -> None:
        self.plan = plan
        self.sink = sink
        self.product_numbers = pa.array(plan.catalog.number)
        self.last_customer_id = plan.first_customer_id + plan.new_customers - 1
        ids = np.arange(FIRST_CUSTOMER_ID, self.last_customer_id + 1)
        self.customer_cdf = np.cumsum(order_weights(plan.seed, ids))  # index 0 = FIRST id
        self.product_cdf = np.cumsum(plan.catalog.popularity)

    def rng(self, *keys: str | int) -> np.random.Generator:
        return stream(self.plan.seed, *keys, self.plan.batch)

    def emit(self, turn: int, parts: dict[str, Lines], result: ChunkResult) -> ChunkResult:
        result.clock.lap("render")
        self.sink.write(turn, parts, result.clock)
        result.rows = {k: v.rows for k, v in parts.items()}
        result.nbytes = {k: v.nbytes for k, v in parts.items()}
        return result


def sales_chunk(ctx: Context, turn: int, days: np.ndarray, per_day: np.ndarray,
                first_seq: int) -> ChunkResult:
    plan, cfg = ctx.plan, ctx.plan.config
    result = ChunkResult()
    chunk = build_sales_chunk(ctx.rng("sales", turn), days, per_day, first_seq, FIRST_CUSTOMER_ID,
                              ctx.customer_cdf, plan.catalog, ctx.product_cdf, cfg.business,
                              plan.last_day)
    check_model(chunk)
    events = build_events(ctx.rng("web", turn), chunk,
                          plan.first_session + turn * SESSIONS_PER_CHUNK,
                          (FIRST_CUSTOMER_ID, ctx.last_customer_id + 1), plan.catalog,
                          ctx.product_cdf, cfg.business)
    result.truth.add_chunk(chunk, events)
    result.clock.lap("build")
    rng = ctx.rng("defects", turn)
    parts = {
        "sales": csv_lines(sales_columns(rng, chunk, ctx.product_numbers, cfg.defects,
                                         result.defects)),
        "returns": csv_lines(returns_columns(chunk, ctx.product_numbers)),
        "events": web_lines(rng, events, ctx.product_numbers, cfg.defects, result.defects),
    }
    new = chunk.o_customer >= plan.first_customer_id
    # Orders are in day order, so the first occurrence of a customer is their first order.
    index, first = np.unique(chunk.o_customer[new] - plan.first_customer_id, return_index=True)
    result.first_order = (index, chunk.o_day[new][first])
    result.late_returns = chunk.r_late
    return ctx.emit(turn, parts, result)


def customer_block(ctx: Context, turn: int, ids: np.ndarray, first_order: np.ndarray,
                   update: bool = False) -> ChunkResult:
    """CRM and ERP rows of new customers (or, with `update`, new versions of old ones)."""
    plan, rates = ctx.plan, ctx.plan.config.defects
    rng = ctx.rng("updated_customers" if update else "customers", turn)
    result = ChunkResult()
    cust = customers_for(plan.seed, ids)
    result.clock.lap("build")
    if update:
        created = rng.integers(plan.first_day, plan.last_day + 1, len(ids))
        columns = cust_info_columns(rng, cust, created, rates, result.defects, True)
        return ctx.emit(turn, {"cust_info": csv_lines(columns)}, result)
    ordered = first_order < np.iinfo(np.int64).max
    lead = rng.geometric(1 / 45, len(ids)) - 1  # created a few weeks before the first order
    earliest = plan.first_day - 365 if plan.batch == 0 else plan.first_day
    created = np.where(ordered, first_order - lead,
                       rng.integers(earliest, plan.last_day + 1, len(ids)))
    if plan.batch:
        created = np.maximum(created, plan.first_day)
    parts = {
        "cust_info": csv_lines(cust_info_columns(rng, cust, created, rates, result.defects)),
        "cust_az12": csv_lines(cust_az12_columns(rng, cust, rates, result.defects)),
        "loc_a101": csv_lines(loc_a101_columns(rng, cust, rates, result.defects)),
    }
    return ctx.emit(turn, parts, result)


# Worker-process side: one Context per process, set by the pool initializer.
_CONTEXT: Context | None = None


def _mallopt(mmap_threshold: int, trim_threshold: int) -> None:
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, trim_threshold)  # M_TRIM_THRESHOLD


def _keep_freed_memory() -> None:
    """Let glibc reuse freed large blocks instead of unmapping them: every chunk allocates
    arrays of the same sizes again, and fresh pages cost a page fault each (about a tenth of
    the CPU time of a chunk)."""
    _mallopt(1 << 30, 1 << 30)  # large arrays from the heap; keep up to 1 GiB of freed heap


@contextmanager
def reused_memory() -> Iterator[None]:
    """`_keep_freed_memory` while chunks run in this process, then glibc's default
    thresholds again and the kept memory handed back to the system."""
    _keep_freed_memory()
    try:
        yield
    finally:
        _mallopt(128 * 1024, 128 * 1024)
        with suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def init_worker(plan: BatchPlan, sink: ChunkSink) -> None:
    global _CONTEXT
    _keep_freed_memory()
    _CONTEXT = Context(plan, sink)


def worker_context() -> Context:
    assert _CONTEXT is not None, "init_worker did not run"
    return _CONTEXT


def run_task(ctx: Context, task: tuple) -> ChunkResult:
    """Run `task` = (function name, turn, *args); pass the turn on if it fails."""
    name, turn, *args = task
    try:
        return {"sales": sales_chunk, "customers": customer_block}[name](ctx, turn, *args)
    except BaseException:
        ctx.sink.skip(turn)
        raise
