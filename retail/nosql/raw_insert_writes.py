"""An insert stored as sent writes each document with two raw WiredTiger calls.

For each document of an insert, SecantusDB's `Storage._insert_chunk` probes the unique indexes,
validates geo indexes, checks the size, mints a RecordId and writes the `_id` index row
(`_write_nat_entry`: its key packed by the cursor's `set_key`), writes the document row
(`set_key`, `set_value`), writes the secondary index entries and checks multikey. Where
`raw_inserts` keeps an insert's bytes, the collection has no index but `_id` and no oplog, so
all that is left is those two rows; but each costs a walk through the cursor's Python
conveniences (packing the key and value from their parts again), ~30 µs a document in all. At
scale 10 that was 5.6 s of the profiles server's CPU for the 185,000 profiles, on the MongoDB
step's critical path.

Here such a chunk writes the same two rows per document through the cursor's raw calls: the
`_id` row's key is the namespace's packed prefix and the document's `_id` key, its value the
packed RecordId; the document row's key the prefix and the packed RecordId, its value the
framed `_id` key and bytes (SecantusDB's `_frame_doc_value`). RecordIds are minted by
SecantusDB, in the same order, inside the chunk's transaction (`_batch_transaction`), under the
collection's lock, with SecantusDB's retry of a write conflict around the whole chunk.

Only a chunk of an insert `raw_inserts` keeps the bytes of (`plain()`, set under the
collection's lock after `_keeps_bytes`) whose documents are all as sent, within the BSON size
limit, takes this path. Anything else, and a chunk holding a duplicate `_id` (its transaction
rolled back first), is SecantusDB's `_insert_chunk`, which reports the duplicate its own way.
Installed only in the embedded server's own process (`raw_inserts.install`).
tests/unit/test_raw_inserts.py compares the stored rows, RecordIds included, and the replies
with SecantusDB's own insert.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from retail.nosql.wiredtiger_packing import pack, pack_int

_state = threading.local()  # .namespace: the (db, collection) whose insert keeps its bytes


class _Duplicate(Exception):
    """A document's `_id` is taken: the chunk is rolled back and left to SecantusDB."""


@contextlib.contextmanager
def plain(db: str, collection: str) -> Iterator[None]:
    """While the insert into `db.collection` runs, its chunks of documents as sent are
    written here (the caller holds the collection's lock and checked `_keeps_bytes`)."""
    _state.namespace = (db, collection)
    try:
        yield
    finally:
        _state.namespace = None


def _takes(db: str, coll: str, prepared: list[tuple[Any, bytes]]) -> bool:
    from secantus.storage import MAX_BSON_OBJECT_SIZE

    from retail.nosql.raw_inserts import RawInsert

    return getattr(_state, "namespace", None) == (db, coll) and all(
        type(doc) is RawInsert and len(blob) <= MAX_BSON_OBJECT_SIZE for doc, blob in prepared)


def _write_chunk(storage: Any, db: str, coll: str, prepared: list[tuple[Any, bytes]],
                 sync: bool) -> None:
    """The chunk's `_id` and document rows, in one transaction."""
    import wiredtiger as wt
    from secantus import storage as secantus

    with storage._coll_lock(db, coll), storage._batch_transaction(sync=sync):
        storage._ensure_collection(db, coll)
        prefix = pack("SSu", db, coll, b"")  # both tables' keys start with the namespace
        ids = storage._cursor(secantus._NAT_SEQ_TABLE, overwrite=False)
        rows = storage._cursor(secantus._doc_table_for(db, coll), overwrite=False)
        id_key, mint = secantus._id_key, storage._mint_nat_seq
        for doc, blob in prepared:
            key = id_key(doc["_id"])
            recordid = mint()
            id_row, packed_id = prefix + key, pack_int(recordid)
            doc_row = prefix + packed_id
            value = len(key).to_bytes(4, "little") + key + blob
            try:  # the packed bytes stay referenced until each insert returns
                ids._set_key(id_row)
                ids._set_value(packed_id)
                ids.insert()
            except wt.WiredTigerError as exc:
                if secantus._is_wt_duplicate_key(exc):
                    raise _Duplicate from exc
                if secantus._is_wt_rollback(exc):
                    raise secantus.WriteConflictError(str(exc)) from exc
                raise
            try:
                rows._set_key(doc_row)
                rows._set_value(value)
                rows.insert()
            except wt.WiredTigerError as exc:  # a fresh RecordId: only a conflict is left
                raise secantus.WriteConflictError(str(exc)) from exc


def install() -> None:
    """Write the chunks of kept inserts here in SecantusDB's storage (this process only;
    idempotent)."""
    from secantus import storage as secantus

    if hasattr(secantus.Storage._insert_chunk, "original"):
        return
    original = secantus.Storage._insert_chunk  # SecantusDB's, with its conflict retries

    @secantus._retry_write_conflicts
    def _written(self: Any, db: str, coll: str, prepared: list[tuple[Any, bytes]],
                 sync: bool) -> None:
        _write_chunk(self, db, coll, prepared, sync)

    def _insert_chunk(self: Any, db: str, coll: str, prepared: list[tuple[Any, bytes]], *,
                      base_index: int, ordered: bool, sync: bool, fresh_id_keys: set[bytes]
                      ) -> tuple[int, list[dict[str, Any]], bool]:
        if prepared and _takes(db, coll, prepared):
            try:  # (`fresh_id_keys` matter to a capped collection only, never taken here)
                _written(self, db, coll, prepared, sync)
                return len(prepared), [], False
            except _Duplicate:
                pass  # rolled back: SecantusDB's insert reports it
        return original(self, db, coll, prepared, base_index=base_index, ordered=ordered,
                        sync=sync, fresh_id_keys=fresh_id_keys)

    _insert_chunk.original = original  # type: ignore[attr-defined]
    secantus.Storage._insert_chunk = _insert_chunk  # type: ignore[method-assign]
