"""Where a batch's wall time goes: phase spans of every chunk, for the benchmark only.

Each chunk records (phase, start, end) wall-clock spans in whatever process ran it; the
parent keeps the spans of the last batch in `LAST` (never in the manifest: times vary from
run to run, the bytes must not). `summary` turns them into seconds per phase, busy time
per process and how well the processes overlapped.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Clock:
    """Spans of one chunk: `lap("build")` closes the span that began at the previous lap."""

    pid: int = field(default_factory=os.getpid)
    spans: list[tuple[str, float, float]] = field(default_factory=list)
    _last: float = field(default_factory=time.time)

    def lap(self, phase: str) -> None:
        now = time.time()
        self.spans.append((phase, self._last, now))
        self._last = now


@dataclass
class Run:
    """Spans of every chunk of one batch, by process, plus the batch's own start and end."""

    start: float = field(default_factory=time.time)
    end: float = 0.0
    chunks: list[Clock] = field(default_factory=list)


LAST = Run()


def summary(run: Run) -> dict:
    """Seconds per phase (summed over chunks), busy seconds per process (waits excluded; a
    process's writer thread counts too), and overlap: busy seconds of all processes over
    the batch's wall seconds."""
    phases: dict[str, float] = defaultdict(float)
    busy: dict[int, float] = defaultdict(float)
    for clock in run.chunks:
        for phase, start, end in clock.spans:
            phases[phase] += end - start
            if not phase.startswith("wait"):
                busy[clock.pid] += end - start
    wall = max(run.end - run.start, 1e-9)
    first = min((s for c in run.chunks for _, s, _ in c.spans), default=run.start)
    return {"wall": wall, "until_first_chunk": first - run.start,
            "phases": dict(phases), "busy": sorted(busy.values(), reverse=True),
            "overlap": sum(busy.values()) / wall}
