"""Incremental facts: loading one more batch and running dbt incrementally gives exactly the
warehouse a full rebuild of all batches gives (every gold table, content for content).

The scenario covers both ways an earlier fact row can change: the follow-on batch brings new
order lines, new customers and the whole product list again, and it also carries the purchase
events of orders that were loaded one batch earlier as store orders (late web events).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gold_fixtures import (
    build,
    copy_extract,
    gold_checksums,
    ingest_all,
    query,
    settings_under,
    truth_figures,
    withhold_purchase_events,
)

from generators import generate_followon

# seeds and models without the tests: the comparison below checks every gold table itself
RUN = ("build", "--exclude", "resource_type:test", "resource_type:unit_test")
LATE_ORDERS = 5


def append_lines(target: Path, source: Path) -> None:
    """Append the lines of `source` to `target`, one line each (newlines kept or added)."""
    lines = target.read_text(encoding="utf-8").splitlines()
    lines += source.read_text(encoding="utf-8").splitlines()
    target.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def channels_of(path: Path, orders: set[str]) -> list[tuple[str]]:
    in_list = ", ".join(f"'{order}'" for order in sorted(orders))
    return query(
        path, f"select distinct channel from gold.fct_sales where order_number in ({in_list})"
    )


def test_incremental_run_after_a_followon_batch_equals_a_full_rebuild(
    built_warehouse: Any, tmp_path: Path
) -> None:
    first = copy_extract(built_warehouse.extract.path, tmp_path / "batch-0001")
    followon = tmp_path / "batch-0002"
    manifest = generate_followon(built_warehouse.extract.path, 3, followon)
    assert manifest["batch_truth"]["order_lines"] > 0
    late_events = tmp_path / "late-events"
    late_orders = withhold_purchase_events(first, late_events, orders=LATE_ORDERS)
    assert len(late_orders) == LATE_ORDERS
    events = Path("source_web") / "events.jsonl"
    append_lines(followon / events, late_events / events)

    incremental = settings_under(tmp_path / "incremental")
    ingest_all(incremental, [first])
    build(incremental, tmp_path / "target-incremental", RUN)
    assert channels_of(incremental.duckdb_path, late_orders) == [("Store",)]
    ingest_all(incremental, [followon])
    build(incremental, tmp_path / "target-incremental", RUN)
    assert channels_of(incremental.duckdb_path, late_orders) == [("Online",)]

    full = settings_under(tmp_path / "full")
    ingest_all(full, [first, followon])
    build(full, tmp_path / "target-full", RUN)

    assert gold_checksums(incremental.duckdb_path) == gold_checksums(full.duckdb_path)
    # the withheld events are back in the data, so the cumulative truth holds exactly
    assert truth_figures(incremental.duckdb_path) == manifest["truth"]
