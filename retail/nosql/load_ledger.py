"""What `events` and `customer_profiles` already hold, so a repeated sync or build is skipped.

Why: on SecantusDB re-sending documents costs as much as the first load. So `load_ledger`
(one document per collection) records what each collection was built from, together with the
state of the collection it produced: its UUID (changes when the collection is dropped and
re-created) and its document count (changes when documents are added or removed). A ledger
entry is trusted only while the collection is still in that state; anything else (a crash
mid-sync, a document deleted by hand, a dropped collection) makes the next sync start over.

`events` (`EventLedger`): the warehouse loads it mirrors, in batch order, each as
{batch_id, batch_seq, ingested_at_us, rows, lines, valid, inserted, malformed,
missing_event_id, unknown_event_type, duplicate_event_id, buckets, session_sample} (see
`bronze_events.Load`; `inserted`: its events, `buckets`: its bucket documents,
`session_sample`: the session_id of every `events.SAMPLE_EVERY`-th of its buckets, in
session order, which `partitioned.session_parts` splits the aggregation passes on).
`customer_profiles` (`recorded_build` / `record_build`): the fingerprint of the gold values it
was built from.
"""

from __future__ import annotations

from typing import Any

LEDGER = "load_ledger"
_STATE_ID = "events"
# the document model of `events`: a ledger written for another (one document per event, or
# buckets without the computed summaries) is not trusted, so the first sync after an upgrade
# reloads `events` in this model
EVENTS_MODEL = "session-buckets-with-summaries"
SESSION_SAMPLE = "session_sample"


def _state(db: Any, name: str, count: int | None = None) -> dict[str, Any]:
    """A collection's identity and size (`None` uuid when the server does not report one).

    `count`: the size the caller knows it left (a sync counts what it deletes and inserts):
    the embedded server counts by reading every document (~11 µs each), so a sync asks once.
    """
    info = next(iter(db.list_collections(filter={"name": name})), None)
    uuid = (info or {}).get("info", {}).get("uuid")
    if count is None:
        count = db[name].estimated_document_count() if info else 0
    return {"uuid": uuid, "count": count if info else 0}


def _events_state(db: Any, count: int | None = None) -> dict[str, Any]:
    return _state(db, _STATE_ID, count)


def recorded_build(db: Any, name: str, fingerprint: str) -> bool:
    """True when collection `name` is exactly what a build with this fingerprint left."""
    record = db[LEDGER].find_one({"_id": name})
    if not record or record.get("fingerprint") != fingerprint:
        return False
    state = _state(db, name)
    return state["uuid"] is not None and record.get("state") == state


def record_build(db: Any, name: str, fingerprint: str, count: int | None = None) -> None:
    """Remember that collection `name`, as it now is (`count` documents, when the caller knows
    it), was built with this fingerprint."""
    db[LEDGER].replace_one(
        {"_id": name},
        {"_id": name, "fingerprint": fingerprint, "state": _state(db, name, count)},
        upsert=True)


def forget_build(db: Any, name: str) -> None:
    """Drop collection `name` and its record (a collection this database no longer holds)."""
    db.drop_collection(name)
    db[LEDGER].delete_one({"_id": name})


class EventLedger:
    """The loads `events` mirrors, as a sync reads them first and records them as it goes."""

    def __init__(self, db: Any) -> None:
        self._db = db
        record = db[LEDGER].find_one({"_id": _STATE_ID}) or {}
        state = _events_state(db)
        # the recorded loads are all in `events` only if nothing else touched it since
        self.trusted = (state["uuid"] is not None and record.get("state") == state
                        and record.get("model") == EVENTS_MODEL)
        self.loads: list[dict[str, Any]] = list(record.get("loads", [])) if self.trusted else []
        self.count: int = state["count"]  # bucket documents in `events`, as a sync changes them

    def record(self, loads: list[dict[str, Any]], count: int) -> None:
        """Remember that `events`, as it now is, holds `count` documents and mirrors exactly
        `loads` (in batch order)."""
        self.loads = list(loads)
        self.count = count
        self._db[LEDGER].replace_one(
            {"_id": _STATE_ID},
            {"_id": _STATE_ID, "source": "bronze.web_events", "model": EVENTS_MODEL,
             "state": _events_state(self._db, count), "loads": self.loads},
            upsert=True)


def mirrored_loads(db: Any) -> list[dict[str, Any]]:
    """The loads the `events` ledger records, trusted or not (empty without a ledger): what
    `partitioned.session_parts` sizes and splits the aggregation passes by. Only the balance
    of those parts depends on it, never a figure, so a stale ledger is good enough here."""
    record = db[LEDGER].find_one({"_id": _STATE_ID}) or {}
    return list(record.get("loads", []))
