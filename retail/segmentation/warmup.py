"""Starting a run's Spark session early, in the background, while the steps before Spark work.

Why: a local session costs about 12 s to start here (the JVM launch and its class loading), and
the segmentation step needs it only once dbt has built gold, a minute later. `retail run`
calls `start(settings)` as the run begins; the Spark step then `take`s the session (waiting for
it when it is still starting) instead of opening its own. Most of the start is the JVM's, in its
own process, so it overlaps the generation, ingest and dbt steps instead of adding to them.

A started JVM is still cold: its first job loads and compiles the classes of Parquet reading,
aggregation, windows and Parquet writing, ~10 s here where the same job costs ~3 s afterwards.
So a local warm-up also runs the segmentation itself once on a few made-up customers
(`_prime`), and the step's job on the real purchases starts warm. It runs beside dbt, on the
core dbt's single Python thread leaves free for much of its step. A step that comes while that
job still runs takes the session at once and runs its own job beside the rest of it (`take`).

The step stops the session it took in the background (`stop`: ~1 s of waiting for PySpark and
the JVM to shut down overlaps the next steps); `discard()` at the run's end waits for that, and
stops a session nobody took (a run that failed before its Spark step).
A failed warm-up is not reported here: `take` returns None and the Spark step opens its own
session the usual way, which checks Java first and reports a clear error. Spark Connect
sessions are a gRPC client that starts in a second: they are not warmed.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from retail.child_process import lower_this_threads_priority
from retail.segmentation.session import (
    SparkTarget,
    open_session,
    preflight,
    release_spark_gateway,
    spark_target,
)
from retail.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


# How much nicer than the run the warm-up (this thread, and the JVM it starts) runs. Why: the JVM
# starts while the run imports, loads its definitions and dbt's server warms, all of it on the
# run's critical path, on two cores; at the same priority the JVM took a third of them and
# stretched that start. Nicer, it takes what they leave, and dbt's build (one Python thread
# most of the time) leaves a core. With the class archive (class_archive.py), the two together:
# a real-size extract 15.6-15.8 s -> 14.3-14.8 s (either alone: within the noise).
WARMUP_NICENESS = 10


class _Warmup:
    def __init__(self, target: SparkTarget) -> None:
        self.target = target
        self.session: SparkSession | None = None
        self.primed = False
        self.discarded = threading.Event()  # no step will take it: skip or cancel the warm-up job
        self.checked = threading.Event()  # its `preflight` passed: Java runs and is new enough
        self.opened = threading.Event()  # the session's start ended (`session` set, or None)
        self.thread = threading.Thread(target=self._open, name="spark-warmup", daemon=True)

    def _open(self) -> None:
        lower_this_threads_priority(WARMUP_NICENESS)  # the JVM inherits it
        try:
            preflight(self.target)
            self.checked.set()
            self.session = open_session(self.target)
        except Exception:  # reported by the Spark step's own start (see the module docstring)
            self.session = None
            return
        finally:
            self.opened.set()
        if self.target.mode == "local" and not self.discarded.is_set():
            with contextlib.suppress(Exception):  # only a warm-up: the real job reports its own
                _prime(self.session)
                self.primed = True

    def discard(self) -> None:
        """Cancel the warm-up job (a failed run reports without waiting for it), then wait
        for the session's start and stop it."""
        self.discarded.set()
        if self.session is not None:
            with contextlib.suppress(Exception):
                self.session.sparkContext.cancelAllJobs()
        self.thread.join()
        if self.session is not None:
            self.session.stop()


