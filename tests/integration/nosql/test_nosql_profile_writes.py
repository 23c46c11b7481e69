"""How profiles are written: a first build straight into the live collection (a failure leaves
nothing), a rebuild in place that ends exactly where a build from scratch ends, and a failed
rebuild that loses no profile and is completed by the next run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from bson.errors import InvalidDocument
from nosql_fixtures import HAND_MADE_SEGMENTS, hand_made_gold

from retail.nosql import build_customer_profiles
from retail.nosql import profiles as profiles_module

PROFILES = "customer_profiles"

# a column BSON has no type for (TIME) whose only value is on the last customer: with
# batch_size=1 the first profiles are stored before the build fails on that one
BAD_VALUE = """
alter table gold.dim_customers add column call_time time;
update gold.dim_customers set call_time = time '10:30' where customer_id = 11002;
"""


# ten customers without orders that no change below touches: they keep the share of changed
# profiles under `IN_PLACE_SHARE`, so rebuilds are written in place
UNTOUCHED = """
insert into gold.dim_customers select 'k-x' || n, 12000 + n, 'AW000' || (12000 + n), 'Xi',
    'Yu', 'Chile', 'Single', 'Male', null, date '2020-01-01' from range(10) as r(n)
"""


def _uuid(db: Any) -> Any:
    return next(iter(db.list_collections(filter={"name": PROFILES})))["info"]["uuid"]


def _gold(path: Path, *, with_segments: bool = True) -> Path:
    gold = hand_made_gold(path, with_segments=with_segments)
    with duckdb.connect(str(gold)) as con:
        con.execute(UNTOUCHED)
    return gold


def _profiles(db: Any) -> list[dict[str, Any]]:
    return list(db[PROFILES].find({}, sort=[("_id", 1)]))


def _indexes(db: Any) -> dict[tuple[str, ...], bool]:
    return {tuple(ix["key"].keys()): bool(ix.get("unique")) for ix in db[PROFILES].list_indexes()}


@pytest.fixture
def scratch(db: Any) -> Iterator[Any]:
    """A second empty database, for a build from scratch to compare with."""
    name = f"{db.name}_scratch"
    yield db.client[name]
    db.client.drop_database(name)


def _assert_same_as_from_scratch(db: Any, scratch: Any, gold: Path) -> None:
    assert build_customer_profiles(scratch, gold) == scratch[PROFILES].count_documents({})
    assert _profiles(db) == _profiles(scratch)
    assert _indexes(db) == _indexes(scratch)
    assert f"{PROFILES}__staging" not in db.list_collection_names()


def test_first_build_writes_the_live_collection_and_records_it(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    assert build_customer_profiles(db, gold, batch_size=1) == 3
    assert set(db.list_collection_names()) == {PROFILES, "load_ledger"}
    assert _indexes(db) == {("_id",): False, ("customer_key",): True,
                            ("customer_number",): False}
    with duckdb.connect(str(gold)) as con:
        customers = con.execute("select count(*) from gold.dim_customers").fetchone()[0]
    assert db[PROFILES].count_documents({"_gold_digest": {"$type": "string"}}) == customers
    ledger = db.load_ledger.find_one({"_id": PROFILES})
    assert ledger["state"]["count"] == customers


def test_a_failed_first_build_leaves_no_profiles_and_no_record(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(gold)) as con:
        con.execute(BAD_VALUE)
    with pytest.raises(InvalidDocument, match="time"):
        build_customer_profiles(db, gold, batch_size=1)
    assert PROFILES not in db.list_collection_names()
    assert f"{PROFILES}__staging" not in db.list_collection_names()
    assert db.load_ledger.find_one({"_id": PROFILES}) is None


def test_a_rebuild_after_gold_changes_equals_a_build_from_scratch(
        db: Any, scratch: Any, tmp_path: Path) -> None:
    gold = _gold(tmp_path / "warehouse.duckdb", with_segments=False)
    build_customer_profiles(db, gold)
    identity = _uuid(db)
    with duckdb.connect(str(gold)) as con:
        con.execute(HAND_MADE_SEGMENTS)  # one customer gains a segment
        con.execute("update gold.dim_customers set country = 'Austria' where customer_id = 11000")
        con.execute("delete from gold.dim_customers where customer_id = 11002")
        con.execute("insert into gold.dim_customers values ('k-c4', 11003, 'AW00011003', 'Di',"
                    " 'Wu', 'Spain', 'Single', 'Female', null, date '2023-01-01')")
        con.execute("insert into gold.fct_sales values ('SO300', 'k-c4', 'k-p2',"
                    " date '2024-02-01', null, 3, 10.25, 30.75, 12.00, 'Online'),"
                    " ('SO201', 'k-c2', 'k-p1', date '2024-02-02', null, 1, 5.50, 5.50, 1.50,"
                    " 'Store')")
    assert build_customer_profiles(db, gold, batch_size=1) == 13
    assert _uuid(db) == identity  # written in place
    assert sorted(db[PROFILES].distinct("_id"))[:3] == [11000, 11001, 11003]
    _assert_same_as_from_scratch(db, scratch, gold)

    # re-runs change nothing: skipped, then forced (every profile restaged)
    before = _profiles(db)
    assert build_customer_profiles(db, gold) == 13
    assert _uuid(db) == identity
    assert build_customer_profiles(db, gold, skip_unchanged=False, batch_size=2) == 13
    assert _profiles(db) == before


def test_a_rebuild_changing_most_profiles_is_staged(
        db: Any, scratch: Any, tmp_path: Path) -> None:
    gold = _gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    identity = _uuid(db)
    with duckdb.connect(str(gold)) as con:
        con.execute("update gold.dim_customers set last_name = upper(last_name)")
    assert build_customer_profiles(db, gold) == 13
    assert _uuid(db) != identity  # a new collection renamed over the live one
    assert db[PROFILES].find_one({"_id": 12003})["last_name"] == "YU"
    _assert_same_as_from_scratch(db, scratch, gold)


def test_a_failed_rebuild_keeps_every_profile_and_the_next_run_completes_it(
        db: Any, scratch: Any, tmp_path: Path) -> None:
    gold = _gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    before = {doc["_id"]: doc for doc in _profiles(db)}
    ledger = db.load_ledger.find_one({"_id": PROFILES})
    # Ann's segment gains a (null) field, Bo gains a segment holding a value BSON cannot store
    with duckdb.connect(str(gold)) as con:
        con.execute("alter table gold.customer_segments add column call_time time")
        con.execute("insert into gold.customer_segments values"
                    " ('k-c2', 11001, 21.25, 'Low', 'New', time '10:30')")
    with pytest.raises(InvalidDocument):
        build_customer_profiles(db, gold, batch_size=1)
    after = {doc["_id"]: doc for doc in _profiles(db)}
    assert after.keys() == before.keys()
    assert "call_time" in after[11000]["segment"]  # written before the failure
    assert after[11001] == before[11001]  # the failing one: the old profile stays
    assert db.load_ledger.find_one({"_id": PROFILES}) == ledger

    with duckdb.connect(str(gold)) as con:  # the user corrects the value and re-runs
        con.execute("update gold.customer_segments set call_time = null")
    assert build_customer_profiles(db, gold) == 13
    _assert_same_as_from_scratch(db, scratch, gold)


@pytest.mark.parametrize("indexes_after_rename", [False, True])
def test_customers_swapping_keys_are_rebuilt(db: Any, scratch: Any, tmp_path: Path,
                                             indexes_after_rename: bool) -> None:
    """In place, the swap collides on the unique `customer_key`: that run stages instead (its
    indexes built before the rename, or after it as on the embedded server)."""
    gold = _gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    identity = _uuid(db)
    swap = ("case customer_key when 'k-c1' then 'k-c2' when 'k-c2' then 'k-c1'"
            " else customer_key end")
    with duckdb.connect(str(gold)) as con:
        for table in ("dim_customers", "fct_sales", "customer_segments"):
            con.execute(f"update gold.{table} set customer_key = {swap}")
    assert build_customer_profiles(db, gold, indexes_after_rename=indexes_after_rename) == 13
    assert _uuid(db) != identity
    assert db[PROFILES].find_one({"_id": 11000})["customer_key"] == "k-c2"
    _assert_same_as_from_scratch(db, scratch, gold)


def test_live_digests_are_every_profile_s_digest(db: Any, tmp_path: Path) -> None:
    """One find, projected to the digest (read lightly on the embedded server): every live
    profile, gold's or gone, with the digest its document holds."""
    gold = _gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    db[PROFILES].insert_one({"_id": "gone", "customer_key": "k-gone", "other": [1, {"a": 2}]})
    live = {doc["_id"]: doc.get("_gold_digest") for doc in db[PROFILES].find()}
    assert len(live) == 14 and live["gone"] is None
    assert all(isinstance(digest, str) for key, digest in live.items() if key != "gone")
    assert profiles_module._live_digests(db[PROFILES]) == live
