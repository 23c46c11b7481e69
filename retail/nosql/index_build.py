"""An index build on the embedded server decodes only the fields it indexes.

SecantusDB builds an index by walking the collection and decoding every document whole
(`bson.decode`) to read the indexed fields. For a customer profile (~1.8 KB: orders, lines,
dozens of money values) that decode is ~17 µs, most of the build, and it is paid once per
index: at scale 10 the two profile indexes decoded 370,000 profiles, 6.2 s of the 20 s build.

Here, while SecantusDB builds an index whose keys are top-level fields (no dotted path, no
partial filter, no geo or special index type), each document the build's scan hands out is
read element by element only up to the indexed fields and `_id`, and just those elements are
decoded, by the same decoder, into a dict. The build uses that dict as it used the whole
document: for the keys, multikey detection, sparse coverage, and the duplicate-key error
(`_id` and the key's value). Exact: the decoder gives an element's value (a subdocument or
an array whole, so multikey arrays and `_id` documents included) whatever else the document
holds, and SecantusDB stores every document as `bson.encode(dict)` (or, for the platform's
inserts stored as sent by `raw_inserts`, as the driver's encoder wrote them), so no stored
document repeats a top-level key. A document with a BSON type this reader does not know is
decoded whole, as before.

Such a build also lays its entries down in key order. SecantusDB writes each index entry (and,
for a unique index, each unique-key claim) as it comes in document order, one WiredTiger insert
through the cursor's Python conveniences each: for an index on md5 hex keys that is a random
place in the B-tree every time. Here the cursors of the entries and claims tables hand the
build a stand-in (`SortedWrites`) that keeps the rows, and once SecantusDB's build is done, still
under its locks, they are written sorted by key through the cursor's raw calls. The tables end
up holding the same rows (overwriting writes keep the last value of a key, as before); only the
order and the cost of writing them change. The two profile indexes at scale 10 (185,000
profiles) took 7.5 s to build before and 6.0 s now.

One `createIndexes` command building several such indexes reads the collection once. The first
build's scan reads, besides its own fields, those of the indexes after it, and keeps them per
document (`_SharedScan`); the later builds replay those instead of scanning the collection and
reading every stored document again. The command holds the collection's lock from its first
build to its last, so no write falls between the scan and a replay; a build that fails or a
scan cut short leaves nothing to replay (the next build scans as before), and a collection of
more than `REPLAY_LIMIT` documents is scanned by each build as before, so the kept fields never
cost more than ~100 MB of the server's memory. The profiles' two indexes are one command
(`profiles._create_indexes`): a first build of the 185,000 profiles of scale 10, alone, went
from 19.8 to 18.3 s, the server's CPU from 15.4 to 13.9 s.

An index on one top-level field (ascending or descending, no collation) whose documents all
hold a string there, or null or nothing (unless the index is sparse), as the profiles'
`customer_key` and `customer_number` and the events' batch index do, has its entries computed
here instead (`_Bulk`): SecantusDB's build loop, per document, asked again whether the value
makes the index multikey, listed its key variants and handed each entry and claim to the
cursor as a tuple to pack. Here the scan is read ahead of it (`_bulk_rows`: the light read of
the field, SecantusDB's own key encoding `sortkey.encode_value_directed`, the unique check),
SecantusDB's build is given no document (so it checks the index does not exist yet, writes its
catalog row with its options, not multikey, and its oplog entry, as for an empty collection),
and the entries and claims are packed here as its `_pack_entry` and `_escape_kb` and the
tables' formats say and written sorted with the build's other rows. At the first document
holding anything else, or repeating a unique key, the attempt is dropped and SecantusDB's build
scans the collection as before (and reports the duplicate its way); the documents the attempt
read are read again. The profiles' two indexes at scale 10, alone: 5.1 -> 4.5 s.

How it is put in place (`install()`, only in the embedded server's own process,
`embedded_process.py`): `Storage.create_index`, `Storage._scan_docs` and `Storage._cursor` are
wrapped so that, during such a build, each blob the scan yields is marked on the build's own
thread for `light_reads` to read lightly (its first decode, which the build or `_bulk_rows`
does at once), and the entries and claims go through `SortedWrites`; every other decode and
write is SecantusDB's. The `createIndexes` command's handler is wrapped to share one scan
(above). tests/unit/test_index_build.py compares the index entries, catalog options and
errors with SecantusDB's own build (string keys, nulls and missing values, a number after
strings, repeated unique keys among them).
"""

from __future__ import annotations

import functools
import operator
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from retail.nosql import light_reads
from retail.nosql.wiredtiger_packing import pack, pack_int