def _prime(spark: SparkSession) -> None:
    """Run `segment_customers` once on a few made-up customers, written and read as Parquet the
    way the step does (DuckDB writes the input), so the real job finds the JVM warm.

    It runs in a session of its own (`newSession`: the same JVM and SparkContext, so the same
    loaded and compiled classes, but its own SQL settings and views), so the step can take the
    session and start its job while this one still runs (`take`)."""
    import duckdb

    from retail.segmentation.scoring import segment_customers

    folder = Path(tempfile.mkdtemp(prefix="retail-spark-warmup-"))
    try:
        with duckdb.connect() as con:
            con.execute(f"copy ({_PRIME_PURCHASES}) to '{folder / 'p.parquet'}' (format parquet)")
            con.execute(f"copy ({_PRIME_RETURNS}) to '{folder / 'r.parquet'}' (format parquet)")
        own = spark.newSession()
        own.conf.set("spark.sql.shuffle.partitions", "2")
        purchases = own.read.parquet(str(folder / "p.parquet"))
        returns = own.read.parquet(str(folder / "r.parquet"))
        segment_customers(purchases, returns).write.mode("overwrite").parquet(
            str(folder / "out"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# the columns and types of `extract.PURCHASES_SQL` and `extract.RETURNS_SQL`
_PRIME_PURCHASES = """
select 'k' || (i % 7) as customer_key, cast(i % 7 as integer) as customer_id,
    'SO' || i as order_number, date '2024-01-01' + cast(i as integer) as order_date,
    cast(i * 1.25 as decimal(18,2)) as sales_amount
from range(40) as r(i)
"""
_PRIME_RETURNS = """
select 'k' || i as customer_key, 'SO' || i as order_number,
    cast(i * 0.5 as decimal(18,2)) as return_amount
from range(3) as r(i)
"""


_lock = threading.Lock()
_pending: _Warmup | None = None
_taken: _Warmup | None = None  # the warm-up whose session a step took, until it is stopped
_stopping: threading.Thread | None = None


def start(settings: Settings) -> None:
    """Begin starting the session a run on `settings` will use (local or a classic master)."""
    global _pending
    target = spark_target(settings)
    if target.mode == "connect":
        return
    with _lock:
        if _pending is not None:
            return
        _pending = _Warmup(target)
        _pending.thread.start()


def checked(target: SparkTarget) -> bool:
    """Whether the session being warmed for `target` passed the checks a step runs before it
    exports anything (`preflight`: `java -version`, ~0.1 s and a JVM's start)."""
    with _lock:
        return _pending is not None and _pending.target == target and _pending.checked.is_set()


def take(target: SparkTarget) -> SparkSession | None:
    """The warmed session for `target` (waiting for its start, not for the warm-up job), or
    None; the caller stops it (`stop`).

    Why not wait for the warm-up job: on a real-size extract the step came while it still ran
    in 5 of 8 runs and waited 0.3-0.9 s for it, then ran its own job no faster. Its own job
    starts at once instead, beside the rest of the warm-up's (in a session of its own,
    `_prime`), and both load the classes each needs once, in the one JVM."""
    global _pending, _taken
    with _lock:
        warmup, _pending = (_pending, None) if _pending and _pending.target == target else (
            None, _pending)
    if warmup is None:
        return None
    warmup.opened.wait()
    with _lock:
        _taken = warmup
    return warmup.session


def stop(session: SparkSession) -> None:
    """Stop a session its step is done with: a taken one in the background, and its JVM too.

    Why: stopping costs ~1 s of waiting, on the run's critical path when the step does it
    (PySpark's accumulator server polls for its shutdown every 0.5 s; the gateway's JVM then
    exits and py4j's finalizer thread notices within a second). A taken session belongs to a
    `retail run`, whose end waits for the stop (`discard`); any other is stopped now."""
    global _taken, _stopping
    with _lock:
        warmup = _taken if _taken is not None and session is _taken.session else None
        later = warmup is not None and _stopping is None
        _taken = None
        if later:
            _stopping = threading.Thread(target=_stop_now, args=(session, warmup),
                                         name="spark-stop", daemon=True)
            _stopping.start()
    if not later:
        if warmup is not None:
            warmup.thread.join()
        session.stop()


def _stop_now(session: SparkSession, warmup: _Warmup | None) -> None:
    if warmup is not None:  # its warm-up job ends first (on a stopped session it would fail)
        warmup.thread.join()
    with contextlib.suppress(Exception):  # a JVM already gone: nothing left to stop
        session.stop()
    release_spark_gateway()


def discard() -> None:
    """Stop a warmed session no step took (the run ended before its Spark step), and wait for
    the stop of the one a step took (`stop`)."""
    global _pending, _stopping
    with _lock:
        warmup, _pending = _pending, None
        stopping, _stopping = _stopping, None
    if warmup is not None:
        warmup.discard()
    if stopping is not None:
        stopping.join()
