"""Mirror the warehouse's web events (`bronze.web_events`) into the `events` collection.

MongoDB follows the warehouse batch by batch. `load_ledger` records the loads `events` mirrors
(a load = one ingest of one batch: `_batch_id` + `_ingested_at`), in batch order. A sync
compares them with the loads bronze holds now: the common leading loads stay as they are; from
the first difference on (a batch ingested again, removed, or new), the documents of the mirrored
loads are deleted and the warehouse's remaining loads are loaded in order. When nothing matches
(another warehouse, a fresh one, or a ledger that no longer describes `events`) the collection
is dropped and loaded from scratch. An unchanged warehouse re-sends nothing.

One document per valid event, `_id` = event_id, typed by DuckDB with silver's expressions
(`bronze_events.typed_lines`, `base_web__events`): the first valid copy of an event_id wins, in
batch order then line order, so the documents are the rows of `stg_web__events`. Each
document records its batch (`batch_id`) and bronze line (`source_line`); deleting a batch's
documents uses the `batch_id` index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retail.errors import RetailError
from retail.nosql.bronze_events import TYPED_COLUMNS, Load, typed_lines, warehouse_loads
from retail.nosql.gold_io import read_only
from retail.nosql.load_ledger import EventLedger
from retail.progress import progress_bar

EVENTS = "events"
BATCH_FIELD = "batch_id"
# a batch's documents (the sync's delete) and a session's clickstream in time order; the
# aggregations scan every event and need none, a customer's view is `customer_profiles`
INDEXES: tuple[tuple[str, ...], ...] = ((BATCH_FIELD,), ("session_id", "ts"))
DEFAULT_BATCH_SIZE = 2000
COUNTERS = ("lines", "valid", "inserted", "malformed", "missing_event_id", "unknown_event_type",
            "duplicate_event_id")


@dataclass
class SyncResult:
    """What one sync did. The line counters cover the loads loaded by this sync; their
    rejections equal the rows silver rejects for those lines."""

    loads: int = 0  # loads of web events the warehouse holds
    kept: int = 0  # of those, already mirrored and left as they were
    removed: int = 0  # mirrored loads whose documents were deleted (gone, changed, or after)
    loaded: int = 0  # loads loaded by this sync
    reset: bool = False  # `events` was dropped and loaded from scratch
    deleted: int = 0  # documents deleted (by batch, or by the drop)
    lines: int = 0
    valid: int = 0
    inserted: int = 0
    malformed: int = 0
    missing_event_id: int = 0
    unknown_event_type: int = 0
    duplicate_event_id: int = 0  # an earlier valid copy was kept (in MongoDB or this sync)
    documents: int = 0  # documents `events` holds after the sync
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


def ensure_event_indexes(db: Any) -> None:
    """Secondary indexes for deleting by batch and for the clickstream lookups (idempotent).

    Few on purpose: on the embedded server an index built after the load costs 35-50 µs of
    pure Python per document (more than inserting it), so six single-field indexes were ~80%
    of a first load's time. Built after the writes: maintained during them costs twice that.
    """
    for fields in INDEXES:
        db[EVENTS].create_index([(name, 1) for name in fields])


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


def _insert(db: Any, batch: list[dict[str, Any]], counts: dict[str, int]) -> None:
    """Insert-if-absent (unordered): an `_id` already stored is a later copy, a duplicate."""
    from pymongo.errors import BulkWriteError

    if not batch:
        return
    try:
        inserted = db[EVENTS].insert_many(batch, ordered=False).inserted_ids
        stored = len(inserted)
    except BulkWriteError as exc:
        other = [error for error in exc.details["writeErrors"] if error.get("code") != 11000]
        if other:
            raise RetailError(f"MongoDB rejected {len(other)} event(s) in a batch of "
                              f"{len(batch)}: {other[0].get('errmsg')}") from None
        stored = exc.details.get("nInserted", 0)
    counts["inserted"] += stored
    counts["valid"] -= len(batch) - stored  # refused copies are duplicates, not valid events
    counts["duplicate_event_id"] += len(batch) - stored
    batch.clear()


_PROBLEMS = {"malformed": "malformed JSON line", "missing_event_id": "event without an event_id"}


def _problem(kind: str, row: tuple[Any, ...]) -> str:
    if kind == "unknown_event_type":
        return f"unknown event type {row[-1]!r}"
    if kind == "duplicate_event_id":
        return f"duplicate event_id {row[2]}"
    return _PROBLEMS[kind]


def _load(db: Any, con: Any, load: Load, seen: set[str], batch_size: int,
          result: SyncResult, advance: Any) -> dict[str, Any]:
    """Type and insert one load's lines; returns its ledger entry (key and counters)."""
    counts = dict.fromkeys(COUNTERS, 0)
    batch: list[dict[str, Any]] = []
    fields = TYPED_COLUMNS[2:]
    for chunk in typed_lines(con, load, batch_size):
        counts["lines"] += len(chunk)
        for row in chunk:
            kind = row[1]
            if kind is None and row[2] in seen:
                kind = "duplicate_event_id"
            if kind is not None:
                counts[kind] += 1
                if len(result.first_problems) < 5:
                    result.first_problems.append(
                        f"batch {load.batch_id}, line {row[0]}: {_problem(kind, row)}")
                continue
            seen.add(row[2])
            document = dict(zip(fields, row[2:-1], strict=True))
            document[BATCH_FIELD] = load.batch_id
            document["source_line"] = row[0]
            batch.append(document)
            if len(batch) >= batch_size:
                counts["valid"] += len(batch)
                _insert(db, batch, counts)
        advance(len(chunk))
    counts["valid"] += len(batch)
    _insert(db, batch, counts)
    for name in COUNTERS:
        setattr(result, name, getattr(result, name) + counts[name])
    return {**asdict(load), **counts}


