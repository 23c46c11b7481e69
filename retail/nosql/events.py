"""Mirror the warehouse's web events (`bronze.web_events`) into the `events` collection.

MongoDB follows the warehouse batch by batch. `load_ledger` records the loads `events` mirrors
(a load = one ingest of one batch: `_batch_id` + `_ingested_at`), in batch order. A sync
compares them with the loads bronze holds now: the common leading loads stay as they are; from
the first difference on (a batch ingested again, removed, or new), the documents of the mirrored
loads are deleted and the warehouse's remaining loads are loaded in order. When nothing matches
(another warehouse, a fresh one, or a ledger that no longer describes `events`) the collection
is dropped and loaded from scratch. An unchanged warehouse re-sends nothing.

The bucket pattern (MongoDB's schema design guidance for clickstreams): one document per
(load, session), split into chunks of at most `BUCKET_EVENTS` events, `_id` = {batch, load,
session, chunk}. A bucket carries `batch_id`, `session_id`, `customer_id` (when all its events
share it; otherwise each event has its own), `first_ts` / `last_ts`, `n` and `events`: the
event sub-documents (`event_id`, `event_type`, `product_key`, `order_number`,
`payment_status`, `ts`, `device`, `page_url`, `source_line`), in time then line order. Why: on
the embedded server every document costs ~50 µs to insert and 35-50 µs per index, so a
document per event made the load most of the step; a session holds a few to a few dozen events.

Each bucket also carries what the aggregations read, computed from its `events` when it is
written (MongoDB's computed pattern, `bucket_summary`): `event_types` (its distinct event
types), `payment_statuses` (the status of each payment_attempt event, null when absent) and
`product_views` (its product_view events counted per {product_key, day}: the UTC day of `ts`,
null without one). Why: SecantusDB evaluates every expression in Python, per event, on every
pass; reading the summaries instead of unwinding the events nearly halves both passes
(`bench_mongo` at scale 1, quiet machine: the aggregations 26.3 -> 14.2 s, funnel pass
12.0 -> 5.2 s, product-view pass 12.7 -> 7.3 s; the events load 9.6 -> 9.7 s). The summaries
are derived data: whatever edits a bucket's `events` by hand must rewrite them with
`bucket_summary` (a sync never edits a bucket; it deletes and inserts whole ones).

The events are typed and deduplicated by DuckDB with silver's expressions
(`bronze_events.stage_lines`, `base_web__events`): the first valid copy of an event_id over ALL
loads bronze holds wins, in batch order then line order, so the events are the rows of
`stg_web__events`. Since the kept loads are a prefix, their documents hold the earlier first
copies: a sync inserts the first copies lying in the loads it (re)loads and needs no lookup.
DuckDB also sorts them into bucket order (`valid_lines`); the buckets are then numbered, made
and encoded column by column from its Arrow batches (`_chunked`, `bucket_fields`,
`arrow_bson`), never event by event in Python: at scale 10 (1.4M events, 221,709 buckets) 5.6
s instead of 9.9 s, the same bytes.
Deleting a batch's documents uses the `batch_id` index, built by the first sync that deletes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from bson.raw_bson import RawBSONDocument

from retail.errors import RetailError
from retail.nosql import arrow_bson
from retail.nosql.arrow_bson import Present
from retail.nosql.bronze_events import (
    EVENT_FIELDS,
    EVENT_TYPES,
    Load,
    first_problems,
    line_counts,
    stage_lines,
    valid_lines,
    warehouse_loads,
)
from retail.nosql.gold_io import attached_read_only, detach_warehouse
from retail.nosql.load_ledger import SESSION_SAMPLE, EventLedger
from retail.nosql.partitioned import aggregate_parts
from retail.nosql.pipelined import PipelinedInserter, pipelined_inserts
from retail.nosql.pipelines import summary
from retail.progress import progress_bar

EVENTS = "events"
BATCH_FIELD = "batch_id"
# a session's buckets in time order (and the ranges of sessions the aggregation passes read
# in parts, `partitioned`), built after a first load; a batch's buckets (what a sync deletes
# when a batch is ingested again or removed), built by the first sync that deletes one
SESSION_INDEX = ("session_id", "first_ts")
BATCH_INDEX = (BATCH_FIELD,)
BUCKET_EVENTS = 500  # at most this many events per bucket document (MongoDB's 16 MB limit)
DEFAULT_BATCH_SIZE = 2000  # events per bulk write (whole buckets)
# a load's ledger entry keeps the session_id of every SAMPLE_EVERY-th bucket (they come in
# session order): the split points of the aggregation passes (`partitioned.session_parts`)
SAMPLE_EVERY = 1000
COUNTERS = ("lines", "valid", "inserted", "malformed", "missing_event_id", "unknown_event_type",
            "duplicate_event_id")
ENCODE_LINES = 50_000  # events made into buckets and encoded at once (`_buckets`)


class SyncCancelled(RetailError):
    """The sync was stopped between two bulk writes (`cancel` set): the run ended first."""


@dataclass
class SyncResult:
    """What one sync did. The line counters cover the loads loaded by this sync; their
    rejections equal the rows silver rejects for those lines."""

    loads: int = 0  # loads of web events the warehouse holds
    kept: int = 0  # of those, already mirrored and left as they were
    removed: int = 0  # mirrored loads whose documents were deleted (gone, changed, or after)
    loaded: int = 0  # loads loaded by this sync
    reset: bool = False  # `events` was dropped and loaded from scratch
    deleted: int = 0  # events deleted (by batch, or by the drop)
    lines: int = 0
    valid: int = 0
    inserted: int = 0
    malformed: int = 0
    missing_event_id: int = 0
    unknown_event_type: int = 0
    duplicate_event_id: int = 0  # an earlier valid copy, in this load or an earlier one, is kept
    documents: int = 0  # events `events` holds after the sync (in its buckets)
    buckets: int = 0  # bucket documents `events` holds after the sync
    first_problems: list[str] = field(default_factory=list)

    def rejected(self) -> int:
        return (self.malformed + self.missing_event_id + self.unknown_event_type
                + self.duplicate_event_id)

    @property
    def unchanged(self) -> bool:
        return not (self.removed or self.loaded or self.reset)

    def as_metadata(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "first_problems"}
        data["rejected"] = self.rejected()
        data["first_problems"] = "\n".join(self.first_problems) or "none"
        return data


def ensure_event_indexes(db: Any, *, batches: bool = False) -> None:
    """The session index, and with `batches` the batch index (idempotent).

    Few on purpose, one entry per bucket: on the embedded server an index build reads and
    decodes every bucket again in pure Python (scale 10, 244k buckets: 17.4 s for the session
    index, 14.3 s for the batch index), and an index present during inserts costs each bucket
    more than inserting it. So the indexes are built after a first load's writes, and the
    batch index only once a sync has a batch's buckets to delete (a correction): a first load,
    and every run that only adds batches, never pays for it.
    """
    from pymongo import IndexModel

    # one command: on the embedded server, building both reads the buckets once (index_build)
    wanted = (SESSION_INDEX, *((BATCH_INDEX,) if batches else ()))
    db[EVENTS].create_indexes([IndexModel([(name, 1) for name in fields]) for fields in wanted])


def _common_prefix(mirrored: list[dict[str, Any]], loads: list[Load]) -> int:
    """How many leading loads `events` mirrors that the warehouse still holds, in that order.

    A batch id of a changed load that also appears among the kept ones (a warehouse with two
    loads of one batch) shortens the prefix, since documents are deleted by batch id.
    """
    keep = 0
    for recorded, load in zip(mirrored, loads, strict=False):
        if (recorded["batch_id"], recorded["batch_seq"], recorded["ingested_at_us"]) != load.key():
            break
        keep += 1
    changed = {entry["batch_id"] for entry in mirrored[keep:]} | {
        load.batch_id for load in loads[keep:]}
    while keep and mirrored[keep - 1]["batch_id"] in changed:
        keep -= 1
    return keep


@contextmanager
def _bucket_inserts(db: Any) -> Iterator[PipelinedInserter]:
    """Whole buckets, inserted while the next ones are built; their ids are new by
    construction, so any error is a failure."""
    from pymongo.errors import BulkWriteError

    try:
        with pipelined_inserts(db[EVENTS], ordered=True) as inserter:
            yield inserter
    except BulkWriteError as exc:
        errors = exc.details["writeErrors"]
        raise RetailError(f"MongoDB rejected {len(errors)} event bucket(s): "
                          f"{errors[0].get('errmsg')}") from None


_PROBLEMS = {"malformed": "malformed JSON line", "missing_event_id": "event without an event_id"}


def _problem(kind: str, event_id: str | None, raw_type: str | None) -> str:
    if kind == "unknown_event_type":
        return f"unknown event type {raw_type!r}"
    if kind == "duplicate_event_id":
        return f"duplicate event_id {event_id}"
    return _PROBLEMS[kind]


def _utc_day(ts: Any) -> str | None:
    """`ts`'s UTC day as MongoDB's `$dateToString` "%Y-%m-%d" writes it; None without a time."""
    if not isinstance(ts, dt.datetime):
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.UTC)
    return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}"


def bucket_summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The computed fields of a bucket holding these event sub-documents (see the module)."""
    views: dict[tuple[Any, str | None], int] = {}
    for event in events:
        if event["event_type"] == "product_view":
            key = (event.get("product_key"), _utc_day(event.get("ts")))
            views[key] = views.get(key, 0) + 1
    return {
        "event_types": sorted({event["event_type"] for event in events}),
        "payment_statuses": [event.get("payment_status") for event in events
                             if event["event_type"] == "payment_attempt"],
        "product_views": [{"product_key": product, "day": day, "views": count}
                          for (product, day), count in views.items()],
    }


