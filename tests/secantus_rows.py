"""The rows an in-process SecantusDB server stores, read from its WiredTiger tables: for tests
that compare what two servers (or two ways of writing) stored, row for row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from secantus import storage as secantus_storage

INDEX_TABLES = (secantus_storage._IDX_TABLE, secantus_storage._IDX_ENTRIES_TABLE,
                secantus_storage._UNIQ_TABLE)  # the catalog, the entries, the unique claims


@contextmanager
def reading(storage: Any) -> Iterator[Any]:
    """`storage` with a fresh read snapshot and its lock held (what its own reads do)."""
    storage._refresh_read_snapshot()
    try:
        with storage._lock:
            yield storage
    finally:
        storage.release_thread_snapshot()


def rows(storage: Any, table: str, *prefix: Any) -> list[tuple[Any, ...]]:
    """Each row of `table` (its key columns, then its value) whose key starts with `prefix`,
    without those columns, in key order (call inside `reading`)."""
    width = len(prefix)
    return [tuple(bytes(v) if isinstance(v, bytearray | memoryview) else v
                  for v in row[width:])
            for row in storage._cursor(table) if tuple(row[:width]) == prefix]


def index_tables(storage: Any, *prefix: Any) -> dict[str, list[tuple[Any, ...]]]:
    """`rows` of the three index tables under `prefix` (a database, and a collection)."""
    with reading(storage):
        return {table: rows(storage, table, *prefix) for table in INDEX_TABLES}
