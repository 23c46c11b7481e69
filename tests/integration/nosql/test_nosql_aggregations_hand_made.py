"""Aggregation pipelines on hand-made events: expected figures worked out by hand below."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import event, hand_made_gold, ingest_events, remove_events

from retail.nosql import (
    aggregate_category_views_daily,
    aggregate_most_viewed_products,
    partitioned,
    run_aggregations,
    sync_events,
)
from retail.nosql import events as events_module
from retail.nosql.aggregations import event_figures, funnel_totals, product_view_figures
from retail.nosql.gold_io import GoldNotBuiltError

DAY1 = "2024-03-01T10:00:00+00:00"
CATEGORY_DAILY = ("select view_date, category, views, products "
                  "from gold.nosql_category_views_daily order by 1, 2 nulls first")


def _events() -> list[dict[str, Any]]:
    return [
        # session A walks the whole funnel, one failed then one successful payment
        event("a1", "page_view", session_id="sA", ts=DAY1),
        event("a2", "product_view", session_id="sA", product_key="P1", ts=DAY1),
        event("a3", "product_view", session_id="sA", product_key="P1", ts=DAY1),
        event("a4", "add_to_cart", session_id="sA", product_key="P1", ts=DAY1),
        event("a5", "checkout_start", session_id="sA", ts=DAY1),
        event("a6", "payment_attempt", session_id="sA", payment_status="failed", ts=DAY1),
        event("a7", "payment_attempt", session_id="sA", payment_status="success", ts=DAY1),
        event("a8", "purchase", session_id="sA", order_number="SO1", ts=DAY1),
        # session B: 23:30 at UTC-2 is 01:30 UTC on March 3rd
        event("b1", "product_view", session_id="sB", product_key="P2",
              ts="2024-03-02T23:30:00-02:00"),
        event("b2", "product_view", session_id="sB", product_key="P1", ts=DAY1),
        event("b3", "add_to_cart", session_id="sB", product_key="P1", ts=DAY1),
        # session C: a page and a product gold does not know
        event("c1", "page_view", session_id="sC", ts=DAY1),
        event("c2", "product_view", session_id="sC", product_key="ZZ", ts=DAY1),
        # no session: counts as a view and a payment attempt, never as a session
        event("n1", "product_view", session_id=None, product_key="P2", ts=DAY1),
        event("n2", "payment_attempt", session_id=None, payment_status="failed", ts=DAY1),
    ]


@pytest.fixture
def loaded(db: Any, tmp_path: Path) -> tuple[Any, Path]:
    # ingest first: a first ingest starts a new warehouse file (the gold is added to it after)
    warehouse = ingest_events(tmp_path / "warehouse.duckdb", tmp_path / "batch-1", _events())
    gold = hand_made_gold(warehouse)
    sync_events(db, gold)
    return db, gold


def _rows(gold: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(gold), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_results_land_in_gold(loaded: tuple[Any, Path]) -> None:
    db, gold = loaded
    written = run_aggregations(db, gold)
    assert written == {"nosql_most_viewed_products": 3, "nosql_category_views_daily": 4,
                       "nosql_session_funnel": 7}
    assert _rows(gold, "select view_rank, product_number, product_key, product_name, category, "
                       "views, sessions from gold.nosql_most_viewed_products order by 1") == [
        (1, "P1", "k-p1", "Road Bike 1", "Bikes", 3, 2),
        (2, "P2", "k-p2", "Helmet", "Accessories", 2, 1),
        (3, "ZZ", None, None, None, 1, 1),
    ]
    assert _rows(gold, CATEGORY_DAILY) == [
        (dt.date(2024, 3, 1), None, 1, 1),
        (dt.date(2024, 3, 1), "Accessories", 1, 1),
        (dt.date(2024, 3, 1), "Bikes", 3, 1),
        (dt.date(2024, 3, 3), "Accessories", 1, 1),
    ]
    assert _rows(gold, "select step, sessions, conversion_from_previous, payment_attempts, "
                       "failed_payments, payment_failure_rate "
                       "from gold.nosql_session_funnel order by step_order") == [
        ("sessions", 3, None, 3, 2, 0.6667),
        ("product_view", 3, 1.0, 3, 2, 0.6667),
        ("add_to_cart", 2, 0.6667, 3, 2, 0.6667),
        ("checkout_start", 1, 0.5, 3, 2, 0.6667),
        ("payment_attempt", 1, 1.0, 3, 2, 0.6667),
        ("payment_success", 1, 1.0, 3, 2, 0.6667),
        ("purchase", 1, 1.0, 3, 2, 0.6667),
    ]


def test_reruns_replace_the_tables(loaded: tuple[Any, Path]) -> None:
    db, gold = loaded
    run_aggregations(db, gold)
    run_aggregations(db, gold)
    assert _rows(gold, "select count(*) from gold.nosql_most_viewed_products") == [(3,)]
    assert remove_events(db, product_key="ZZ")
    run_aggregations(db, gold)
    assert _rows(gold, "select product_number from gold.nosql_most_viewed_products "
                       "order by view_rank") == [("P1",), ("P2",)]


def test_empty_events_give_zero_funnel(db: Any, tmp_path: Path) -> None:
    gold = hand_made_gold(tmp_path / "warehouse.duckdb")
    run_aggregations(db, gold)
    assert _rows(gold, "select count(*), sum(sessions), max(payment_failure_rate) "
                       "from gold.nosql_session_funnel") == [(7, 0, None)]
    assert _rows(gold, "select count(*) from gold.nosql_most_viewed_products") == [(0,)]


def test_a_failed_run_keeps_the_last_good_tables(loaded: tuple[Any, Path]) -> None:
    db, gold = loaded
    run_aggregations(db, gold)
    with duckdb.connect(str(gold)) as con:
        con.execute("drop table gold.dim_products")
    with pytest.raises(GoldNotBuiltError, match="dim_products"):
        run_aggregations(db, gold)
    assert _rows(gold, "select count(*) from gold.nosql_most_viewed_products") == [(3,)]


def test_a_pass_in_parts_gives_the_figures_of_one_pass(db: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # session A over two batches; a view of P2 without a readable time (on no day); four more
    # sessions viewing P1 and P2 on March 1st, so each product is viewed in several parts
    more = [event(f"{s}{n}", "product_view", session_id=f"s{s.upper()}", product_key=product,
                  ts=DAY1) for s in "defg" for n, product in ((1, "P1"), (2, "P2"))]
    events = [*_events(), event("t1", "product_view", session_id="sC", product_key="P2",
                                ts="not a time"), *more]
    path = tmp_path / "wh.duckdb"
    ingest_events(path, tmp_path / "batch-1", events[:4])
    gold = hand_made_gold(ingest_events(path, tmp_path / "batch-2", events[4:]))
    monkeypatch.setattr(events_module, "SAMPLE_EVERY", 1)  # every bucket's session: a split point
    sync_events(db, gold)
    monkeypatch.setattr(partitioned, "PASS_BUCKETS", 2)
    # 9 buckets (A's two, B-G, no session): 5 ranges of sessions (A's buckets in the same one)
    # and the buckets without a session; each bucket lies in exactly one part
    parts = partitioned.session_parts(db)
    assert len(parts) == 6
    assert [db.events.count_documents(part) for part in parts] == [2, 1, 2, 1, 2, 1]
    assert db.events.count_documents({"session_id": "sA"}) == 2
    run_aggregations(db, gold)  # one pass (in parts) for the funnel and the product views
    figures = event_figures(db, gold)
    # the same figures from a pass each, as `retail run` computes them (the funnel early)
    assert figures.totals == funnel_totals(db)
    assert figures.product_figures() == product_view_figures(db, gold)
    tables = ("select * from gold.nosql_most_viewed_products order by view_rank",
              "select * from gold.nosql_category_views_daily order by 1, 2 nulls first",
              "select * from gold.nosql_session_funnel order by step_order")
    in_parts = [_rows(gold, sql) for sql in tables]
    # worked out by hand: P1 and P2 tie on views (P1 first); P2's sessions: B, C, D-G (the
    # view without a session counts as a view only); each category's products are counted
    # once although its product was viewed in several parts
    assert _rows(gold, "select product_number, views, sessions "
                       "from gold.nosql_most_viewed_products order by view_rank") == [
        ("P1", 7, 6), ("P2", 7, 6), ("ZZ", 1, 1)]
    assert _rows(gold, CATEGORY_DAILY) == [
        (dt.date(2024, 3, 1), None, 1, 1),
        (dt.date(2024, 3, 1), "Accessories", 5, 1),
        (dt.date(2024, 3, 1), "Bikes", 7, 1),
        (dt.date(2024, 3, 3), "Accessories", 1, 1),
    ]
    assert _rows(gold, "select step, sessions, payment_attempts, failed_payments "
                       "from gold.nosql_session_funnel order by step_order") == [
        ("sessions", 7, 3, 2), ("product_view", 7, 3, 2), ("add_to_cart", 2, 3, 2),
        ("checkout_start", 1, 3, 2), ("payment_attempt", 1, 3, 2),
        ("payment_success", 1, 3, 2), ("purchase", 1, 3, 2)]
    monkeypatch.setattr(partitioned, "PASS_BUCKETS", 1_000)
    assert partitioned.session_parts(db) == [{}]
    run_aggregations(db, gold)  # one pass over every bucket
    assert [_rows(gold, sql) for sql in tables] == in_parts
    aggregate_most_viewed_products(db, gold)  # one table alone: its own product-view pass
    aggregate_category_views_daily(db, gold)
    assert [_rows(gold, sql) for sql in tables] == in_parts


def test_a_cancelled_pass_stops_before_its_next_part(db: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`cancel` (a run that ended) is honoured between two parts: the part being read is
    finished, no other is started."""
    path = tmp_path / "wh.duckdb"
    gold = hand_made_gold(ingest_events(path, tmp_path / "batch-1", _events()))
    monkeypatch.setattr(events_module, "SAMPLE_EVERY", 1)
    sync_events(db, gold)
    monkeypatch.setattr(partitioned, "PASS_BUCKETS", 2)
    parts = partitioned.session_parts(db)
    assert len(parts) > 2
    cancel, read = threading.Event(), []

    class EndsTheRunAfterAPart:  # `db`, whose events' first part is read as the run ends
        def __getattr__(self, name: str) -> Any:
            return getattr(db, name)

        def __getitem__(self, name: str) -> Any:
            collection = db[name]
            if name != "events":
                return collection

            class Events:
                def aggregate(self, pipeline: list[dict[str, Any]], **options: Any) -> Any:
                    read.append(pipeline[0])
                    rows = list(collection.aggregate(pipeline, **options))
                    cancel.set()
                    return rows

            return Events()

    with pytest.raises(partitioned.PassCancelled):
        event_figures(EndsTheRunAfterAPart(), gold, cancel=cancel)
    assert read == [{"$match": parts[0]}]
    assert event_figures(db, gold, cancel=threading.Event()) == event_figures(db, gold)


