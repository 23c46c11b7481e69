"""Syncing a run's web events into MongoDB while dbt builds gold, instead of after it.

Why: the events load depends only on bronze, yet the MongoDB step runs after dbt, Spark and the
segmentation models. On the embedded server (pure Python, in its own process) the load and the
funnel pass are CPU work on the second core, while dbt keeps the first one busy: done side by
side they slow dbt a little (two cores shared three ways); done after, they add all of it.

`retail run` (orchestration/runner.py) allows it for the run with `allowed()`; the bronze step
then calls `start(settings)` once its ingest is committed. `start` returns once the events to
load are staged in this process's memory and the warehouse is released (`sync_events`
`on_released`), so dbt can open it; a thread goes on inserting, then computes the funnel
figures (they read only `events`). The product-view pass is left to the MongoDB step: run
here too, it took the second core from the Spark step (measured at scale 1: the MongoDB step
7 s shorter, the Spark step 6 s longer). The MongoDB step `take`s the outcome, waiting for the
thread when it still runs, and gets the sync's error if it failed: the failure is reported by the
step that owns the events. Without `allowed()` (`dagster dev`, where each step is its own
process, the CLI, tests) nothing starts early and the MongoDB step syncs as it always did.

A run that ends before its MongoDB step `discard`s the sync: it stops before its next bulk
write (the ledger keeps the loads already done, and the next sync completes them).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from retail.nosql.aggregations import funnel_totals
from retail.nosql.events import SyncResult, sync_events
from retail.nosql.server import mongo_database
from retail.settings import Settings


@dataclass
class EarlySync:
    """What a sync started early did: the sync, the funnel figures, and their timings."""

    result: SyncResult
    totals: dict[str, int]
    sync_seconds: float
    funnel_seconds: float


class _Pending:
    def __init__(self, settings: Settings, database: str | None) -> None:
        self.settings = settings
        self.database = database
        self.released = threading.Event()
        self.cancel = threading.Event()
        self.outcome: EarlySync | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="events-sync", daemon=True)

    def _run(self) -> None:
        try:
            with mongo_database(self.settings, self.database) as db:
                started = time.perf_counter()
                result = sync_events(db, self.settings.duckdb_path, progress=False,
                                     on_released=self.released.set, cancel=self.cancel)
                synced = time.perf_counter()
                totals = funnel_totals(db)
                self.outcome = EarlySync(result, totals, round(synced - started, 3),
                                         round(time.perf_counter() - synced, 3))
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
    return True


def take(settings: Settings) -> EarlySync | None:
    """The early sync of `settings`' warehouse (waiting for it), or None when none was started.
    Raises what the sync raised."""
    global _pending
    with _lock:
        pending = _pending
        if pending is None or pending.settings.duckdb_path != settings.duckdb_path:
            return None
        _pending = None
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
        pending.thread.join()