_TYPE_BITS = {name: 1 << index for index, name in enumerate(EVENT_TYPES)}


@cache  # made on first use, as arrow_bson's constants: a conversion imports pandas
def _type_sets() -> pa.Array:
    """Each set of event types (a bitmask of `_TYPE_BITS`) -> its types, sorted."""
    return pa.array([sorted(name for name, bit in _TYPE_BITS.items() if mask & bit)
                     for mask in range(1 << len(EVENT_TYPES))], pa.list_(pa.string()))


_NO_TIME = (np.iinfo(np.int64).max, np.iinfo(np.int64).min)
_US_PER_DAY = 86_400_000_000


def _new_sessions(ordinal: np.ndarray, session: pa.Array) -> np.ndarray:
    """For each line after the first: whether its (load, session) differs from the line's
    before it (a null session equals a null one)."""
    later, earlier = session.slice(1), session.slice(0, len(session) - 1)
    same_session = np.asarray(pc.fill_null(pc.equal(later, earlier), False)) | (
        np.asarray(later.is_null()) & np.asarray(earlier.is_null()))
    return ~((ordinal[1:] == ordinal[:-1]) & same_session)


def _bucket_starts(lines: pa.Table) -> np.ndarray:
    """The index of each bucket's first line: where (load, session, chunk) changes."""
    ordinal = np.asarray(lines["ordinal"].chunk(0))
    chunk = np.asarray(lines["chunk"].chunk(0))
    changes = _new_sessions(ordinal, lines["session_id"].chunk(0)) | (chunk[1:] != chunk[:-1])
    return np.concatenate([[0], np.flatnonzero(changes) + 1]).astype(np.int64)


