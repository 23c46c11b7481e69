"""Customer profiles from a hand-made gold: every figure below is known by construction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import hand_made_gold

from retail.nosql import build_customer_profiles
from retail.nosql.gold_io import GoldNotBuiltError


def _day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_one_profile_per_customer_with_last_20_orders(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    assert build_customer_profiles(db, gold, batch_size=2) == 3
    assert db.customer_profiles.count_documents({}) == 3

    ann = db.customer_profiles.find_one({"_id": 11000})
    assert (ann["first_name"], ann["country"], ann["birthdate"]) == (
        "Ann", "Germany", _day("1980-05-01"))
    assert [order["order_number"] for order in ann["recent_orders"]] == [
        f"SO{n}" for n in range(124, 104, -1)]
    assert ann["recent_order_count"] == 20
    assert ann["recent_orders"][0]["order_date"] == _day("2024-01-25")
    lifetime = ann["lifetime"]
    assert (lifetime["orders"], lifetime["order_lines"], lifetime["units"]) == (25, 25, 25)
    assert lifetime["revenue"].to_decimal() == Decimal("256.25")
    assert lifetime["gross_margin"].to_decimal() == Decimal("100.00")
    assert lifetime["first_order_date"] == _day("2024-01-01")
    assert (ann["value_tier"], ann["rfm_segment"]) == ("High", "Champions")
    assert ann["segment"]["monetary_value"].to_decimal() == Decimal("256.25")

    bo = db.customer_profiles.find_one({"customer_number": "AW00011001"})
    (order,) = bo["recent_orders"]
    assert (order["order_number"], order["channel"], order["ship_date"]) == (
        "SO200", "Online", None)
    assert order["order_amount"].to_decimal() == Decimal("21.25")
    assert [(line["product_name"], line["category"], line["quantity"],
             line["sales_amount"].to_decimal()) for line in order["lines"]] == [
        ("Road Bike 1 (old)", "Bikes", 2, Decimal("11.00")),
        ("Helmet", "Accessories", 1, Decimal("10.25"))]
    assert bo["segment"] is None and bo["value_tier"] is None

    cy = db.customer_profiles.find_one({"customer_key": "k-c3"})
    assert cy["recent_orders"] == [] and cy["lifetime"]["orders"] == 0
    assert cy["lifetime"]["revenue"].to_decimal() == 0


def test_rebuild_is_idempotent_and_follows_gold(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    first = list(db.customer_profiles.find({}, sort=[("_id", 1)]))
    build_customer_profiles(db, gold, batch_size=1)
    assert list(db.customer_profiles.find({}, sort=[("_id", 1)])) == first

    with duckdb.connect(str(gold)) as con:
        con.execute("delete from gold.dim_customers where customer_id = 11002")
    assert build_customer_profiles(db, gold) == 2
    assert sorted(db.customer_profiles.distinct("_id")) == [11000, 11001]
    assert "customer_profiles__staging" not in db.list_collection_names()


def test_profiles_are_indexed_for_single_lookups(db: Any, tmp_path: Path) -> None:
    build_customer_profiles(db, hand_made_gold(tmp_path / "warehouse.duckdb"))
    indexes = {tuple(ix["key"].keys()): ix for ix in db.customer_profiles.list_indexes()}
    assert ("_id",) in indexes and ("customer_number",) in indexes
    assert indexes[("customer_key",)].get("unique") is True


def test_segments_are_optional(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb", with_segments=False)
    assert build_customer_profiles(db, gold) == 3
    assert db.customer_profiles.count_documents({"segment": None}) == 3


def test_missing_gold_fails_clearly_and_keeps_old_profiles(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    build_customer_profiles(db, gold)
    with duckdb.connect(str(gold)) as con:
        con.execute("drop table gold.fct_sales")
    with pytest.raises(GoldNotBuiltError, match="fct_sales"):
        build_customer_profiles(db, gold)
    assert db.customer_profiles.count_documents({}) == 3
    with pytest.raises(GoldNotBuiltError, match="not found"):
        build_customer_profiles(db, tmp_path / "nope.duckdb")


_SAME_PRODUCT_LINES = [  # one order, three lines on product number P1 (two versions of it)
    ("k-p1-old", 1, "5.50"), ("k-p1", 3, "16.50"), ("k-p1", 2, "11.00")]


@pytest.mark.parametrize("reverse", [False, True], ids=["as-exported", "reversed"])
def test_lines_of_one_product_keep_one_order(db: Any, tmp_path: Path, reverse: bool) -> None:
    """An order with several lines on one product number lists them in one order whatever the
    order gold stores them in, so a re-run makes the same document (and its digest)."""
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    rows = _SAME_PRODUCT_LINES[::-1] if reverse else _SAME_PRODUCT_LINES
    with duckdb.connect(str(gold)) as con:
        for product_key, quantity, amount in rows:
            con.execute("insert into gold.fct_sales values ('SO201', 'k-c2', ?, "
                        "date '2023-07-01', null, ?, 5.50, ?, 1.00, 'Online')",
                        [product_key, quantity, amount])
    build_customer_profiles(db, gold)
    bo = db.customer_profiles.find_one({"_id": 11001})
    (order,) = [order for order in bo["recent_orders"] if order["order_number"] == "SO201"]
    assert [(line["product_name"], line["quantity"]) for line in order["lines"]] == [
        ("Road Bike 1", 2), ("Road Bike 1", 3), ("Road Bike 1 (old)", 1)]
