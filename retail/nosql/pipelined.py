"""Inserting batches while the next one is built: the client's work overlaps the server's.

`insert_many` waits for the server to store a batch. Building the next batch (DuckDB rows to
documents, BSON encoding) meanwhile, in this process, while a worker thread waits on the
socket (releasing the GIL), lets both sides work at once when the server runs elsewhere: the
embedded server's own process (retail/nosql/embedded_process.py) or a real MongoDB. At most
one batch is in flight, so memory stays at two batches and errors surface in batch order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any


class PipelinedInserter:
    """`insert(documents)` sends a batch and returns once the previous batch is stored."""

    def __init__(self, collection: Any, executor: ThreadPoolExecutor) -> None:
        self._collection = collection
        self._executor = executor
        self._pending: Future[Any] | None = None

    def insert(self, documents: list[dict[str, Any]]) -> None:
        if not documents:
            return
        self.wait()
        self._pending = self._executor.submit(
            self._collection.insert_many, documents, ordered=False)

    def wait(self) -> None:
        """Until the batch in flight is stored (raises its error, if any)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()


@contextmanager
def pipelined_inserts(collection: Any) -> Iterator[PipelinedInserter]:
    """An inserter into `collection`; every batch is stored when the block ends normally."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mongo-insert") as executor:
        inserter = PipelinedInserter(collection, executor)
        try:
            yield inserter
        finally:
            inserter.wait()


def insert_batches(collection: Any, batches: Iterable[list[dict[str, Any]]]) -> int:
    """Insert every batch, building the next while the previous is stored; returns the count."""
    count = 0
    with pipelined_inserts(collection) as inserter:
        for documents in batches:
            inserter.insert(documents)
            count += len(documents)
    return count