# on the building thread: .fields, the fields of the index being built; .writes, the stand-ins
# of the tables it writes (table -> SortedWrites); .shared, the `_SharedScan` of the
# createIndexes command running; .replay, the rows a build replays instead of scanning;
# .bulk, the `_Bulk` of a build that may compute its entries here
_state = threading.local()
REPLAY_LIMIT = 400_000  # documents: above, each build of a command scans the collection itself


class _SharedScan:
    """What one createIndexes command's builds share: `later`, the fields the builds after the
    first read (`_id` aside); once a build's scan went through the whole collection, `rows`:
    per document (recordid, id key, `_id` and those fields, decoded)."""

    def __init__(self, later: frozenset[bytes]) -> None:
        self.later = later
        self.rows: list[tuple[int, bytes, dict[str, Any]]] | None = None


class _Replayed:
    """Stands in for a stored document a replaying build decodes: `light_reads` hands the
    build the kept fields instead (anything else done with it fails loudly)."""

    __slots__ = ()


def _keeper(rows: list[tuple[int, bytes, dict[str, Any]]], recordid: int, id_key: bytes,
            fields: frozenset[bytes], later: frozenset[bytes]) -> Callable[[bytes], Any]:
    """A reader of one scanned document for the build (its `fields` and the later builds'),
    which also keeps the later builds' fields in `rows`."""

    def read(blob: bytes) -> dict[str, Any]:
        doc = light_reads.read(blob, fields | later)
        rows.append((recordid, id_key, {name: value for name, value in doc.items()
                                        if name == "_id" or name.encode() in later}))
        return doc

    return read