def _chunked(batch: pa.RecordBatch, before: tuple[Any, Any, int] | None
             ) -> tuple[pa.RecordBatch, tuple[Any, Any, int]]:
    """`batch` with each line's `chunk`: its position in its load and session (counted on from
    `before`, the previous batch's last (ordinal, session, position)) // BUCKET_EVENTS."""
    ordinal = np.asarray(batch["ordinal"])
    session = batch["session_id"]
    lines = np.arange(batch.num_rows)
    new = np.ones(batch.num_rows, dtype=bool)
    new[1:] = _new_sessions(ordinal, session)
    if before is not None:
        new[0] = before[:2] != (int(ordinal[0]), session[0].as_py())
    run_start = np.maximum.accumulate(np.where(new, lines, -1))  # -1: `before`'s run goes on
    position = np.where(run_start >= 0, lines - run_start,
                        lines + (before[2] + 1 if before is not None else 0))
    chunked = batch.append_column("chunk", pa.array(position // BUCKET_EVENTS, pa.int64()))
    return chunked, (int(ordinal[-1]), session[-1].as_py(), int(position[-1]))


def _lists(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _time_bounds(ts: pa.Array, starts: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Each bucket's first and last `ts` (null when none of its events has one)."""
    missing = np.asarray(ts.is_null())
    micros = np.asarray(ts.cast(pa.int64()).fill_null(0))
    none = np.logical_and.reduceat(missing, starts)
    first = np.minimum.reduceat(np.where(missing, _NO_TIME[0], micros), starts)
    last = np.maximum.reduceat(np.where(missing, _NO_TIME[1], micros), starts)
    return (pa.array(first, pa.int64(), mask=none).cast(ts.type),
            pa.array(last, pa.int64(), mask=none).cast(ts.type))


def _product_views(lines: pa.Table, starts: np.ndarray, bucket_of: np.ndarray) -> pa.Array:
    """Each bucket's product_view events counted per (product_key, UTC day), in the order of
    each pair's first view (`bucket_summary`'s)."""
    views = np.flatnonzero(np.asarray(pc.equal(lines["event_type"].chunk(0), "product_view")))
    ts = lines["ts"].chunk(0).take(pa.array(views))
    micros = np.asarray(ts.cast(pa.int64()).fill_null(0))
    days = np.datetime_as_string(np.floor_divide(micros, _US_PER_DAY).astype("datetime64[D]"))
    table = pa.table({"bucket": bucket_of[views], "line": views,
                      "product_key": lines["product_key"].chunk(0).take(pa.array(views)),
                      "day": pa.array(days, pa.string(), mask=np.asarray(ts.is_null()))})
    counted = table.group_by(["bucket", "product_key", "day"], use_threads=False).aggregate(
        [("line", "min"), ("line", "count")]).sort_by([("bucket", "ascending"),
                                                       ("line_min", "ascending")])
    per_bucket = np.bincount(np.asarray(counted["bucket"]), minlength=len(starts))
    return _lists(np.concatenate([[0], np.cumsum(per_bucket)]), pa.StructArray.from_arrays(
        [counted["product_key"].combine_chunks(), counted["day"].combine_chunks(),
         counted["line_count"].combine_chunks()], names=["product_key", "day", "views"]))


def bucket_fields(lines: pa.Table, loads: list[Load], starts: np.ndarray
                  ) -> list[tuple[str, Any]]:
    """The valid lines of whole buckets (`valid_lines`, one chunk per column; each bucket's
    first line at `starts`) as the fields of their bucket documents, in order: a bucket of one
    customer holds it once (`customer_id`), its events without it."""
    offsets = np.append(starts, lines.num_rows)
    sizes = np.diff(offsets)
    first_line = pa.array(starts)
    column = {name: lines[name].chunk(0) for name in lines.column_names}
    ordinal = column["ordinal"].take(first_line)
    customer = column["customer_id"]
    missing = np.asarray(customer.is_null())
    ids = np.asarray(customer.fill_null(0))
    firsts = np.repeat(starts, sizes)
    single = np.logical_and.reduceat((missing == missing[firsts]) & (
        (ids == ids[firsts]) | missing), starts)
    several = ~single
    events = _lists(offsets, pa.StructArray.from_arrays(
        [column[name] for name in EVENT_FIELDS], names=list(EVENT_FIELDS)))
    alone = _lists(offsets, pa.StructArray.from_arrays(
        [column[name] for name in EVENT_FIELDS if name != "customer_id"],
        names=[name for name in EVENT_FIELDS if name != "customer_id"]))
    types = np.bitwise_or.reduceat(np.asarray(pc.shift_left(1, pc.index_in(
        column["event_type"], value_set=pa.array(EVENT_TYPES)))), starts)
    payments = np.asarray(pc.equal(column["event_type"], "payment_attempt"))
    first_ts, last_ts = _time_bounds(column["ts"], starts)
    loads_at = {"batch": pa.array([load.batch_id for load in loads], pa.string()),
                "load": pa.array([load.ingested_at_us for load in loads], pa.int64())}
    session = column["session_id"].take(first_line)
    return [
        ("_id", pa.StructArray.from_arrays(
            [loads_at["batch"].take(ordinal), loads_at["load"].take(ordinal), session,
             column["chunk"].take(first_line)], names=["batch", "load", "session", "chunk"])),
        (BATCH_FIELD, loads_at["batch"].take(ordinal)),
        ("session_id", session),
        ("customer_id", Present(customer.take(pa.array(starts[single])), single)),
        ("first_ts", first_ts),
        ("last_ts", last_ts),
        ("n", pa.array(sizes, pa.int64())),
        ("events", Present(events.filter(pa.array(several)), several)),
        ("events", Present(alone.filter(pa.array(single)), single)),
        ("event_types", _type_sets().take(pa.array(types))),
        ("payment_statuses", _lists(
            np.concatenate([[0], np.cumsum(np.add.reduceat(payments.astype(np.int64), starts))]),
            column["payment_status"].filter(pa.array(payments)))),
        ("product_views", _product_views(lines, starts, np.repeat(
            np.arange(len(starts)), sizes))),
    ]


def _unreadable_time(lines: pa.Table, loads: list[Load]) -> str:
    """Where the first event time Python cannot hold is (`arrow_bson.PYTHON_MICROS`)."""
    micros = np.asarray(lines["ts"].chunk(0).cast(pa.int64()).fill_null(0))
    low, high = arrow_bson.PYTHON_MICROS
    (at, *_) = np.flatnonzero((micros < low) | (micros > high)).tolist() or [0]
    ordinal = lines["ordinal"][at].as_py()
    moment = np.datetime64(int(micros[at]), "us")
    return (f"web events of batch {loads[ordinal].batch_id}, line "
            f"{lines['source_line'][at].as_py()}: the time {moment}Z is outside years 1-9999, "
            "which MongoDB's Python driver (and the embedded server) cannot read. Correct the "
            "line and ingest the batch again")


def _documents(lines: pa.Table, loads: list[Load]
               ) -> Iterator[tuple[int, str | None, int, Any]]:
    """(load ordinal, session_id, events, document) of each bucket of these whole buckets'
    lines, encoded column by column (`arrow_bson`, as RawBSONDocuments)."""
    lines = lines.combine_chunks()
    starts = _bucket_starts(lines)
    fields = bucket_fields(lines, loads, starts)
    try:
        documents = [RawBSONDocument(document) for document in arrow_bson.documents(fields)]
    except arrow_bson.Unsupported:
        raise RetailError(_unreadable_time(lines, loads)) from None
    first_lines = pa.array(starts)
    yield from zip(lines["ordinal"].chunk(0).take(first_lines).to_pylist(),
                   lines["session_id"].chunk(0).take(first_lines).to_pylist(),
                   dict(fields)["n"].to_pylist(), documents, strict=True)


def _buckets(con: Any, loads: list[Load]) -> Iterator[tuple[int, str | None, int, Any]]:
    """(load ordinal, session_id, events, document) of every bucket to insert, in order.

    The valid lines come sorted from DuckDB as Arrow batches; the buckets are found and built
    column by column (`_chunked`, `bucket_fields`), never line by line in Python. A batch's
    last bucket may go on in the next batch: its lines wait for it."""
    waiting: list[pa.RecordBatch] = []
    before = None
    for batch in valid_lines(con, ENCODE_LINES):
        if not batch.num_rows:
            continue
        batch, before = _chunked(batch, before)
        lines = pa.Table.from_batches([*waiting, batch]).combine_chunks()
        last = int(_bucket_starts(lines)[-1])
        if last:
            yield from _documents(lines.slice(0, last), loads)
        waiting = lines.slice(last).to_batches()
    if waiting:
        yield from _documents(pa.Table.from_batches(waiting), loads)


def _events_in(db: Any) -> int:
    """Events in `events` whatever its state (an untrusted ledger): one pass over it, in
    parts when the ledger still names them (`partitioned`)."""
    parts = aggregate_parts(db, [summary("n"),
                                 {"$group": {"_id": None, "n": {"$sum": {"$ifNull": ["$n", 1]}}}}])
    return sum(int(row["n"]) for rows in parts for row in rows)


def _mirrored_events(loads: list[dict[str, Any]]) -> int:
    return sum(int(entry.get("inserted", 0)) for entry in loads)


def _load_all(db: Any, con: Any, loads: list[Load], keep: int, batch_size: int,
              result: SyncResult, ledger: EventLedger, mirrored: list[dict[str, Any]],
              progress: bool | None, release: Callable[[], None],
              cancel: threading.Event | None) -> None:
    """Stage and insert `loads[keep:]`, recording each load in the ledger once inserted.

    `release()` is called once the lines are staged: the warehouse file is no longer needed."""
    stage_lines(con, loads, keep)
    counts = line_counts(con)
    result.first_problems.extend(
        f"batch {loads[ordinal].batch_id}, line {line}: {_problem(kind, event_id, raw)}"
        for ordinal, line, kind, event_id, raw in first_problems(con, 5))
    release()
    entries: dict[int, dict[str, Any]] = {}
    for ordinal in range(keep, len(loads)):
        per = {kind: n for (at, kind), n in counts.items() if at == ordinal}
        entry = dict.fromkeys(COUNTERS, 0)
        entry.update({kind: n for kind, n in per.items() if kind is not None},
                     lines=sum(per.values()), valid=per.get(None, 0),
                     inserted=per.get(None, 0))
        entries[ordinal] = {**asdict(loads[ordinal]), **entry, "buckets": 0,
                            SESSION_SAMPLE: []}
    pending: list[dict[str, Any]] = []
    state = {"events": 0, "buckets": ledger.count, "done": keep}  # done: loads fully inserted

    def flush() -> None:
        if cancel is not None and cancel.is_set():
            raise SyncCancelled("the events sync was stopped before it finished (the run "
                                "ended); the next sync completes it")
        state["buckets"] += len(pending)
        state["events"] = 0
        inserter.insert(pending)  # encoded now, stored while the next buckets are built
        pending.clear()

    def finish(upto: int) -> None:  # loads before `upto` are all in MongoDB: record them
        inserter.wait()
        while state["done"] < upto:
            mirrored.append(entries[state["done"]])
            result.loaded += 1
            ledger.record(mirrored, state["buckets"])
            bar.advance(task, loads[state["done"]].rows)
            state["done"] += 1

    with progress_bar(progress) as bar, _bucket_inserts(db) as inserter:
        task = bar.add_task("Syncing events into MongoDB",
                            total=sum(load.rows for load in loads[keep:]))
        for ordinal, session, events, bucket in _buckets(con, loads):
            if ordinal > state["done"]:
                flush()
                finish(ordinal)
            pending.append(bucket)
            loaded = entries[ordinal]
            if loaded["buckets"] % SAMPLE_EVERY == 0 and session is not None:
                loaded[SESSION_SAMPLE].append(session)
            loaded["buckets"] += 1
            state["events"] += events
            if state["events"] >= batch_size:
                flush()
        flush()
        finish(len(loads))
    for entry in entries.values():
        for name in COUNTERS:
            setattr(result, name, getattr(result, name) + entry[name])


def sync_events(
    db: Any,
    duckdb_path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool | None = None,
    full: bool = False,
    on_released: Callable[[], None] | None = None,
    cancel: threading.Event | None = None,
    also_read: Callable[[Any], None] | None = None,
) -> SyncResult:
    """Make `events` mirror `bronze.web_events` of `duckdb_path`; `full` reloads everything.

    The warehouse is read only until the lines to load are staged (in this process's memory):
    then it is released (detached) and `on_released()` is called, so another process (dbt) can
    open it for writing while the documents are still being inserted. `cancel`, once set,
    stops the sync before its next bulk write (`SyncCancelled`); the ledger keeps what is done.
    `also_read(con)` is called first with the sync's connection (the warehouse attached
    read-only and in use): what else its caller reads from the warehouse before it is released.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ledger = EventLedger(db)
    con = attached_read_only(duckdb_path)
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            detach_warehouse(con)
            if on_released is not None:
                on_released()

    try:
        if also_read is not None:
            also_read(con)
        loads = warehouse_loads(con, duckdb_path)
        keep = 0 if full else _common_prefix(ledger.loads, loads)
        result = SyncResult(loads=len(loads), kept=keep, removed=len(ledger.loads) - keep)
        collection = db[EVENTS]
        count = ledger.count  # counted once; then what this sync deletes and inserts
        if keep == 0:
            exists = bool(list(db.list_collections(filter={"name": EVENTS})))
            result.reset = exists and (full or not ledger.trusted or bool(ledger.loads))
            if result.reset or not exists:
                if exists:
                    result.deleted = (_mirrored_events(ledger.loads) if ledger.trusted
                                      else _events_in(db))
                count = 0
                collection.drop()
                db.create_collection(EVENTS)
        elif result.removed:
            ensure_event_indexes(db, batches=True)  # the delete rides it
            gone = sorted({entry["batch_id"] for entry in ledger.loads[keep:]})
            count -= collection.delete_many({BATCH_FIELD: {"$in": gone}}).deleted_count
            result.deleted = _mirrored_events(ledger.loads[keep:])
        mirrored = ledger.loads[:keep]
        if result.reset or result.removed or not ledger.trusted:
            ledger.record(mirrored, count)
        if loads[keep:]:
            _load_all(db, con, loads, keep, batch_size, result, ledger, mirrored, progress,
                      release, cancel)
        release()
    finally:
        con.close()
    ensure_event_indexes(db)  # after the writes: on a first load ~2x faster than before them
    result.documents = _mirrored_events(ledger.loads)
    result.buckets = ledger.count
    return result
