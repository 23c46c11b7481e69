"""Helper processes the platform starts (the embedded MongoDB server, the warm dbt, Spark's JVM).

Stopping: the first two exit when their stdin closes, so they never outlive the process that
started them, even one that crashed; closing it is also how they are asked to stop.
Priority: work beside the run's own path runs nicer, per thread (what a thread starts inherits
its priority).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from typing import Any


def stop_by_stdin(process: subprocess.Popen[Any], timeout: float) -> None:
    """Close the child's stdin (it stops and exits); kill it if it has not within `timeout`."""
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def lower_this_threads_priority(niceness: int) -> None:
    """Make the calling thread `niceness` nicer; processes it starts inherit that (Linux, where
    a priority is a thread's; elsewhere nothing changes)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
