"""Syncing a run's web events into MongoDB while dbt builds gold, instead of after it.

Why: the events load depends only on bronze, yet the MongoDB step runs after dbt, Spark and the
segmentation models. On the embedded server (pure Python, in its own process) the load and the
funnel pass are CPU work on the second core, while dbt keeps the first one busy: done side by
side they slow dbt a little (two cores shared three ways); done after, they add all of it.

`retail run` (orchestration/runner.py) allows it for the run with `allowed()`; the bronze step
then calls `start(settings)` once its ingest is committed. `start` returns once the events to
load are staged in this process's memory and the warehouse is released (`sync_events`
`on_released`), so dbt can open it; a thread goes on inserting. The figures of `events` (the
funnel and the product views) come from one pass (`aggregations.event_figures`), which joins
gold's current products, so it waits for gold: the dbt step that builds `gold.dim_products`
calls `gold_built(settings)` once dbt has exited (orchestration/assets/dbt.py), which reads
them (the warehouse is not being written then) and hands them over; the thread then runs that
pass while the dbt step turns dbt's results into Dagster events (~1.5 s at scale 10, one core
idle before), and Spark and the segmentation models work. One pass reads every
bucket once: a funnel pass during dbt and a product-view pass after it cost 78.7 s of the
embedded server at scale 10 against 61.7 s for the one, and during dbt the second core is
the JVM's and the sync's anyway. The embedded server it works on runs nicer than the run
(`server.started_early`), so this work takes the CPU the steps leave. The MongoDB step
`take`s the outcome, waiting for the thread when it still runs, and gets the sync's error if it
failed: the failure is reported by the step that owns the events. It uses the early product
figures only if gold's current products are still the rows the pass joined; otherwise (and when
no gold was handed over: the thread then computes the funnel alone) it runs the product-view
pass itself. Without `allowed()` (`dagster dev`, where
each step is its own process, the CLI, tests) nothing starts early and the MongoDB step syncs
as it always did.

A warehouse that holds an earlier run's gold need not wait for dbt: the sync reads that gold's
products while it has the warehouse open (before releasing it), and the pass joins them as
soon as the events are in, during dbt. A run on a new or corrected batch seldom changes the
current products; when it does, the MongoDB step finds gold's products no longer the rows the
pass joined and runs the product-view pass again (as above): the figures are the same either
way. Only a first run (no gold yet) waits for the dbt step. Measured on a second run of the
same extract at scale 10: the MongoDB step waited ~10 s for a pass started after dbt.

A run that ends before its MongoDB step `discard`s the sync: it stops before its next bulk
write (the ledger keeps the loads already done, and the next sync completes them) or before
the pass's next part (`partitioned.aggregate_parts`: a part is at most ~60,000 buckets).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from retail.nosql.aggregations import (
    built_products,
    current_products,
    event_figures,
    funnel_totals,
)
from retail.nosql.events import SyncResult, sync_events
from retail.nosql.server import mongo_database, start_profiles_early
from retail.settings import Settings


@dataclass
class EarlySync:
    """What a sync started early did: the sync, the funnel figures, the product-view figures
    (None when gold's products never came, see `gold_built`), and their timings
    (`products_seconds`: the one pass for both; `funnel_seconds`: the funnel pass alone)."""

    result: SyncResult
    totals: dict[str, int]
    sync_seconds: float
    funnel_seconds: float  # 0 when one pass gave both figures (its time is `products_seconds`)
    products: list[tuple[Any, ...]] | None = None  # the rows of `current_products` joined
    product_figures: dict[str, list[dict[str, Any]]] | None = None
    products_seconds: float = 0.0


class _Pending:
    def __init__(self, settings: Settings, database: str | None) -> None:
        self.settings = settings
        self.database = database
        self.released = threading.Event()
        self.cancel = threading.Event()
        # set once the products the pass joins are chosen (`products`, under `lock`): gold's
        # as the dbt step hands them over (`gold_built`), the last run's gold once the events
        # are in or at `take`, or none (no gold at all, `discard`); never changed after
        self.chosen = threading.Event()
        self.lock = threading.Lock()
        self.products: list[tuple[Any, ...]] | None = None
        self.last_products: list[tuple[Any, ...]] | None = None  # the last run's gold
        self.outcome: EarlySync | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="events-sync", daemon=True)

    def choose(self, products: list[tuple[Any, ...]] | None) -> None:
        """Make `products` the ones the pass joins, unless some were chosen."""
        with self.lock:
            if not self.chosen.is_set():
                self.products = products
                self.chosen.set()

    def _read_last_products(self, con: Any) -> None:
        self.last_products = built_products(con) or None

    def _run(self) -> None:
        try:
            with mongo_database(self.settings, self.database) as db:
                started = time.perf_counter()
                result = sync_events(db, self.settings.duckdb_path, progress=False,
                                     on_released=self.released.set, cancel=self.cancel,
                                     also_read=self._read_last_products)
                sync_seconds = round(time.perf_counter() - started, 3)
                if self.last_products is not None:  # no need to wait for dbt (see above)
                    self.choose(self.last_products)
                self.chosen.wait()  # one pass for both figures needs products to join
                products = self.products
                started = time.perf_counter()
                if products is not None and not self.cancel.is_set():
                    figures = event_figures(db, self.settings.duckdb_path, products,
                                            cancel=self.cancel)
                    self.outcome = EarlySync(
                        result, figures.totals, sync_seconds, 0.0, products,
                        figures.product_figures(), round(time.perf_counter() - started, 3))
                elif not self.cancel.is_set():  # no gold yet (`take` before `gold_built`)
                    self.outcome = EarlySync(result, funnel_totals(db), sync_seconds,
                                             round(time.perf_counter() - started, 3))
        except BaseException as exc:  # re-raised by `take`, in the MongoDB step
            self.error = exc
        finally:
            self.released.set()


_lock = threading.Lock()
_allowed = False
_pending: _Pending | None = None


@contextlib.contextmanager
def allowed() -> Iterator[None]:
    """Within this block, `start` syncs early (one in-process run); a sync nobody took is
    discarded when it ends."""
    global _allowed
    with _lock:
        _allowed = True
    try:
        yield
    finally:
        with _lock:
            _allowed = False
        discard()


def start(settings: Settings, database: str | None = None) -> bool:
    """Start syncing the events of `settings`' warehouse, when allowed; returns once the
    warehouse is released (or the sync failed early). True when a sync was started.
    `database`: as `mongo_database` takes it (default: the platform's)."""
    global _pending
    with _lock:
        if not _allowed or _pending is not None:
            return False
        _pending = _Pending(settings, database)
        pending = _pending
    pending.thread.start()
    pending.released.wait()
    start_profiles_early(settings)  # the MongoDB step's other server starts beside dbt
    return True


def gold_built(settings: Settings) -> None:
    """Gold's products are built and nothing writes the warehouse now (the dbt step that built
    them has ended): hand gold's current products to the early sync
    of `settings`' warehouse, which then runs the product-view pass. The first call hands them
    over; later ones change nothing, nor does a call once the pass took the last run's
    products. Never raises: without them the MongoDB step runs that pass itself."""
    with _lock:
        pending = _pending
    if (pending is None or pending.settings.duckdb_path != settings.duckdb_path
            or pending.chosen.is_set()):
        return
    try:
        products = current_products(settings.duckdb_path)
    except Exception:  # gold not there after all: the MongoDB step reports it
        products = None
    pending.choose(products)


def take(settings: Settings) -> EarlySync | None:
    """The early sync of `settings`' warehouse (waiting for it), or None when none was started.
    Raises what the sync raised."""
    global _pending
    with _lock:
        pending = _pending
        if pending is None or pending.settings.duckdb_path != settings.duckdb_path:
            return None
        _pending = None
    pending.choose(pending.last_products)  # none came from dbt: the last run's, if any
    pending.thread.join()
    if pending.error is not None:
        raise pending.error
    return pending.outcome


def discard() -> None:
    """Stop a sync nobody took (before its next bulk write) and wait for its thread."""
    global _pending
    with _lock:
        pending, _pending = _pending, None
    if pending is not None:
        pending.cancel.set()
        pending.choose(None)
        pending.thread.join()

