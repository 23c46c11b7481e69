"""Inserts this platform's writers send are stored as sent, without a decode and encode.

SecantusDB decodes every inserted document from the wire (`bson.decode` in
`wire._parse_op_msg`), then encodes the dict again to store it (`bson.encode` in
`Storage.insert`). For canonical BSON, what the driver's encoder writes, the round trip gives
back the bytes it started from, so all it does is cost: at scale 10 the first build of the
185,000 customer profiles (~1.8 KB each, dozens of decimals) spent ~4.5 s of the server's CPU
decoding them and ~1.7 s encoding them again, over half of its insert work. mongod, too,
stores the bytes a client sends, once it has validated them. Here, measured alone at scale 10:
the profiles' inserts took 6.2 s instead of 12.2 s (the server's CPU 4.8 s instead of 11.4 s),
the whole first build 15.8 s instead of 22.0 s.

An insert whose command carries `comment: CANONICAL` (`pipelined.PipelinedInserter` sends it:
profiles and event buckets, encoded by `arrow_bson` or the driver's encoder; both give what
`bson.encode` gives, tests/unit/test_arrow_bson.py, and tests/unit/test_raw_inserts.py checks
that re-encoding their decode gives the same bytes) has its documents read lightly here: each
is a `RawInsert`, a dict of its `_id` alone (`light_reads.light_decode`) that `bson.encode`
writes as the bytes it came with (the driver's `RawBSONDocument` marker). SecantusDB's insert
then does what it does for any document: the `_id` checks, the `_id` index, the stored bytes
(those two rows written by `raw_insert_writes`, through WiredTiger's raw cursor calls).

It is exact only where the insert reads nothing but `_id`: a collection without secondary
indexes, validator, capped or time-series options, on a server without an oplog, outside a
transaction. Otherwise (checked under the collection's lock, which index builds take too, so
no index appears in between) each document is decoded as SecantusDB decodes it and the insert
runs unchanged. A message that is not exactly such an insert (checksums, more sections, a
document that does not start with `_id`, or whose `_id` the light reader cannot read) is
parsed by SecantusDB.

The marker is the writer's word that its bytes are canonical BSON: nothing here validates them
(that check would be the decode it saves). So a writer must not send what the driver would not
write: `arrow_bson` refuses values the driver's types cannot hold (a date past year 9999,
which SecantusDB could not decode again). Installed only in the embedded server's own process
(`embedded_process.py`); on a real MongoDB the comment is only a comment.
"""

from __future__ import annotations

import struct
from typing import Any

import bson

from retail.nosql import light_reads, raw_insert_writes

CANONICAL = "retail: canonical BSON"
_INT32 = struct.Struct("<i")
_ONLY_ID: frozenset[bytes] = frozenset()
_ID_FIRST = b"_id\x00"  # after a document's size and its first element's type byte
_TRANSACTION = ("txnNumber", "autocommit", "startTransaction")
_PLAIN = frozenset(("uuid",))  # collection options that change nothing an insert does


class RawInsert(dict):  # type: ignore[type-arg]
    """An inserted document as its `_id` (the dict) and its bytes (`raw`, what `bson.encode`
    writes for it, by the driver's marker of a raw document)."""

    __slots__ = ("raw",)
    _type_marker = 101  # bson's RAW_BSON_DOCUMENT type marker

    def __init__(self, raw: bytes, ident: dict[str, Any]) -> None:
        super().__init__(ident)
        self.raw = raw


def _documents(buf: bytes, offset: int, end: int) -> list[RawInsert] | None:
    """The documents of a kind-1 section body, lightly read; None when one is not well framed,
    does not start with `_id` (canonical BSON from the driver does) or its `_id` cannot be read
    lightly."""
    documents = []
    while offset < end:
        if offset + 5 > end:
            return None
        (size,) = _INT32.unpack_from(buf, offset)
        if size < 5 or offset + size > end or buf[offset + size - 1] != 0:
            return None
        raw = buf[offset:offset + size]
        if raw[5:9] != _ID_FIRST:  # SecantusDB (and mongod) store `_id` first
            return None
        try:
            ident = light_reads.light_decode(raw, _ONLY_ID)
        except (ValueError, IndexError, struct.error, bson.InvalidBSON):
            return None  # malformed: SecantusDB's parse gives its error
        if ident is None:
            return None
        documents.append(RawInsert(raw, ident))
        offset += size
    return documents