def test_a_session_over_several_buckets_counts_once(db: Any, tmp_path: Path) -> None:
    # the same events over two batches, session A's in both, and 600 more page views of A in
    # the second: A lies in three buckets (one in batch-1, two chunks in batch-2)
    events = _events()
    extra = [event(f"x{n}", "page_view", session_id="sA", ts=DAY1) for n in range(600)]
    path = tmp_path / "wh.duckdb"
    ingest_events(path, tmp_path / "batch-1", events[:4])
    gold = hand_made_gold(ingest_events(path, tmp_path / "batch-2", [*events[4:], *extra]))
    result = sync_events(db, gold)
    assert db.events.count_documents({"session_id": "sA"}) == 3
    assert result.documents == len(events) + len(extra)
    run_aggregations(db, gold)
    # the sessions per step worked out by hand in test_results_land_in_gold
    assert _rows(gold, "select step, sessions from gold.nosql_session_funnel "
                       "order by step_order") == [
        ("sessions", 3), ("product_view", 3), ("add_to_cart", 2), ("checkout_start", 1),
        ("payment_attempt", 1), ("payment_success", 1), ("purchase", 1)]
    assert _rows(gold, "select product_number, views, sessions "
                       "from gold.nosql_most_viewed_products order by view_rank") == [
        ("P1", 3, 2), ("P2", 2, 1), ("ZZ", 1, 1)]
