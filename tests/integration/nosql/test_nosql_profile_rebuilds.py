"""A rebuild from unchanged gold keeps the live profiles; a change in a few profiles rewrites
them in place (the live collection stays: same UUID), a forced rebuild restages them all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from nosql_fixtures import HAND_MADE_SEGMENTS, hand_made_gold

from retail.nosql import build_customer_profiles


def _uuid(db: Any) -> Any:
    """The live collection's identity: kept by in-place writes, new after a staged rebuild."""
    info = next(iter(db.list_collections(filter={"name": "customer_profiles"})))
    return info["info"]["uuid"]


def _profiles(db: Any) -> list[dict[str, Any]]:
    return list(db.customer_profiles.find({}, sort=[("_id", 1)]))


def test_unchanged_gold_keeps_the_live_collection(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    assert build_customer_profiles(db, gold) == 3
    before, identity = _profiles(db), _uuid(db)
    assert build_customer_profiles(db, gold, batch_size=1) == 3
    assert _uuid(db) == identity and _profiles(db) == before
    assert "customer_profiles__staging" not in db.list_collection_names()


def test_a_changed_gold_value_is_rebuilt(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    identity = _uuid(db)
    with duckdb.connect(str(gold)) as con:
        con.execute("update gold.dim_customers set first_name = 'Renamed' "
                    "where customer_id = 11001")
    before = {doc["_id"]: doc for doc in _profiles(db)}
    assert build_customer_profiles(db, gold) == 3
    assert _uuid(db) == identity
    after = {doc["_id"]: doc for doc in _profiles(db)}
    assert after[11001]["first_name"] == "Renamed"
    assert after[11001]["_gold_digest"] != before[11001]["_gold_digest"]
    assert (after[11000], after[11002]) == (before[11000], before[11002])


def test_a_deleted_profile_is_rebuilt(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    before = _profiles(db)
    db.customer_profiles.delete_one({"_id": 11002})
    assert build_customer_profiles(db, gold) == 3
    assert _profiles(db) == before


def test_skip_unchanged_false_always_rebuilds(db: Any, tmp_path: Path) -> None:
    """A profile edited by hand keeps its digest and the count: only a forced rebuild, which
    stages every profile and renames them over the live ones, repairs it."""
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    before, identity = _profiles(db), _uuid(db)
    db.customer_profiles.update_one({"_id": 11000}, {"$set": {"first_name": "Edited"}})
    assert build_customer_profiles(db, gold) == 3
    assert db.customer_profiles.find_one({"_id": 11000})["first_name"] == "Edited"
    assert build_customer_profiles(db, gold, skip_unchanged=False) == 3
    assert _uuid(db) != identity and _profiles(db) == before


def test_segments_appearing_later_are_rebuilt(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb", with_segments=False)
    build_customer_profiles(db, gold)
    assert db.customer_profiles.find_one({"_id": 11000})["segment"] is None
    with duckdb.connect(str(gold)) as con:
        con.execute(HAND_MADE_SEGMENTS)
    build_customer_profiles(db, gold)
    assert db.customer_profiles.find_one({"_id": 11000})["segment"] is not None
