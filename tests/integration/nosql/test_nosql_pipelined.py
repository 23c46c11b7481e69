"""Pipelined inserts on a real server: batches encoded by the caller, stored in order, and a
rejected batch surfaces as the driver's error."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import BulkWriteError

from retail.nosql.pipelined import pipelined_inserts


def test_batches_are_stored_as_they_were_when_handed_over(db: Any) -> None:
    batch: list[dict[str, Any]] = []
    with pipelined_inserts(db.items) as inserter:
        for start in range(0, 50, 10):
            batch.extend({"_id": n, "value": n * 2, "tags": [str(n)]} for n in range(start,
                                                                                 start + 10))
            inserter.insert(batch)
            batch[0]["value"] = -1  # the caller reuses its list at once: already encoded
            batch.clear()
        inserter.insert([])
    stored = list(db.items.find({}, sort=[("_id", 1)]))
    assert stored == [{"_id": n, "value": n * 2, "tags": [str(n)]} for n in range(50)]


def test_a_rejected_batch_raises_and_no_later_batch_is_sent(db: Any) -> None:
    db.items.insert_one({"_id": 5})
    with pytest.raises(BulkWriteError) as error, pipelined_inserts(db.items) as inserter:
        inserter.insert([{"_id": n} for n in range(10)])  # 5 collides
        inserter.insert([{"_id": n} for n in range(10, 20)])  # waits for the first: raises
        inserter.insert([{"_id": n} for n in range(20, 30)])
    assert [e["code"] for e in error.value.details["writeErrors"]] == [11000]
    assert sorted(doc["_id"] for doc in db.items.find()) == list(range(10))
