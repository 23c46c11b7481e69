"""Where rendered chunks go: straight into the files, in chunk order, from one or more processes.

Chunks are rendered in any order (in parallel worker processes), but must land in the files
in chunk order so the bytes never depend on scheduling. Each chunk takes a numbered turn: in
turn order it reserves its byte range in every file (a shared running offset), then writes
there with `os.pwrite` while the next chunk reserves its own. The parent wrote the headers
and sets the offsets; the files end up exactly as a sequential writer would leave them.

The bytes are written by a thread of the process that rendered them, while the process goes
on with its next chunk: `pwrite` releases the GIL, and copying into the page cache cost a
third to a half of the CPU time here. Chunks are also written in
turn order (a second shared counter): two processes writing one file at once contend for
its inode lock, which costs more CPU than it saves (measured: +65% CPU for the same bytes),
while a writer that sleeps until its turn costs nothing. At most one chunk per process waits
for its thread, which bounds memory to two chunks per process.

(Dropping written pages from the page cache early makes the writes here cheaper, 10.3 s
instead of 11.7 s at scale 100, but the next reader, `retail ingest`, then reads 3.3 GB back
from disk: 5.8 s instead of 0.2 s. Generation is only ever followed by a reader, so the pages
stay cached.)
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
    shared counter of the next chunk allowed to reserve, `written` of the next chunk allowed
    to write, `cond` a shared condition guarding all. In a single process plain stand-ins
    work the same way.
    """

    def __init__(self, folder: Path, paths: dict[str, str], offsets: dict, turn, written,
                 cond) -> None:
        self.folder = folder
        self.paths = paths
        self.offsets = offsets
        self.turn = turn
        self.written = written
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
        self._pending = self._writer.submit(self._write_in_turn, turn, parts, starts, clock)

    def reset(self) -> None:
        """Turns start from 0 again (the next phase of the batch numbers its chunks anew)."""
        self.turn.value = self.written.value = 0

    def _write_in_turn(self, turn: int, parts: dict[str, Lines], starts: dict[str, int],
                       clock: Clock) -> None:
        start = time.time()
        self._wait(self.written, turn)
        waited = time.time()
        try:
            self.write_at(parts, starts)
        finally:
            with self.cond:
                self.written.value = turn + 1
                self.cond.notify_all()
        clock.spans.append(("wait for write turn (writer thread)", start, waited))
        clock.spans.append(("write (writer thread)", waited, time.time()))

    def _wait(self, counter, turn: int) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: counter.value == turn, TURN_TIMEOUT_SECONDS):
                raise TimeoutError(f"chunk {turn} waited too long for its turn")

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
        """Pass both turns on if this chunk still holds them (it failed before writing; the
        run is abandoned, but chunks before it must not wait for it)."""
        for counter in (self.turn, self.written):
            with self.cond:
                self.cond.wait_for(lambda c=counter: c.value >= turn, TURN_TIMEOUT_SECONDS)
                if counter.value == turn:
                    counter.value += 1
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
