"""Starting a run's Spark session early, in the background, while the steps before Spark work.

Why: a local session costs about 12 s to start here (the JVM launch and its class loading), and
the segmentation step needs it only once dbt has built gold, a minute later. `retail run`
calls `start(settings)` as the run begins; the Spark step then `take`s the session (waiting for
it when it is still starting) instead of opening its own. Most of the start is the JVM's, in its
own process, so it overlaps the generation, ingest and dbt steps instead of adding to them.

A session nobody took (a run that failed before its Spark step) is stopped by `discard()`.
A failed warm-up is not reported here: `take` returns None and the Spark step opens its own
session the usual way, which checks Java first and reports a clear error. Spark Connect
sessions are a gRPC client that starts in a second: they are not warmed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from retail.segmentation.session import SparkTarget, open_session, preflight, spark_target
from retail.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class _Warmup:
    def __init__(self, target: SparkTarget) -> None:
        self.target = target
        self.session: SparkSession | None = None
        self.thread = threading.Thread(target=self._open, name="spark-warmup", daemon=True)

    def _open(self) -> None:
        try:
            preflight(self.target)
            self.session = open_session(self.target)
        except Exception:  # reported by the Spark step's own start (see the module docstring)
            self.session = None


_lock = threading.Lock()
_pending: _Warmup | None = None


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


def take(target: SparkTarget) -> SparkSession | None:
    """The warmed session for `target` (waiting for its start), or None; the caller stops it."""
    global _pending
    with _lock:
        warmup, _pending = (_pending, None) if _pending and _pending.target == target else (
            None, _pending)
    if warmup is None:
        return None
    warmup.thread.join()
    return warmup.session


def discard() -> None:
    """Stop a warmed session no step took (the run ended before its Spark step)."""
    global _pending
    with _lock:
        warmup, _pending = _pending, None
    if warmup is None:
        return
    warmup.thread.join()
    if warmup.session is not None:
        warmup.session.stop()
