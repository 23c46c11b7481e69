"""Stopping a helper process the platform started (the embedded MongoDB server, the warm dbt).

Both exit when their stdin closes, so they never outlive the process that started them, even
one that crashed; closing it is also how they are asked to stop.
"""

from __future__ import annotations

import contextlib
import subprocess
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