def _replayer(kept: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    return lambda _blob: dict(kept)  # a copy: the build may keep what it is given


class _Bulk:
    """A build of an index on one top-level field, ascending or descending, without collation,
    whose entries are computed here when every document holds a string there, or (unless the
    index is sparse) null or nothing (`_bulk_rows`); `rows`: then its (key, RecordId) pairs, in
    scan order."""

    __slots__ = ("field", "direction", "unique", "sparse", "rows")

    def __init__(self, field: str, direction: int, options: Mapping[str, Any]) -> None:
        self.field, self.direction = field, direction
        self.unique, self.sparse = bool(options.get("unique")), bool(options.get("sparse"))
        self.rows: list[tuple[bytes, int]] | None = None


def _bulk(key_spec: Mapping[str, Any], options: Mapping[str, Any] | None) -> _Bulk | None:
    options = options or {}
    if len(key_spec) != 1 or options.get("collation") is not None:
        return None
    ((field, direction),) = key_spec.items()
    if type(direction) is not int or direction not in (1, -1):
        return None
    return _Bulk(field, direction, options)


def _bulk_rows(items: Iterator[tuple[int, bytes, Any]], bulk: _Bulk
               ) -> list[tuple[bytes, int]] | None:
    """Each scanned document's key (`sortkey.encode_value_directed`, as SecantusDB computes
    it) and RecordId; None, at the first document whose value is neither a string nor null (or
    null in a sparse index) or, for a unique index, repeats a key (SecantusDB's build then runs
    as it would, and reports it)."""
    from secantus import deadline, sortkey

    encode, check, field, direction = (sortkey.encode_value_directed, deadline.check,
                                       bulk.field, bulk.direction)
    null = None if bulk.sparse else encode(None, direction, collation=None)  # null or missing
    seen: set[bytes] | None = set() if bulk.unique else None
    rows: list[tuple[bytes, int]] = []
    for recordid, _id_key, blob in items:
        check()  # `maxTimeMS`, as SecantusDB's build checks it
        value = light_reads.decode(blob).get(field)
        if type(value) is str:
            key = encode(value, direction, collation=None)
        elif value is None and null is not None:
            key = null
        else:
            return None
        if seen is not None:
            if key in seen:
                return None
            seen.add(key)
        rows.append((key, recordid))
    return rows


class SortedWrites:
    """Stands in for a WiredTiger cursor the build only writes through (`reset`, `c[key] =
    value`): keeps the rows; `flush` writes them in key order through the cursor's raw calls.
    Anything else the build would ask of the cursor raises, so a SecantusDB that reads these
    tables during a build fails loudly here instead of reading rows not written yet."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._rows: list[tuple[Any, Any]] = []
        self._packed: list[tuple[bytes, bytes]] = []  # rows packed already (`add_packed`)

    def reset(self) -> int:
        return 0

    def __setitem__(self, key: Any, value: Any) -> None:
        self._rows.append((key, value))

    def add_packed(self, rows: list[tuple[bytes, bytes]]) -> None:
        """Rows whose key and value are packed as the cursor's formats say, written after the
        ones set before (of two writes of one key, the later one is kept)."""
        self._packed.extend(rows)

    @property
    def key_format(self) -> str:
        return str(self._cursor.key_format)

    @property
    def value_format(self) -> str:
        return str(self._cursor.value_format)

    def flush(self) -> None:
        """Write the rows, sorted by their packed key (WiredTiger's byte order; stable, so of
        two writes of one key the later one is written last and kept, as before)."""
        rows, self._rows = self._rows, []
        key_of, value_of = _packer(self._cursor.key_format), _packer(self._cursor.value_format)
        packed = [(key_of(key), value_of(value)) for key, value in rows]
        del rows  # the build's own row tuples: only the packed rows are needed from here
        packed += self._packed
        self._packed = []
        packed.sort(key=operator.itemgetter(0))
        cursor = self._cursor
        cursor.reset()
        set_key, set_value, insert = cursor._set_key, cursor._set_value, cursor.insert
        for key, value in packed:  # `key` and `value` stay referenced until `insert` returns
            set_key(key)
            set_value(value)
            if insert() != 0:
                raise KeyError(key)
        cursor.reset()


def _packer(fmt: str) -> Callable[[Any], bytes]:
    """Packs one row's key or value (a tuple, or one value) as `fmt` says, as the cursor's
    `set_key`/`set_value` would. When the last column is raw bytes (`u`, written as they are),
    the columns before it are packed once per distinct value: the entries of one index share
    their database, collection and index name."""
    prefixes: dict[tuple[Any, ...], bytes] = {}
    raw_last = fmt.endswith("u") and not fmt[-2:-1].isdigit()  # `10u` is sized

    def packed(values: Any) -> bytes:
        values = values if isinstance(values, tuple) else (values,)
        if not raw_last or type(values[-1]) is not bytes:
            return pack(fmt, *values)
        head = values[:-1]
        prefix = prefixes.get(head)
        if prefix is None:
            prefix = prefixes[head] = pack(fmt, *head, b"")
        return prefix + values[-1]

    return packed


def indexed_fields(key_spec: Mapping[str, Any], options: Mapping[str, Any] | None
                   ) -> frozenset[bytes] | None:
    """The top-level fields an index reads, or None when its build keeps decoding whole
    documents (dotted paths, `$` names, special index types, a partial filter)."""
    if (options or {}).get("partialFilterExpression") is not None or not key_spec:
        return None
    for field, direction in key_spec.items():
        if (not isinstance(field, str) or "." in field or field.startswith("$")
                or "\x00" in field or isinstance(direction, str | bool)
                or not isinstance(direction, int | float)):
            return None
    return frozenset(field.encode() for field in key_spec)


def _later_fields(doc: Mapping[str, Any]) -> frozenset[bytes] | None:
    """The fields the builds after the first of a createIndexes command `doc` read, when it
    asks for several indexes and every one is read lightly (`indexed_fields`); else None."""
    specs = doc.get("indexes")
    if not isinstance(specs, list) or len(specs) < 2:
        return None
    later: set[bytes] = set()
    for position, spec in enumerate(specs):
        if not isinstance(spec, Mapping) or not isinstance(spec.get("key"), Mapping):
            return None
        fields = indexed_fields(spec["key"], {k: v for k, v in spec.items()
                                              if k not in ("key", "name")})
        if fields is None:
            return None
        if position:
            later |= fields
    return frozenset(later)


def install() -> None:
    """Read lightly in SecantusDB's index builds (this process only; idempotent)."""
    from secantus import commands, storage

    light_reads.install()
    if hasattr(storage.Storage.create_index, "original"):
        return
    original_create_index = storage.Storage.create_index
    original_scan_docs = storage.Storage._scan_docs
    original_cursor = storage.Storage._cursor
    sorted_tables = (storage._IDX_ENTRIES_TABLE, storage._UNIQ_TABLE)  # the entries, the claims

    def create_index(self: Any, db: str, coll: str, name: str, key_spec: Mapping[str, Any],
                     options: Mapping[str, Any] | None = None) -> bool:
        fields = indexed_fields(key_spec, options)
        if fields is None:
            return original_create_index(self, db, coll, name, key_spec, options)
        shared = getattr(_state, "shared", None)
        # the rows are written before the locks SecantusDB's build holds are released (both
        # are re-entrant; this is the order it takes them in)
        with self._coll_lock(db, coll), self._lock:
            _state.fields, _state.writes = fields, {}
            _state.replay = (shared.rows if shared is not None and shared.rows is not None
                             and fields <= shared.later else None)
            bulk = _state.bulk = _bulk(key_spec, options)
            try:
                created = original_create_index(self, db, coll, name, key_spec, options)
                if bulk is not None and bulk.rows is not None:  # SecantusDB's scan was empty
                    _write_bulk(self, db, coll, name, bulk.unique, bulk.rows)
                for writes in _state.writes.values():
                    writes.flush()
                return created
            finally:
                _state.fields = _state.writes = _state.replay = _state.bulk = None
                light_reads.forget_marks()

    def _write_bulk(self: Any, db: str, coll: str, name: str, unique: bool,
                    rows: list[tuple[bytes, int]]) -> None:
        """A bulk build's entries (and claims), packed here as SecantusDB's build would have
        set them (`_pack_entry`, `_escape_kb`), to be written with the build's other rows."""
        escape, separator = storage._escape_kb, storage._ENTRY_SEP
        entries = _cursor(self, storage._IDX_ENTRIES_TABLE)
        prefix = pack(entries.key_format, db, coll, name, b"")  # the raw last column follows
        empty = pack(entries.value_format, b"")
        entries.add_packed([(prefix + escape(key) + separator
                             + recordid.to_bytes(8, "big", signed=True), empty)
                            for key, recordid in rows])
        if unique:
            claims = _cursor(self, storage._UNIQ_TABLE)
            assert (claims.key_format, claims.value_format) == (entries.key_format, "q")
            claims.add_packed([(prefix + escape(key), pack_int(recordid))
                               for key, recordid in rows])

    def _cursor(self: Any, table: str, *, overwrite: bool = True) -> Any:
        writes = getattr(_state, "writes", None)
        if writes is None or table not in sorted_tables or not overwrite:
            return original_cursor(self, table, overwrite=overwrite)
        if table not in writes:
            writes[table] = SortedWrites(original_cursor(self, table))
        return writes[table]

    def _scan_docs(self: Any, db: str, coll: str) -> Iterator[tuple[int, bytes, Any]]:
        if getattr(_state, "fields", None) is None:
            yield from original_scan_docs(self, db, coll)
            return
        bulk = getattr(_state, "bulk", None)
        if bulk is not None:  # the entries computed here, SecantusDB's build given no document
            items = _marked_scan(self, db, coll)
            try:
                bulk.rows = _bulk_rows(items, bulk)
            finally:
                items.close()
            if bulk.rows is not None:
                return
        yield from _marked_scan(self, db, coll)

    def _marked_scan(self: Any, db: str, coll: str) -> Iterator[tuple[int, bytes, Any]]:
        """The build's documents, each marked to be read lightly (or replayed)."""
        fields = _state.fields
        replay = getattr(_state, "replay", None)
        if replay is not None:  # a later build of the command: the first one's scan, kept
            for recordid, id_key, kept in replay:
                stand_in = _Replayed()
                light_reads.mark(stand_in, _replayer(kept))  # type: ignore[arg-type]
                yield recordid, id_key, stand_in
            return
        shared = getattr(_state, "shared", None)
        if shared is None or shared.rows is not None:
            reader = functools.partial(light_reads.read, fields=fields)
            for item in original_scan_docs(self, db, coll):
                light_reads.mark(item[2], reader)
                yield item
            return
        rows: list[tuple[int, bytes, dict[str, Any]]] | None = []
        scanned = 0
        for recordid, id_key, blob in original_scan_docs(self, db, coll):
            scanned += 1
            if rows is not None and scanned > REPLAY_LIMIT:
                rows = None  # too many to keep: the later builds scan for themselves
            if rows is not None:
                light_reads.mark(blob, _keeper(rows, recordid, id_key, fields, shared.later))
            else:
                light_reads.mark(blob, functools.partial(light_reads.read, fields=fields))
            yield recordid, id_key, blob
        if rows is not None and len(rows) == scanned:  # every document scanned and read
            shared.rows = rows

    def create_indexes_command(doc: Mapping[str, Any], ctx: Any) -> Any:
        """SecantusDB's createIndexes, its builds sharing one scan (`_SharedScan`) when every
        index it asks for is read lightly and there are several."""
        later = _later_fields(doc)
        coll = doc.get("createIndexes")
        if later is None or not isinstance(coll, str):
            return original_command(doc, ctx)
        with ctx.storage._coll_lock(ctx.db_name, coll):  # one snapshot for every build
            _state.shared = _SharedScan(later)
            try:
                return original_command(doc, ctx)
            finally:
                _state.shared = None

    original_command = commands._HANDLERS["createIndexes"]
    create_index.original = original_create_index  # type: ignore[attr-defined]
    commands._HANDLERS["createIndexes"] = create_indexes_command
    storage.Storage.create_index = create_index  # type: ignore[method-assign]
    storage.Storage._scan_docs = _scan_docs  # type: ignore[method-assign]
    storage.Storage._cursor = _cursor  # type: ignore[method-assign]