def sync_events(
    db: Any,
    duckdb_path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool | None = None,
    full: bool = False,
) -> SyncResult:
    """Make `events` mirror `bronze.web_events` of `duckdb_path`; `full` reloads everything."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ledger = EventLedger(db)
    con = read_only(duckdb_path)
    try:
        loads = warehouse_loads(con, duckdb_path)
        keep = 0 if full else _common_prefix(ledger.loads, loads)
        result = SyncResult(loads=len(loads), kept=keep, removed=len(ledger.loads) - keep)
        collection = db[EVENTS]
        count = ledger.count  # counted once; then what this sync deletes and inserts
        if keep == 0:
            exists = bool(list(db.list_collections(filter={"name": EVENTS})))
            result.reset = exists and (full or not ledger.trusted or bool(ledger.loads))
            if result.reset or not exists:
                result.deleted, count = (count if exists else 0), 0
                collection.drop()
                db.create_collection(EVENTS)
        elif result.removed:
            gone = sorted({entry["batch_id"] for entry in ledger.loads[keep:]})
            result.deleted = collection.delete_many({BATCH_FIELD: {"$in": gone}}).deleted_count
            count -= result.deleted
        mirrored = ledger.loads[:keep]
        if result.reset or result.removed or not ledger.trusted:
            ledger.record(mirrored, count)
        todo = loads[keep:]
        if todo:
            # first valid copies already stored are found by `_id` on insert (a duplicate)
            seen: set[str] = set()
            with progress_bar(progress) as bar:
                task = bar.add_task("Syncing events into MongoDB",
                                    total=sum(load.rows for load in todo))
                for load in todo:
                    entry = _load(db, con, load, seen, batch_size, result,
                                  lambda n: bar.advance(task, n))
                    mirrored.append(entry)
                    result.loaded += 1
                    ledger.record(mirrored, ledger.count + entry["inserted"])
    finally:
        con.close()
    ensure_event_indexes(db)  # after the writes: on a first load ~2x faster than before them
    result.documents = ledger.count
    return result
