"""Inserting batches while the next one is built: the client's work overlaps the server's.

`insert_many` waits for the server to store a batch. Building the next batch (DuckDB rows to
documents, BSON encoding) meanwhile, in this process, while a worker thread waits on the
socket (releasing the GIL), lets both sides work at once when the server runs elsewhere: the
embedded server's own process (retail/nosql/embedded_process.py) or a real MongoDB. At most
one batch is in flight, so memory stays at two batches and errors surface in batch order.

Each batch is BSON-encoded by the thread that built it, before it is handed over
(`RawBSONDocument`s, which the driver sends as they are), with the comment that they are
canonical BSON, which the embedded server then stores as sent (`raw_inserts`). Encoded by the
driver inside `insert_many`, in the worker, the encoding held the GIL while the next batch was
being built, so the two took turns and the server waited for both: 185,000 profiles (scale 10)
took 70.5 s, of which 45 s of inserts where the server was busy 23 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from bson import encode
from bson.raw_bson import RawBSONDocument

from retail.nosql.raw_inserts import CANONICAL


def encoded(documents: list[Any], codec_options: Any) -> list[RawBSONDocument]:
    """The documents as BSON, now, in this thread (with the collection's codec options);
    documents already encoded (`RawBSONDocument`s) as they are."""
    return [document if type(document) is RawBSONDocument
            else RawBSONDocument(encode(document, codec_options=codec_options))
            for document in documents]


class PipelinedInserter:
    """`insert(documents)` sends a batch and returns once the previous batch is stored."""

    def __init__(self, collection: Any, executor: ThreadPoolExecutor, ordered: bool) -> None:
        self._collection = collection
        self._executor = executor
        self._ordered = ordered
        self._pending: Future[Any] | None = None

    def insert(self, documents: list[dict[str, Any]]) -> None:
        """Encode `documents`, wait for the batch in flight, then send them (`documents` may
        be reused once this returns)."""
        if not documents:
            return
        batch = encoded(documents, self._collection.codec_options)
        self.wait()
        self._pending = self._executor.submit(
            self._collection.insert_many, batch, ordered=self._ordered, comment=CANONICAL)

    def wait(self) -> None:
        """Until the batch in flight is stored (raises its error, if any)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()


@contextmanager
def pipelined_inserts(collection: Any, *, ordered: bool = False
                      ) -> Iterator[PipelinedInserter]:
    """An inserter into `collection` (anything with `insert_many` and `codec_options`); every
    batch is stored when the block ends normally."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mongo-insert") as executor:
        inserter = PipelinedInserter(collection, executor, ordered)
        try:
            yield inserter
        finally:
            inserter.wait()