def parse_raw_insert(buf: bytes) -> Any:
    """`buf` (an OP_MSG body) as SecantusDB's `OpMsg` with `RawInsert` documents when it is an
    insert marked `CANONICAL`: flags 0, its command section first and one `documents`
    sequence after it. None for any other message (SecantusDB then parses it)."""
    from secantus.wire import OpMsg

    if len(buf) < 10 or buf[:5] != b"\x00\x00\x00\x00\x00":  # flags 0, then a kind-0 section
        return None
    (size,) = _INT32.unpack_from(buf, 5)
    if size < 5 or 5 + size > len(buf) or CANONICAL.encode() not in buf[5:5 + size]:
        return None
    body = bson.decode(buf[5:5 + size])
    if next(iter(body), None) != "insert" or body.get("comment") != CANONICAL \
            or "documents" in body:
        return None
    offset = 5 + size
    if offset + 5 > len(buf) or buf[offset] != 1:
        return None
    (length,) = _INT32.unpack_from(buf, offset + 1)
    end = offset + 1 + length
    if end != len(buf) or buf.find(b"documents\x00", offset + 5, offset + 15) != offset + 5:
        return None
    documents = _documents(buf, offset + 15, end)
    if documents is None:
        return None
    return OpMsg(flags=0, body=body, document_sequences=[("documents", documents)])


def _keeps_bytes(command: dict[str, Any], ctx: Any) -> bool:
    """Whether SecantusDB's insert reads nothing of the documents but `_id` (call under the
    collection's lock)."""
    storage, db, name = ctx.storage, ctx.db_name, command["insert"]
    if storage.enable_oplog or any(key in command for key in _TRANSACTION) \
            or getattr(storage._tls, "user_txn", None) is not None:
        return False
    if not isinstance(name, str) or name.startswith("system.") \
            or db in ("admin", "local", "config"):
        return False
    options = storage.get_collection_options(db, name)  # a created collection's: its uuid
    return set(options) <= _PLAIN and not storage._all_indexes(db, name)


def _decoded(command: dict[str, Any]) -> dict[str, Any] | None:
    """The documents decoded as SecantusDB decodes them (None: a document is not BSON)."""
    try:
        command["documents"] = [bson.decode(document.raw) if type(document) is RawInsert
                                else document for document in command["documents"]]
    except bson.InvalidBSON as exc:
        return {"ok": 0.0, "errmsg": str(exc), "code": 2, "codeName": "BadValue"}
    return None


def install() -> None:
    """Read marked inserts lightly in SecantusDB (this process only; idempotent)."""
    from secantus import commands, wire

    raw_insert_writes.install()
    if hasattr(wire._parse_op_msg, "original"):
        return
    original_parse = wire._parse_op_msg
    original_insert = commands._HANDLERS["insert"]

    def _parse_op_msg(buf: bytes) -> Any:
        parsed = parse_raw_insert(buf)
        return parsed if parsed is not None else original_parse(buf)

    def insert(command: dict[str, Any], ctx: Any) -> dict[str, Any]:
        documents = command.get("documents")
        if not isinstance(documents, list) or not any(type(d) is RawInsert for d in documents):
            return original_insert(command, ctx)
        name = command.get("insert")
        if not isinstance(name, str):
            error = _decoded(command)
            return error if error is not None else original_insert(command, ctx)
        with ctx.storage._coll_lock(ctx.db_name, name):
            if not _keeps_bytes(command, ctx):
                error = _decoded(command)
                return error if error is not None else original_insert(command, ctx)
            with raw_insert_writes.plain(ctx.db_name, name):
                return original_insert(command, ctx)

    _parse_op_msg.original = original_parse  # type: ignore[attr-defined]
    insert.original = original_insert  # type: ignore[attr-defined]
    wire._parse_op_msg = _parse_op_msg
    commands._HANDLERS["insert"] = insert
