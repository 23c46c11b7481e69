"""`retail run` syncs the events while dbt builds gold (retail/nosql/early_sync.py).

Hand-made batches, the real MongoDB server of the session, a real warehouse file. Expected
figures are computed here from the lines written.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nosql_fixtures import event, event_documents, hand_made_gold, ingest_events

from retail.nosql import early_sync, sync_events
from retail.nosql.aggregations import current_products, funnel_totals, product_view_figures
from retail.nosql.gold_io import GoldNotBuiltError
from retail.nosql.partitioned import PassCancelled
from retail.settings import Settings

SESSIONS = 40
TYPES = ("page_view", "product_view", "add_to_cart", "purchase")


def _lines() -> list[dict[str, Any]]:
    """40 sessions; session n has the first n % 4 + 1 funnel types, one event each, plus a
    duplicate of its first event (a re-sent line: silver keeps the first copy). Its product
    view names P1 in even sessions, P2 in odd ones."""
    lines = []
    for n in range(SESSIONS):
        for step, kind in enumerate(TYPES[: n % 4 + 1]):
            lines.append(event(f"e{n}-{step}", kind, session_id=f"s{n}",
                               product_key="P2" if n % 2 else "P1",
                               ts=f"2024-03-01T10:{step:02d}:00+00:00"))
        lines.append(event(f"e{n}-0", "page_view", session_id=f"s{n}"))
    return lines


@pytest.fixture
def settings(tmp_path: Path, mongo_settings: Settings) -> Settings:
    """A warehouse of its own, on the session's MongoDB server (embedded or MONGODB_URI)."""
    own = replace(mongo_settings, duckdb_path=tmp_path / "warehouse" / "retail.duckdb")
    ingest_events(own.duckdb_path, tmp_path / "batch-1", _lines())
    return own


def test_the_warehouse_is_released_before_the_documents_are_in(settings: Settings,
                                                                db: Any) -> None:
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        # what dbt does next: open the warehouse for writing while the sync goes on
        with duckdb.connect(str(settings.duckdb_path)) as con:
            con.execute("create schema if not exists scratch")
            con.execute("create table scratch.written_during_sync as select 1 as x")
        outcome = early_sync.take(settings)
    assert outcome is not None
    steps = sum(n % 4 + 1 for n in range(SESSIONS))
    assert (outcome.result.lines, outcome.result.inserted) == (steps + SESSIONS, steps)
    assert outcome.result.duplicate_event_id == SESSIONS
    assert len(event_documents(db)) == steps
    assert outcome.totals == funnel_totals(db)
    assert outcome.product_figures is None  # no gold yet: the MongoDB step runs that pass
    assert outcome.totals["sessions"] == SESSIONS
    for step, kind in enumerate(TYPES):  # sessions with at least step + 1 types
        assert outcome.totals[kind] == sum(1 for n in range(SESSIONS) if n % 4 >= step)


def test_nothing_starts_early_unless_the_run_allows_it(settings: Settings, db: Any) -> None:
    assert not early_sync.start(settings, db.name)
    assert early_sync.take(settings) is None
    assert "events" not in db.list_collection_names()


def test_a_failed_early_sync_is_raised_by_the_step_that_takes_it(
    tmp_path: Path, mongo_settings: Settings, db: Any
) -> None:
    missing = replace(mongo_settings, duckdb_path=tmp_path / "none" / "retail.duckdb")
    with early_sync.allowed():
        assert early_sync.start(missing, db.name)  # returns: it must not hang the run
        with pytest.raises(GoldNotBuiltError, match="warehouse not found"):
            early_sync.take(missing)


def test_a_discarded_sync_is_completed_by_the_next_one(settings: Settings, db: Any) -> None:
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
    # the block's end discarded it (stopped before its next write, or already done)
    again = sync_events(db, settings.duckdb_path)
    assert again.loads == 1 and again.documents == sum(n % 4 + 1 for n in range(SESSIONS))
    assert len(event_documents(db)) == again.documents



def test_one_pass_for_both_figures_runs_once_gold_is_built(settings: Settings,
                                                           db: Any) -> None:
    """The sync ended during dbt: the thread waits for gold, then reads `events` once."""
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        hand_made_gold(settings.duckdb_path, with_segments=False)  # what dbt builds meanwhile
        early_sync.gold_built(settings)  # the dbt step that built gold ends
        outcome = early_sync.take(settings)
    assert outcome is not None and outcome.product_figures is not None
    assert outcome.funnel_seconds == 0  # no funnel pass of its own
    assert outcome.totals == funnel_totals(db)
    assert outcome.products == current_products(settings.duckdb_path)
    # sessions with a product view: n % 4 >= 1; P1 in the even ones, P2 in the odd ones
    p1 = sum(1 for n in range(0, SESSIONS, 2) if n % 4 >= 1)
    p2 = sum(1 for n in range(1, SESSIONS, 2) if n % 4 >= 1)
    most_viewed = [(row["product_number"], row["product_name"], row["views"], row["sessions"])
                   for row in outcome.product_figures["most_viewed"]]
    assert most_viewed == [("P2", "Helmet", p2, p2), ("P1", "Road Bike 1", p1, p1)]
    assert outcome.product_figures == product_view_figures(db, settings.duckdb_path)


