"""Write-behind for large files: written ranges go to disk early and leave the page cache.

Copying into fresh page-cache pages is what writing costs on this kind of machine (a VM whose
free memory is cold: measured 0.4-0.5 GB/s for 3.9 GB of plain `os.write`, most of it kernel
CPU), while pages dropped a moment ago are hot and cheap to reuse (2 GB/s for the same bytes
with write-behind; in the generator at scale 50, 0.8-1.5 s of kernel time for 1.9 GB of
pwrite instead of 2.8-3.4 s). So once a file has grown a window past some range, that
range's write-back is started; a few windows later its pages are dropped (those whose
write-back has finished; nothing ever waits for the disk). The price: a reader right after
generation reads the large files from disk rather than from memory. Files smaller than LAG
windows are never touched, and the bytes written never change. Chunks are written in turn order (see
`sinks`), so every range behind the current write position is complete. Linux only
(`sync_file_range`); elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import os
from contextlib import suppress

WINDOW = 64 << 20  # bytes per write-back step (smaller: fewer fresh pages, more calls)
LAG = 3  # windows between starting a range's write-back and dropping its pages
_WRITE = 2  # SYNC_FILE_RANGE_WRITE: start write-back, do not wait for it


def _sync_file_range():
    with suppress(OSError, AttributeError):
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
        function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
        return function
    return None


_SYNC = _sync_file_range() if hasattr(os, "posix_fadvise") else None


class WriteBehind:
    """Per file of one process: how far write-back was started and how far pages were dropped."""

    def __init__(self) -> None:
        self.started: dict[int, int] = {}
        self.dropped: dict[int, int] = {}

    def wrote(self, fd: int, end: int) -> None:
        """The file `fd` is complete up to `end`: start and finish write-back behind it."""
        if _SYNC is None:
            return
        started = self.started.get(fd, 0)
        if end - started >= WINDOW:
            _SYNC(fd, started, end - started, _WRITE)  # asynchronous: queue the write-back
            self.started[fd] = started = end
        dropped = self.dropped.get(fd, 0)
        if started - dropped >= LAG * WINDOW:
            # Never waits for the disk: pages still being written back are skipped by the
            # kernel and tried once more at the next step (on a slow disk they simply stay
            # cached, as without write-behind).
            first, stop = max(dropped - WINDOW, 0), started - (LAG - 1) * WINDOW
            with suppress(OSError):  # only advice: a file system may refuse it
                os.posix_fadvise(fd, first, stop - first, os.POSIX_FADV_DONTNEED)
            self.dropped[fd] = stop
