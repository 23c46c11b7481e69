"""Run a batch's chunks in this process and, for large batches, in helper processes as well.

Every process (this one included) claims the next task from a shared counter until none is
left, so nobody waits for a slow start: this process starts on the first chunk at once,
while a helper still imports its libraries. A helper costs one interpreter start (about half
a second of CPU) and its own copy of the batch context; with two cores and one helper both
cores work from the first chunk on. Results come back in task order, so what the parent
sums never depends on who ran what; the files are byte-identical either way (see `sinks`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from generators.chunks import ChunkResult, Context, init_worker, reused_memory, run_task
from generators.plan import BatchPlan
from generators.sinks import Box, ChunkSink, NoLock

Progress = Callable[[int], None]  # called with the number of tasks finished so far


class Counter:
    """A shared task counter: `claim()` hands out 0, 1, 2, ... once each, across processes."""

    def __init__(self, value, lock) -> None:
        self.value, self.lock = value, lock

    def claim(self) -> int:
        with self.lock:
            index = self.value.value
            self.value.value = index + 1
            return index


def claim_all(ctx: Context, tasks: list[tuple], claims: Counter, done: Counter | None = None,
              on_done: Progress | None = None) -> list[tuple[int, ChunkResult]]:
    """Run tasks claimed one by one until none is left; their results, by task index."""
    results = []
    try:
        while (index := claims.claim()) < len(tasks):
            results.append((index, run_task(ctx, tasks[index])))
            finished = done.claim() + 1 if done is not None else len(results)
            if on_done is not None:
                on_done(finished)
    finally:
        ctx.sink.flush()  # the last chunk's bytes are on disk before anyone reads the file
    return results


_HELPER: dict = {}


def _init_helper(plan: BatchPlan, sink: ChunkSink, claims: Counter, done: Counter) -> None:
    init_worker(plan, sink)
    _HELPER.update(claims=claims, done=done)


def _helper_job(tasks: list[tuple]) -> list[tuple[int, ChunkResult]]:
    from generators.chunks import worker_context

    return claim_all(worker_context(), tasks, _HELPER["claims"], _HELPER["done"])


@contextmanager
def chunk_runner(plan: BatchPlan, folder: Path, paths: dict[str, str], sizes: dict[str, int],
                 processes: int) -> Iterator[tuple[Callable, dict]]:
    """(run(tasks, on_done) -> results in task order, shared file offsets)."""
    if processes <= 1:
        offsets = {k: Box(v) for k, v in sizes.items()}
        ctx = Context(plan, ChunkSink(folder, paths, offsets, Box(0), Box(0), NoLock()))
        claims = Counter(Box(0), NoLock())

        def run(tasks: list[tuple], on_done: Progress | None = None) -> list[ChunkResult]:
            ctx.sink.reset()
            claims.value.value = 0
            return [r for _, r in claim_all(ctx, tasks, claims, on_done=on_done)]

        try:
            with reused_memory():
                yield run, offsets
        finally:
            ctx.sink.close()
        return
    mp = multiprocessing.get_context("spawn")
    offsets = {k: mp.Value("q", v, lock=False) for k, v in sizes.items()}
    turn, written, cond = mp.Value("q", 0, lock=False), mp.Value("q", 0, lock=False), \
        mp.Condition()
    claims = Counter(mp.Value("q", 0, lock=False), mp.Lock())
    done = Counter(mp.Value("q", 0, lock=False), mp.Lock())
    sink = ChunkSink(folder, paths, offsets, turn, written, cond)
    pool = ProcessPoolExecutor(processes - 1, mp_context=mp, initializer=_init_helper,
                               initargs=(plan, sink, claims, done))
    ctx = Context(plan, sink)

    def run(tasks: list[tuple], on_done: Progress | None = None) -> list[ChunkResult]:
        sink.reset()
        claims.value.value = done.value.value = 0
        jobs: list[Future] = [pool.submit(_helper_job, tasks) for _ in range(processes - 1)]
        mine = claim_all(ctx, tasks, claims, done, on_done)
        theirs = [pair for job in jobs for pair in job.result()]
        return [r for _, r in sorted(mine + theirs, key=lambda pair: pair[0])]

    try:
        with reused_memory():
            yield run, offsets
    except BaseException:
        # A failed chunk passed its turn on, but a dead process cannot: stop them all now.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        sink.close()
    pool.shutdown(wait=True)
