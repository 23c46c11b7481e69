"""Where rendered chunks go: straight into the files, in chunk order, from one or more processes.

Chunks are rendered in any order (in parallel worker processes), but must land in the files
in chunk order so the bytes never depend on scheduling. Each chunk takes a numbered turn: in
turn order it reserves its byte range in every file (a shared running offset), then writes
there with `os.pwrite` while the next chunk reserves its own. The parent wrote the headers
and sets the offsets; the files end up exactly as a sequential writer would leave them.

The bytes are written by a thread of the process that rendered them, while the process goes
on with its next chunk: `pwrite` releases the GIL, and copying into the page cache is about a
third of the CPU time here. If the other process holds the file (writes to one file take its
inode lock) the wait overlaps rendering too. At most one chunk waits for the thread, which
bounds memory to two chunks per process.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from generators.textout import Lines
from generators.timing import Clock

TURN_TIMEOUT_SECONDS = 3600.0


def _pwrite_all(fd: int, lines: Lines, offset: int) -> None:
    for buffer in lines.buffers:
        view = memoryview(buffer)
        while len(view):
            written = os.pwrite(fd, view, offset)
            offset += written
            view = view[written:]


class ChunkSink:
    """Writes each chunk's lines at the next free offset of each file, in turn order.

    `offsets` maps a file key to a shared 64-bit value (the file's current size), `turn` is a
    shared counter of the next chunk allowed to reserve, `cond` a shared condition guarding
    both. In a single process plain stand-ins work the same way.
    """

    def __init__(self, folder: Path, paths: dict[str, str], offsets: dict, turn, cond) -> None:
        self.folder = folder
        self.paths = paths
        self.offsets = offsets
        self.turn = turn
        self.cond = cond
        self._fds: dict[str, int] = {}
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    def __getstate__(self) -> dict:
        """What a worker process gets: no open files, no thread (it makes its own)."""
        return {**self.__dict__, "_fds": {}, "_writer": None, "_pending": None}

    def _fd(self, key: str) -> int:
        if key not in self._fds:
            self._fds[key] = os.open(self.folder / self.paths[key], os.O_WRONLY)
        return self._fds[key]

    def write(self, turn: int, parts: dict[str, Lines], clock: Clock | None = None) -> None:
        """Reserve ranges when it is `turn`'s turn, pass the turn on, then have the writer
        thread write the bytes (after the previous chunk's, which may still be in flight)."""
        clock = clock or Clock()
        starts = self.reserve(turn, parts)
        clock.lap("wait for turn")
        self.flush()
        clock.lap("wait for writer")
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="chunk-writer")
        self._pending = self._writer.submit(self._write_timed, parts, starts, clock)

    def _write_timed(self, parts: dict[str, Lines], starts: dict[str, int], clock: Clock) -> None:
        start = time.time()
        self.write_at(parts, starts)
        clock.spans.append(("write (writer thread)", start, time.time()))

    def flush(self) -> None:
        """Wait until every chunk handed over is written (and raise its error, if any)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def reserve(self, turn: int, parts: dict[str, Lines]) -> dict[str, int]:
        """Wait for `turn`, take each part's byte range, pass the turn on: the ranges' starts."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.turn.value == turn, TURN_TIMEOUT_SECONDS):
                raise TimeoutError(f"chunk {turn} waited too long for its turn")
            starts = {}
            for key, lines in parts.items():
                starts[key] = self.offsets[key].value
                self.offsets[key].value += lines.nbytes
            self.turn.value += 1
            self.cond.notify_all()
        return starts

    def write_at(self, parts: dict[str, Lines], starts: dict[str, int]) -> None:
        for key, lines in parts.items():
            _pwrite_all(self._fd(key), lines, starts[key])

    def skip(self, turn: int) -> None:
        """Pass the turn on if this chunk still holds it (it failed; the run is abandoned)."""
        with self.cond:
            self.cond.wait_for(lambda: self.turn.value >= turn, TURN_TIMEOUT_SECONDS)
            if self.turn.value == turn:
                self.turn.value += 1
                self.cond.notify_all()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None
            self._close_files()

    def _close_files(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


class Box:
    """A stand-in for `multiprocessing.Value` in a single process."""

    def __init__(self, value: int = 0) -> None:
        self.value = value


class NoLock:
    """A stand-in for `multiprocessing.Condition` in a single process (turns come in order)."""

    def __enter__(self) -> NoLock:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def wait_for(self, predicate, timeout: float | None = None) -> bool:
        return bool(predicate())

    def notify_all(self) -> None:
        return None
