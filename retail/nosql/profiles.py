"""Customer-360 documents in `customer_profiles`, built from gold and kept in step with it.

One document per `gold.dim_customers` row, `_id` = customer_id (so a profile is one indexed
`find_one({"_id": id})`), also indexed on `customer_key` and `customer_number`. It holds the
demographics and country, lifetime figures, the value tier and RFM segment from
`gold.customer_segments` (null when the Spark step has not run), the last 20 orders with
their lines, and `_gold_digest`: a digest (DuckDB hashes) of the gold row it was built from.

Why not a staging collection renamed over the live one: on the embedded server (SecantusDB)
a rename copies every document and index entry and the dropped target is deleted row by row,
so a rebuild cost three times the writes (4.9 s of renames and 2.2 s of drops at scale 1).
- First build (no live collection): the profiles go straight into `customer_profiles`, the
  indexes are built after the inserts (cheaper on the embedded server, see
  `events.ensure_event_indexes`); a failure drops the partial collection, nothing is recorded.
- Rebuild (gold changed): in place, per profile. DuckDB digests every row; the profiles whose
  `_gold_digest` differs are replaced, new customers inserted, gone ones deleted (last). It
  costs what changed, which is what a user re-running with a corrected or new batch needs.
  Trade-off, chosen consciously: a reader during a rebuild may see some old and some new
  profiles (each document whole, never half-written) where the rename showed all old or all
  new. A failed rebuild loses no profile (at worst old ones stay) and the next run, comparing
  digests again, completes it.
- A rebuild where most profiles changed (more than `IN_PLACE_SHARE`), a forced one
  (`skip_unchanged=False`), or one whose in-place writes collide on the unique `customer_key`
  (two customers swapping keys) writes a staging collection renamed over the live one: on the
  embedded server replacing a profile costs about twice inserting it, so past half the
  profiles the copy is cheaper; readers then see all old or all new profiles. On the embedded
  server (where nothing else reads during the run) the indexes are built after the rename,
  which then moves fewer rows (`_staged_build`).
- Unchanged gold (the fingerprint of all digests equals the last build's, and the live
  collection keeps that build's UUID and count, `load_ledger`): nothing is written.
  `skip_unchanged=False` rewrites every profile (it repairs a profile edited by hand in
  MongoDB, which keeps its digest and the count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from bson.codec_options import CodecOptions, TypeRegistry
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel, InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

from retail.nosql import arrow_bson
from retail.nosql.beside import Beside
from retail.nosql.decimals import decimal128
from retail.nosql.gold_io import existing_tables, read_only, require_tables
from retail.nosql.load_ledger import forget_build, record_build, recorded_build
from retail.nosql.pipelined import pipelined_inserts
from retail.nosql.profiles_sql import RECENT_ORDERS, profiles_query
from retail.progress import progress_bar
from retail.settings import Settings

PROFILES = "customer_profiles"
# profiles per insert: one insert's work on the server covers the client's making the next
DEFAULT_BATCH_SIZE = 10_000
ENCODE_ROWS = 10_000  # profiles encoded at once, at least (`_write`)
DIGEST = "_gold_digest"
DOCUMENT_VERSION = "3"  # bump when profile_document / profile_columns / _digested change
# above this share of changed profiles a rebuild stages and renames: on the embedded server a
# replace costs ~1.9 ms a profile, a whole staged build ~1.1 ms per profile (scale 1, loaded)
IN_PLACE_SHARE = 0.5
_TIER_FIELDS = ("value_tier", "tier")
_RFM_FIELDS = ("rfm_segment",)


def _bson_fallback(value: Any) -> Any:
    """DuckDB/Arrow Python values BSON has no type for: exact decimals, dates as UTC midnight.

    Called by the driver's C encoder for those values only (`CODEC_OPTIONS`), instead of a
    Python walk over every value of every profile, which cost more than the insert itself.
    Naive datetimes need nothing: BSON reads them as UTC.
    """
    if isinstance(value, Decimal):
        return decimal128(value)
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value


CODEC_OPTIONS = CodecOptions(tz_aware=True, tzinfo=dt.UTC,
                             type_registry=TypeRegistry(fallback_encoder=_bson_fallback))


def _first(mapping: dict[str, Any] | None, names: tuple[str, ...]) -> Any:
    for name in names:
        if mapping and mapping.get(name) is not None:
            return mapping[name]
    return None


def profile_document(row: dict[str, Any]) -> dict[str, Any]:
    """One query row -> one profile document (its values encoded with `CODEC_OPTIONS`)."""
    segment = row.get("segment")
    if segment:
        segment = {key: value for key, value in segment.items() if key != "customer_key"}
    lifetime_kpi = row.get("lifetime_kpi")
    if lifetime_kpi:
        lifetime_kpi = {key: value for key, value in lifetime_kpi.items() if key != "customer_key"}
    document = {"_id": row["customer_id"], **row, "segment": segment,
                "lifetime_kpi": lifetime_kpi,
                "value_tier": _first(segment, _TIER_FIELDS),
                "rfm_segment": _first(segment, _RFM_FIELDS)}
    document["recent_order_count"] = len(row["recent_orders"])
    return document


def _without_customer_key(column: pa.Array) -> pa.Array:
    """A struct column without its `customer_key` field (null rows stay null)."""
    if not pa.types.is_struct(column.type):
        return column
    kept = [i for i in range(column.type.num_fields) if column.type.field(i).name != "customer_key"]
    fields = column.flatten()
    return pa.StructArray.from_arrays([fields[i] for i in kept],
                                      fields=[column.type.field(i) for i in kept],
                                      mask=column.is_null())


def _first_column(segment: pa.Array, names: tuple[str, ...]) -> pa.Array:
    """`_first` over a struct column: the first of `names` not null, per row."""
    fields = dict(zip([field.name for field in segment.type], segment.flatten(), strict=True)
                  ) if pa.types.is_struct(segment.type) else {}
    present = [fields[name] for name in names if name in fields]
    if not present:
        return pa.nulls(len(segment))
    return pc.coalesce(*present) if len(present) > 1 else present[0]


def profile_columns(batch: pa.RecordBatch) -> dict[str, pa.Array]:
    """`profile_document` for a whole batch: the document's fields as Arrow columns, in its
    order (for `arrow_bson.documents`)."""
    row = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
    segment = _without_customer_key(row["segment"])
    document = {"_id": row["customer_id"], **row, "segment": segment,
                "lifetime_kpi": _without_customer_key(row["lifetime_kpi"]),
                "value_tier": _first_column(segment, _TIER_FIELDS),
                "rfm_segment": _first_column(segment, _RFM_FIELDS)}
    document["recent_order_count"] = pc.list_value_length(row["recent_orders"])
    return document


# The columns that are null, of no particular type, when their gold table is absent
# (`profiles_query`): hashed apart, only when not null, so a profile without a segment has
# the same digest whether the table is missing or has no row for it.
_OPTIONAL = ("segment", "lifetime_kpi")
_REST = f"hash(*columns(* exclude ({', '.join(_OPTIONAL)}))) as _rest"  # the other columns
_VALUES = ("hash(p._rest, "
           + ", ".join(f"case when p.{name} is null then null else hash(p.{name}) end"
                       for name in _OPTIONAL) + ")")
# What a row's values may not say of its shape: DuckDB's `hash` of a nested value combines
# the hashes of its leaves, and does not tell a null struct from one of nulls, nor (for lists
# directly in lists) where an inner list ends: [[1], [2]] and [[1, 2]] hash alike. So the
# digest also hashes how many orders and lines a profile has and which structs are null.
_SHAPE = ("hash(len(p.recent_orders), list_transform(p.recent_orders, lambda o: len(o.lines)),"
          " p.segment is null, p.lifetime_kpi is null)")


def _digested(query: str) -> str:
    """The profiles query with each row's digest (`DIGEST`) in its last column: DuckDB's
    64-bit hashes of the row's values (`_VALUES`) and of its shape (`_SHAPE`), 32 hex digits
    behind the document version.

    Why not an md5 of the row cast to text, as before: casting the nested orders and lines to
    text cost ~1.1 of the query's ~3.2 s at scale 10 (the two hashes ~0.05 s), and a first
    build's profiles wait for that query. A digest only decides whether a profile is written
    again: two hashes of 64 bits make missing a change about as unlikely as an md5 collision,
    and a DuckDB whose `hash` changed (it promises no stability across versions) rewrites
    every profile once, on its first run."""
    return (f"select p.* exclude (_rest), '{DOCUMENT_VERSION}:{RECENT_ORDERS}:'"
            f" || printf('%016x%016x', {_VALUES}, {_SHAPE}) as {DIGEST}"
            f" from (select *, {_REST} from ({query})) as p")


def _fingerprint(digests: list[tuple[Any, str]]) -> str:
    """One digest of every (customer_id, row digest): what the whole build would write."""
    whole = hashlib.md5()
    for _, digest in sorted(digests, key=lambda pair: pair[0]):
        whole.update(digest.encode())
    return f"{DOCUMENT_VERSION}:{RECENT_ORDERS}:{whole.hexdigest()}"


_building = threading.local()  # .beside: the `Beside` of the build running on this thread


def _create_indexes(collection: Any) -> None:
    """Both indexes in one `createIndexes` command (on the embedded server, one scan of the
    profiles: retail/nosql/index_build.py), with the work the build's caller handed it beside
    them (`build_customer_profiles` `meanwhile`)."""
    def build() -> None:
        collection.create_indexes([IndexModel("customer_key", unique=True),
                                   IndexModel("customer_number")])

    beside = getattr(_building, "beside", None)
    if beside is None:
        build()
    else:
        beside.indexes(build)


class _Upserts:
    """`insert_many` for `pipelined_inserts` that replaces the profiles already live."""

    codec_options = CODEC_OPTIONS

    def __init__(self, collection: Any, live: dict[Any, Any]) -> None:
        self._collection = collection
        self._live = live

    def insert_many(self, documents: list[Any], ordered: bool = False, comment: Any = None
                    ) -> Any:
        """`documents` as `pipelined_inserts` sends them (encoded: reading `_id` decodes one;
        a rebuild writes only the profiles that changed)."""
        return self._collection.bulk_write(
            [ReplaceOne({"_id": doc["_id"]}, doc) if doc["_id"] in self._live
             else InsertOne(doc) for doc in documents], ordered=ordered, comment=comment)


def _documents(batch: pa.RecordBatch, columns: dict[str, pa.Array], batch_size: int
               ) -> Iterator[list[Any]]:
    """A batch of query rows (and its `profile_columns`) as profile documents, `batch_size` at
    a time.

    Column by column when `arrow_bson` covers every type (RawBSONDocuments: ~5x faster than
    the driver's encoder over Python dicts); otherwise as `profile_document` dicts, made as
    they are sent (the inserter encodes them the driver's way, to the same bytes, and a value
    BSON cannot store fails only its own part, after the parts before it are stored).
    """
    try:
        encoded = arrow_bson.documents(columns)
    except arrow_bson.Unsupported:
        for start in range(0, batch.num_rows, batch_size):
            yield [profile_document(row) for row in batch.slice(start, batch_size).to_pylist()]
        return
    for start in range(0, len(encoded), batch_size):
        yield [RawBSONDocument(document) for document in encoded[start:start + batch_size]]


def _write(con: Any, query: str, target: Any, batch_size: int, total: int,
           progress: bool | None) -> list[tuple[Any, str]]:
    """Stream the query's rows into `target` (a collection, or `_Upserts`) as profile
    documents, `batch_size` per insert; returns each written profile's (customer_id, digest).

    The rows are encoded at least `ENCODE_ROWS` at a time: column by column, each batch pays a
    fixed cost per column, so larger batches encode faster (1,000 rows: 5.5 s at scale 10;
    10,000: 3.2 s)."""
    written: list[tuple[Any, str]] = []
    reader = con.sql(query).to_arrow_reader(max(batch_size, ENCODE_ROWS))
    with progress_bar(progress) as bar, pipelined_inserts(target) as inserter:
        task = bar.add_task("Building customer profiles", total=total)
        for batch in reader:
            columns = profile_columns(batch)
            for documents in _documents(batch, columns, batch_size):
                inserter.insert(documents)  # stored while the next part is made
                bar.advance(task, len(documents))
            written.extend(zip(columns["_id"].to_pylist(), columns[DIGEST].to_pylist(),
                               strict=True))
    return written


def _only(query: str, con: Any, ids: list[Any]) -> str:
    """`query` restricted to the profiles of `ids` (registered with DuckDB as a table)."""
    import pyarrow as pa

    con.register("profiles_to_write", pa.table({"customer_id": ids}))
    return f"select * from ({query}) where customer_id in (select customer_id from " \
           f"profiles_to_write)"


def _build_into(db: Any, name: str, con: Any, query: str, batch_size: int, total: int,
                progress: bool | None, *, indexes: bool = True) -> list[tuple[Any, str]]:
    """Every profile into the new collection `name`, then (with `indexes`) its indexes; on any
    failure the collection is dropped, so nothing half-written remains."""
    target = db.get_collection(name, codec_options=CODEC_OPTIONS)
    try:
        db.create_collection(name)
        written = _write(con, _digested(query), target, batch_size, total, progress)
        if indexes:
            _create_indexes(target)
    except BaseException:
        target.drop()
        raise
    return written


def _first_build(db: Any, con: Any, query: str, batch_size: int, total: int,
                 progress: bool | None) -> int:
    """Straight into the (absent) live collection; a failure leaves no collection behind."""
    written = _build_into(db, PROFILES, con, query, batch_size, total, progress)
    record_build(db, PROFILES, _fingerprint(written), len(written))
    return len(written)


def _staged_build(db: Any, con: Any, query: str, batch_size: int, total: int,
                  progress: bool | None, indexes_after_rename: bool) -> list[tuple[Any, str]]:
    """A whole build into a staging collection renamed over the live one (also the fallback
    when in-place writes collide on `customer_key`).

    `indexes_after_rename` (the embedded server): the staging collection's indexes are built
    once it is the live one. SecantusDB renames by moving every row one by one, index entries
    and unique-key claims too, and nothing but this run reads its collections; so the rename
    moves ~1.1 million fewer rows at scale 10 (the restage alone 40.1 -> 34.4 s). A real
    MongoDB renames in place: there the indexes are built first, so its readers never see the
    live collection without them. Either way a failed index build fails the run and leaves no
    record of the build, so the next run rebuilds."""
    staging = f"{PROFILES}__staging"
    db.drop_collection(staging)
    written = _build_into(db, staging, con, query, batch_size, total, progress,
                          indexes=not indexes_after_rename)
    db[staging].rename(PROFILES, dropTarget=True)
    if indexes_after_rename:
        _create_indexes(db[PROFILES])
    return written


def _live_digests(profiles: Any) -> dict[Any, Any]:
    """Each live profile's digest by `_id`, in one find projected to the digest.

    On the embedded server that find decodes only `_id` and the digest of each profile
    (`projected_reads`): 3.3 s at scale 10 (185,000 profiles). It used to decode every profile
    whole, so the digests were read in parts of 50,000 profiles by ranges of `_id`; but
    SecantusDB answers such a range by scanning the whole collection (it holds the stored
    bytes of every profile while it scans, ~1.8 KB each, parts or not), so each part cost a
    whole scan: 28 s at scale 10, and 37 scans at scale 100.
    """
    return {doc["_id"]: doc.get(DIGEST) for doc in profiles.find({}, {DIGEST: 1})}


class _Restage(Exception):
    """Too many profiles changed for in-place writes to pay: stage the whole build instead."""


def _rebuild(db: Any, con: Any, query: str, batch_size: int, progress: bool | None,
             skip_unchanged: bool, indexes_after_rename: bool) -> int:
    """Bring the live collection in step with gold, writing only the profiles that differ."""
    digests: list[tuple[Any, str]] = con.execute(
        f"select customer_id, {DIGEST} from ({_digested(query)})").fetchall()
    fingerprint = _fingerprint(digests)
    if skip_unchanged and recorded_build(db, PROFILES, fingerprint):
        return len(digests)
    profiles = db.get_collection(PROFILES, codec_options=CODEC_OPTIONS)
    live = _live_digests(profiles)
    stale = [customer for customer, digest in digests
             if not skip_unchanged or live.get(customer) != digest]
    try:
        if len(stale) > len(digests) * IN_PLACE_SHARE:
            raise _Restage
        if stale:
            _write(con, _only(_digested(query), con, stale), _Upserts(profiles, live),
                   batch_size, len(stale), progress)
    except (BulkWriteError, _Restage) as error:
        if isinstance(error, BulkWriteError) and any(
                e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
            raise
        _staged_build(db, con, query, batch_size, len(digests), progress, indexes_after_rename)
    else:
        gone = list(live.keys() - {customer for customer, _ in digests})
        for start in range(0, len(gone), DEFAULT_BATCH_SIZE):
            profiles.delete_many({"_id": {"$in": gone[start:start + DEFAULT_BATCH_SIZE]}})
        _create_indexes(profiles)
    record_build(db, PROFILES, fingerprint, len(digests))
    return len(digests)


def build_customer_profiles(
    db: Any, duckdb_path: Path, *, batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool | None = None, skip_unchanged: bool = True,
    indexes_after_rename: bool = False, meanwhile: Callable[[], Any] | None = None,
) -> int:
    """Build `customer_profiles` from gold, or bring it in step; returns the profile count.

    `skip_unchanged`: when the live collection is what a build from the same gold values
    left (`load_ledger.recorded_build`), nothing is written; with False every profile is
    rewritten. `indexes_after_rename`: a staged rebuild builds the indexes once the staging
    collection is the live one (`_staged_build`; for the embedded server). `meanwhile`: work
    to run while the server builds the indexes, or after the build when it builds none
    (retail/nosql/beside.py); its error is raised once the profiles are built, and it does
    not run when they fail first.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    con = read_only(duckdb_path)
    beside = _building.beside = Beside(meanwhile, con.close)
    try:
        require_tables(con, duckdb_path, ["dim_customers", "dim_products", "fct_sales"])
        tables = existing_tables(con)
        query = profiles_query("customer_segments" in tables, "kpi_customer_lifetime" in tables)
        if PROFILES not in db.list_collection_names(filter={"name": PROFILES}):
            ((total,),) = con.execute("select count(*) from gold.dim_customers").fetchall()
            built = _first_build(db, con, query, batch_size, total, progress)
        else:
            built = _rebuild(db, con, query, batch_size, progress, skip_unchanged,
                             indexes_after_rename)
    finally:
        _building.beside = None
        con.close()
    beside.finish()
    return built


def sync_customer_profiles(settings: Settings, *, batch_size: int = DEFAULT_BATCH_SIZE,
                           progress: bool | None = None,
                           meanwhile: Callable[[], Any] | None = None) -> int:
    """`build_customer_profiles` on the server that holds the profiles: the embedded profiles
    server (`server.mongo_database(settings, profiles=True)`), or MONGODB_URI's database
    (`meanwhile`: as there).

    With the embedded servers, the profiles an earlier version kept on the other server are
    dropped from it once these are built (they are gold's, rebuilt here, never lost).
    """
    from retail.nosql.server import mongo_database

    with mongo_database(settings, profiles=True) as db:
        built = build_customer_profiles(db, settings.duckdb_path, batch_size=batch_size,
                                        progress=progress,
                                        indexes_after_rename=not settings.mongodb_uri,
                                        meanwhile=meanwhile)
    if not settings.mongodb_uri:
        with mongo_database(settings) as other:
            if PROFILES in other.list_collection_names(filter={"name": PROFILES}):
                forget_build(other, PROFILES)
    return built
