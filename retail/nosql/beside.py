"""Work a caller hands the profiles' build to run while the server builds their indexes.

Why: the profiles' index builds are the embedded server's work alone (one core, ~4.5 s at
scale 10), while the process that asked for them waits on the socket. The MongoDB step has
other work that needs neither the profiles nor that server: the events' figures, the
aggregations into gold and the check against dbt (~1-1.3 s at scale 10, on the events'
server and DuckDB). Run during the index builds, instead of after them, it costs the step
nothing when the other core is free.

`Beside(work, release)`: `indexes(build)` runs `build` (the index builds, a call that waits on
the server) on a thread while `work` runs on this one, the first time it is called; `finish()`
runs `work` now if no index build came (an unchanged build, a rebuild without indexes to
build). Before `work` runs, `release()` lets go of what it must not hold (the build's
read-only DuckDB connection: `work` may write the warehouse, and DuckDB opens a file one way
at a time in a process). `work` runs at most once; its error is kept (`error`) for the caller
to raise once the profiles are done, so that a failure of the other work never undoes them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class Beside:
    def __init__(self, work: Callable[[], Any] | None, release: Callable[[], None]) -> None:
        self._work = work
        self._release = release
        self.error: Exception | None = None

    def indexes(self, build: Callable[[], Any]) -> None:
        """`build()`, with the work beside it if it has not run yet; raises `build`'s error."""
        work = self._take()
        if work is None:
            build()
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="profile-indexes") as pool:
            building = pool.submit(build)
            self._run(work)
            building.result()

    def finish(self) -> None:
        """The work, if no index build ran it; then raises its error, if any."""
        work = self._take()
        if work is not None:
            self._run(work)
        if self.error is not None:
            raise self.error

    def _take(self) -> Callable[[], Any] | None:
        work, self._work = self._work, None
        if work is not None:
            self._release()
        return work

    def _run(self, work: Callable[[], Any]) -> None:
        try:
            work()
        except Exception as error:  # raised by `finish`, after the profiles
            self.error = error
