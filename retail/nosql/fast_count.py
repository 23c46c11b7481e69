"""Counting a whole collection on the embedded server walks its keys, not its documents.

Why: the platform trusts what `events` and `customer_profiles` hold by their UUID and their
document count (load_ledger.py), so every sync and every profiles check counts the collection
(`estimated_document_count()`). SecantusDB answers a count without a filter by walking the
collection (`Storage._scan_docs`): for every document it copies the stored value out of
WiredTiger and unframes it, only to add one. At scale 10 that is 1.0 s for the 221,709 session
buckets of `events`, paid in the bronze step before dbt may open the warehouse, on every run
(and ~10 s at scale 100). A count needs the rows, not their values: here such a count walks the
same rows reading only each row's raw key: 0.21 s for the same 221,709.

Exact: SecantusDB keys a documents table (one of its shards, which several collections share)
by (database, collection, RecordId), packed `SSq`. Strings pack NUL-terminated, so a row is the
collection's exactly when its packed key starts with the packed (database, collection) pair:
`events2` differs from `events` at the NUL. The walk starts where `_scan_docs` starts (the
pair with the smallest RecordId), stops where it stops (the first row of another pair, or the
table's end), and runs as `count_matching` runs it: under the storage lock, after the same read
snapshot refresh, polling the operation's deadline (`maxTimeMS`). Counts with a filter, on the
server's special collections (the oplog, `system.users`, `system.version`), or on a table keyed
otherwise are SecantusDB's own. Installed only in the embedded server's own process
(`embedded_process.py`); tests/unit/test_fast_count.py compares both counts.
"""

from __future__ import annotations

from typing import Any

KEY_FORMAT = "SSq"  # (database, collection, RecordId): SecantusDB's documents tables
DEADLINE_EVERY = 4096  # rows between two polls of the operation's deadline


def count_rows(storage: Any, db: str, coll: str) -> int | None:
    """The documents of `db.coll`, counted by their keys; None when its table is keyed
    otherwise than this walk reads (the caller then counts as SecantusDB does)."""
    import wiredtiger
    from secantus import deadline
    from secantus import storage as secantus_storage

    from retail.nosql.wiredtiger_packing import pack

    cursor = storage._cursor_optional(secantus_storage._doc_table_for(db, coll))
    if cursor is None:
        return 0  # SecantusDB creates a shard when it is first written: none, no documents
    if cursor.key_format != KEY_FORMAT:
        return None
    prefix = pack(KEY_FORMAT[:2], db, coll)
    cursor.set_key(db, coll, secantus_storage._INT64_MIN)
    found = cursor.search_near()
    if found == wiredtiger.WT_NOTFOUND or (found < 0 and cursor.next() != 0):
        return 0
    raw_key, step = cursor._get_key, cursor.next
    total = 0
    while raw_key().startswith(prefix):
        total += 1
        if total % DEADLINE_EVERY == 0:
            deadline.check()
        if step() != 0:
            break
    return total


def install() -> None:
    """Count by keys in SecantusDB's unfiltered counts (this process only; idempotent)."""
    from secantus import storage

    if hasattr(storage.Storage.count_matching, "original"):
        return
    original = storage.Storage.count_matching

    def count_matching(self: Any, db: str, coll: str, filter: dict[str, Any] | None = None,
                       **options: Any) -> int:
        if filter or any(special(db, coll) for special in (
                self._is_oplog_rs, self._is_system_users, self._is_system_version)):
            return original(self, db, coll, filter, **options)
        with self._lock:
            self._refresh_read_snapshot()
            counted = count_rows(self, db, coll)
        return original(self, db, coll, filter, **options) if counted is None else counted

    count_matching.original = original  # type: ignore[attr-defined]
    storage.Storage.count_matching = count_matching  # type: ignore[method-assign]
