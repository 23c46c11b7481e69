"""Work handed to the profiles' build (`meanwhile`, retail/nosql/beside.py) runs once, while the
server builds the indexes, with the warehouse free to write; its failure never undoes the
profiles; a build that fails first never runs it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import hand_made_gold

from retail.nosql import build_customer_profiles
from retail.nosql.load_ledger import LEDGER


class _Work:
    """Writes a table into the warehouse (which needs the build's read-only connection
    closed) and notes what it saw: whether the index build was running beside it."""

    def __init__(self, gold: Path, fail: bool = False) -> None:
        self.gold, self.fail = gold, fail
        self.calls: list[bool] = []

    def __call__(self) -> None:
        building = any(thread.name.startswith("profile-indexes")
                       for thread in threading.enumerate())
        with duckdb.connect(str(self.gold)) as con:
            con.execute("create or replace table main.written_beside as select 1 as n")
        self.calls.append(building)
        if self.fail:
            raise RuntimeError("the other work failed")


def _indexes(db: Any) -> list[str]:
    return sorted(index["name"] for index in db.customer_profiles.list_indexes())


def test_the_work_runs_once_beside_the_index_build_and_may_write_the_warehouse(
        db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    work = _Work(gold)
    assert build_customer_profiles(db, gold, meanwhile=work) == 3
    assert work.calls == [True]  # once, while the profiles' indexes were being built
    assert _indexes(db) == ["_id_", "customer_key_1", "customer_number_1"]
    with duckdb.connect(str(gold), read_only=True) as con:
        assert con.execute("select n from main.written_beside").fetchall() == [(1,)]


def test_an_unchanged_build_runs_the_work_after_it(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    work = _Work(gold)
    assert build_customer_profiles(db, gold, meanwhile=work) == 3  # nothing to write
    assert work.calls == [False]


def test_a_failed_work_is_raised_once_the_profiles_are_built(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    work = _Work(gold, fail=True)
    with pytest.raises(RuntimeError, match="the other work failed"):
        build_customer_profiles(db, gold, meanwhile=work)
    assert work.calls == [True]
    assert db.customer_profiles.count_documents({}) == 3
    assert _indexes(db) == ["_id_", "customer_key_1", "customer_number_1"]
    assert db.list_collection_names(filter={"name": "customer_profiles"})
    # the build was recorded: the next run of the same gold writes nothing and runs no index build
    work = _Work(gold)
    assert build_customer_profiles(db, gold, meanwhile=work) == 3
    assert work.calls == [False]


def test_a_build_that_fails_first_never_runs_the_work(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(gold)) as con:
        con.execute("drop table gold.fct_sales")
    work = _Work(gold)
    with pytest.raises(Exception, match="fct_sales"):
        build_customer_profiles(db, gold, meanwhile=work)
    assert work.calls == []
    assert "customer_profiles" not in db.list_collection_names()


def test_an_index_build_that_fails_beside_the_work_leaves_no_profiles(
        db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(gold)) as con:  # three customers, one key: the unique index fails
        con.execute("update gold.dim_customers set customer_key = 'k-c1'")
    work = _Work(gold)
    with pytest.raises(Exception, match="E11000"):
        build_customer_profiles(db, gold, meanwhile=work)
    assert work.calls == [True]  # it ran beside the build that failed
    assert "customer_profiles" not in db.list_collection_names()
    assert db[LEDGER].find_one({"_id": "customer_profiles"}) is None
