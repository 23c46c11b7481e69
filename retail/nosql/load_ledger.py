"""What `events` and `customer_profiles` already hold, so a repeated load or build is skipped.

Why: re-loading a file is a no-op by design (insert-if-absent on `_id`), but on SecantusDB it
still costs as much as the first load (every event is parsed, sent and refused). So after a
load, `event_loads` records the file's SHA-256 and its `LoadResult`, together with the state
of `events` it produced: the collection's UUID (changes when the collection is dropped and
re-created) and its document count (changes when documents are added or removed). A later
load of a file with the same hash is skipped only while `events` is still in that state; any
other change forgets every recorded file and the next load runs in full. A skipped load
returns what a full re-load would: the same counters, nothing inserted, every valid event
already present. The document ids do not depend on where the file lies, so the path is not
part of the key (the documents of the first load stay, as a full re-load would leave them).

`customer_profiles` is handled the same way (`recorded_build` / `record_build`): its rebuild
is skipped when the fingerprint of what it would write equals the recorded one and the
collection is in the state the recorded build left it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

LEDGER = "load_ledger"
_STATE_ID = "events"


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state(db: Any, name: str) -> dict[str, Any]:
    """A collection's identity and size (`None` uuid when the server does not report one)."""
    info = next(iter(db.list_collections(filter={"name": name})), None)
    uuid = (info or {}).get("info", {}).get("uuid")
    count = db[name].estimated_document_count() if info else 0
    return {"uuid": uuid, "count": count}


def _events_state(db: Any) -> dict[str, Any]:
    return _state(db, _STATE_ID)


def recorded_build(db: Any, name: str, fingerprint: str) -> bool:
    """True when collection `name` is exactly what a build with this fingerprint left."""
    record = db[LEDGER].find_one({"_id": name})
    if not record or record.get("fingerprint") != fingerprint:
        return False
    state = _state(db, name)
    return state["uuid"] is not None and record.get("state") == state


def record_build(db: Any, name: str, fingerprint: str) -> None:
    """Remember that collection `name`, as it now is, was built with this fingerprint."""
    db[LEDGER].replace_one(
        {"_id": name}, {"_id": name, "fingerprint": fingerprint, "state": _state(db, name)},
        upsert=True)


class LoadLedger:
    """The ledger as one load sees it: read before the load, written after a full load."""

    def __init__(self, db: Any, digest: str) -> None:
        self._db, self.digest = db, digest
        record = db[LEDGER].find_one({"_id": _STATE_ID}) or {}
        before = _events_state(db)
        # the recorded files are still all in `events` only if nothing touched it since
        valid = before["uuid"] is not None and record.get("state") == before
        self._files: dict[str, Any] = dict(record.get("files", {})) if valid else {}

    def recorded(self) -> dict[str, Any] | None:
        """The LoadResult fields of this file's earlier load, if `events` still holds it."""
        return self._files.get(self.digest)

    def record(self, result: dict[str, Any]) -> None:
        """Remember this file as loaded into `events` as it now is (inserts keep the rest)."""
        self._files[self.digest] = result
        self._db[LEDGER].replace_one(
            {"_id": _STATE_ID},
            {"_id": _STATE_ID, "state": _events_state(self._db), "files": self._files},
            upsert=True)
