"""Incremental facts: loading one more batch and running dbt incrementally gives exactly the
warehouse a full rebuild of all batches gives (every gold table, content for content).

The scenario covers both ways an earlier fact row can change: the follow-on batch brings new
order lines, new customers and the whole product list again, and it also carries the purchase
events of orders that were loaded one batch earlier as store orders (late web events).

The batches are named batch-9 and batch-10: "batch-10" sorts before "batch-9", yet it is the
later batch, because batches are ordered by when they were first ingested (`_batch_seq`).
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
from retail.settings import Settings

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


def load(settings: Settings, extracts: list[Path], tmp_path: Path) -> None:
    """Ingest the extracts into the incremental warehouse and build it incrementally."""
    ingest_all(settings, extracts)
    build(settings, tmp_path / "target-incremental", RUN)


def assert_gold_equals_a_full_rebuild(incremental: Settings, extracts: list[Path],
                                      tmp_path: Path) -> None:
    """A fresh warehouse that ingests the same extracts and builds once has the same gold."""
    full = settings_under(tmp_path / "full")
    ingest_all(full, extracts)
    build(full, tmp_path / "target-full", RUN)
    assert gold_checksums(incremental.duckdb_path) == gold_checksums(full.duckdb_path)


def test_incremental_run_after_a_followon_batch_equals_a_full_rebuild(
    built_warehouse: Any, tmp_path: Path
) -> None:
    first = copy_extract(built_warehouse.extract.path, tmp_path / "batch-9")
    followon = tmp_path / "batch-10"
    manifest = generate_followon(built_warehouse.extract.path, 3, followon)
    assert manifest["batch_truth"]["order_lines"] > 0
    late_events = tmp_path / "late-events"
    late_orders = withhold_purchase_events(first, late_events, orders=LATE_ORDERS)
    assert len(late_orders) == LATE_ORDERS
    events = Path("source_web") / "events.jsonl"
    append_lines(followon / events, late_events / events)

    incremental = settings_under(tmp_path / "incremental")
    load(incremental, [first], tmp_path)
    assert channels_of(incremental.duckdb_path, late_orders) == [("Store",)]
    load(incremental, [followon], tmp_path)
    assert channels_of(incremental.duckdb_path, late_orders) == [("Online",)]

    assert_gold_equals_a_full_rebuild(incremental, [first, followon], tmp_path)
    # the withheld events are back in the data, so the cumulative truth holds exactly
    assert truth_figures(incremental.duckdb_path) == manifest["truth"]


def csv_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def test_a_batch_ingested_again_with_corrections_equals_a_full_rebuild(
    built_warehouse: Any, tmp_path: Path
) -> None:
    """batch-10 first re-sends an order line of batch-9 (its copy wins: batch-10 came later),
    then is ingested again corrected: one line's quantity changed, one line and one event gone,
    the re-sent line withdrawn (so batch-9's copy counts again). The incremental facts follow
    every correction."""
    first = copy_extract(built_warehouse.extract.path, tmp_path / "batch-9")
    followon = tmp_path / "batch-10"
    generate_followon(built_warehouse.extract.path, 30, followon)
    sales, events = Path("source_crm") / "sales_details.csv", Path("source_web") / "events.jsonl"
    header, *lines = csv_lines(followon / sales)
    resent = csv_lines(first / sales)[1]
    write_lines(followon / sales, [header, *lines, resent])

    incremental = settings_under(tmp_path / "incremental")
    load(incremental, [first, followon], tmp_path)
    resent_order, resent_product = (field.strip() for field in resent.split(",")[:2])
    resent_line = ("select _batch_id from gold.fct_sales join gold.dim_products using "
                   f"(product_key) where order_number = '{resent_order}' "
                   f"and product_number = '{resent_product}'")
    assert query(incremental.duckdb_path, resent_line) == [("batch-10",)]

    # the correction: one more unit (sales left blank: repaired from the price) on a line with
    # a usable price, and the last line withdrawn with the re-sent one
    index = next(i for i, line in enumerate(lines[:-1])
                 if line.split(",")[8].isdigit() and int(line.split(",")[8]) > 0)
    fields = lines[index].split(",")
    lines[index] = ",".join([*fields[:6], "", str(int(fields[7]) + 1), fields[8]])
    write_lines(followon / sales, [header, *lines[:-1]])
    write_lines(followon / events, csv_lines(followon / events)[:-1])
    load(incremental, [followon], tmp_path)
    assert query(incremental.duckdb_path, resent_line) == [("batch-9",)]
    assert_gold_equals_a_full_rebuild(incremental, [first, followon], tmp_path)
