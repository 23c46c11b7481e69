"""Where rendered chunks go: straight into the files, in chunk order, from one or more processes.

Chunks are rendered in any order (in parallel worker processes), but must land in the files
in chunk order so the bytes never depend on scheduling. Each chunk takes a numbered turn: in
turn order it reserves its byte range in every file (a shared running offset), then writes
there with `os.pwrite` while the next chunk reserves its own. The parent wrote the headers
and sets the offsets; the files end up exactly as a sequential writer would leave them.
"""

from __future__ import annotations

import os
from pathlib import Path

from generators.textout import Lines

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

    def _fd(self, key: str) -> int:
        if key not in self._fds:
            self._fds[key] = os.open(self.folder / self.paths[key], os.O_WRONLY)
        return self._fds[key]

    def write(self, turn: int, parts: dict[str, Lines]) -> None:
        """Reserve ranges when it is `turn`'s turn, pass the turn on, then write the bytes."""
        self.write_at(parts, self.reserve(turn, parts))

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