def test_gold_built_before_the_sync_ends_gives_both_figures_in_one_pass(
    settings: Settings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spark_started = threading.Event()

    def sync_outlasting_dbt(*args: Any, **kwargs: Any) -> Any:
        result = sync_events(*args, **kwargs)  # the warehouse is released by now
        hand_made_gold(settings.duckdb_path, with_segments=False)  # dbt ends first
        early_sync.gold_built(settings)  # the dbt step ends while the sync still runs
        spark_started.set()
        return result

    monkeypatch.setattr(early_sync, "sync_events", sync_outlasting_dbt)
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        assert spark_started.wait(60)  # the MongoDB step comes after the Spark step
        outcome = early_sync.take(settings)
    assert outcome is not None and outcome.product_figures is not None
    assert outcome.funnel_seconds == 0  # no funnel pass of its own: one pass gave both
    assert outcome.products == current_products(settings.duckdb_path)
    assert outcome.totals == funnel_totals(db)
    assert outcome.totals["sessions"] == SESSIONS
    assert outcome.product_figures == product_view_figures(db, settings.duckdb_path)


def test_gold_built_without_gold_leaves_the_pass_to_the_step(settings: Settings,
                                                             db: Any) -> None:
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        early_sync.gold_built(settings)  # never raises: no gold.dim_products here
        outcome = early_sync.take(settings)
    assert outcome is not None and outcome.product_figures is None
    assert outcome.totals == funnel_totals(db)


def test_gold_is_handed_over_once_a_later_call_changes_nothing(
    settings: Settings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dbt step that built gold's products hands them over as it ends; a later call (gold
    changed here to tell the two apart) keeps them, also while the pass on the first ones
    still runs."""
    second_call = threading.Event()
    real_figures = early_sync.event_figures

    def pass_outlasting_the_second_call(*args: Any, **kwargs: Any) -> Any:
        assert second_call.wait(60)
        return real_figures(*args, **kwargs)

    monkeypatch.setattr(early_sync, "event_figures", pass_outlasting_the_second_call)
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        gold = hand_made_gold(settings.duckdb_path, with_segments=False)
        early_sync.gold_built(settings)  # the dbt step's dbt has exited
        handed = current_products(settings.duckdb_path)
        with duckdb.connect(str(gold)) as con:
            con.execute("update gold.dim_products set product_name = product_name || ' v2'")
        early_sync.gold_built(settings)  # a later call
        second_call.set()
        outcome = early_sync.take(settings)
    assert outcome is not None and outcome.product_figures is not None
    assert outcome.products == handed != current_products(settings.duckdb_path)


def test_a_warehouse_with_gold_runs_the_pass_on_its_products_without_waiting_for_dbt(
    settings: Settings, db: Any
) -> None:
    """A later run: the sync reads the last run's products with the events and runs the one
    pass at once; the MongoDB step takes both figures although no dbt step handed gold."""
    hand_made_gold(settings.duckdb_path, with_segments=False)  # the last run's gold
    last = current_products(settings.duckdb_path)
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        outcome = early_sync.take(settings)  # no `gold_built`: the pass did not wait for it
    assert outcome is not None and outcome.product_figures is not None
    assert outcome.products == last
    assert outcome.totals == funnel_totals(db)
    assert outcome.product_figures == product_view_figures(db, settings.duckdb_path)


def test_products_changed_by_dbt_are_told_apart_from_the_ones_the_pass_joined(
    settings: Settings, db: Any
) -> None:
    """dbt renames a product after the pass on the last run's products: the outcome names the
    rows it joined, which are not gold's current ones (the MongoDB step then runs the
    product-view pass again, orchestration/assets/nosql.py)."""
    gold = hand_made_gold(settings.duckdb_path, with_segments=False)
    last = current_products(settings.duckdb_path)
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        outcome = early_sync.take(settings)
    with duckdb.connect(str(gold)) as con:  # what dbt builds from a corrected product master
        con.execute("update gold.dim_products set product_name = product_name || ' v2'")
    assert outcome is not None and outcome.products == last != current_products(gold)
    renamed = product_view_figures(db, settings.duckdb_path)
    assert outcome.product_figures is not None
    assert outcome.product_figures["most_viewed"] != renamed["most_viewed"]
    assert [row["product_name"] for row in renamed["most_viewed"]] == [
        f"{row['product_name']} v2" for row in outcome.product_figures["most_viewed"]]


def test_a_discarded_sync_stops_its_pass(settings: Settings, db: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The run ends (a failed dbt step) while the pass runs: the pass is handed the sync's
    cancel, and stops at its next part (`partitioned.aggregate_parts`) instead of reading
    every part first."""
    hand_made_gold(settings.duckdb_path, with_segments=False)
    in_pass, stopped = threading.Event(), threading.Event()
    real_figures = early_sync.event_figures

    def pass_outlasting_the_run(*args: Any, cancel: threading.Event | None = None,
                                **kwargs: Any) -> Any:
        in_pass.set()
        assert cancel is not None and cancel.wait(60)  # `discard` sets it
        try:
            return real_figures(*args, cancel=cancel, **kwargs)
        except PassCancelled:
            stopped.set()
            raise

    monkeypatch.setattr(early_sync, "event_figures", pass_outlasting_the_run)
    with early_sync.allowed():
        assert early_sync.start(settings, db.name)
        assert in_pass.wait(60)
    # the block's end discarded the sync
    assert stopped.is_set()
    assert early_sync.take(settings) is None
