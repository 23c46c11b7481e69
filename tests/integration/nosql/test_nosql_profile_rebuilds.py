"""A rebuild from unchanged gold keeps the live profiles; any change in gold rebuilds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from nosql_fixtures import HAND_MADE_SEGMENTS, hand_made_gold

from retail.nosql import build_customer_profiles


def _uuid(db: Any) -> Any:
    """The live collection's identity: a rebuild renames a new collection over it."""
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
    assert build_customer_profiles(db, gold) == 3
    assert _uuid(db) != identity
    assert db.customer_profiles.find_one({"_id": 11001})["first_name"] == "Renamed"


def test_a_deleted_profile_is_rebuilt(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    before = _profiles(db)
    db.customer_profiles.delete_one({"_id": 11002})
    assert build_customer_profiles(db, gold) == 3
    assert _profiles(db) == before


def test_skip_unchanged_false_always_rebuilds(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    before, identity = _profiles(db), _uuid(db)
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
