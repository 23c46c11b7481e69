"""Incremental facts: loading one more batch and running dbt incrementally gives exactly the
warehouse a full rebuild of all batches gives (every gold table, content for content)."""

from __future__ import annotations

import shutil
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


def test_followon_batch_incremental_equals_full_rebuild(
    built_warehouse: Any, tmp_path: Path
) -> None:
    followon = tmp_path / "batch-0002"
    manifest = generate_followon(built_warehouse.extract.path, 3, followon)
    assert manifest["batch_truth"]["order_lines"] > 0

    incremental = settings_under(tmp_path / "incremental")
    incremental.duckdb_path.parent.mkdir(parents=True)
    shutil.copy(built_warehouse.duckdb_path, incremental.duckdb_path)
    ingest_all(incremental, [followon])
    build(incremental, tmp_path / "target-incremental", RUN)

    full = settings_under(tmp_path / "full")
    ingest_all(full, [built_warehouse.extract.path, followon])
    build(full, tmp_path / "target-full", RUN)

    assert gold_checksums(incremental.duckdb_path) == gold_checksums(full.duckdb_path)
    assert truth_figures(incremental.duckdb_path) == manifest["truth"]


def test_purchase_event_in_a_later_batch_turns_an_earlier_order_online(
    built_warehouse: Any, tmp_path: Path
) -> None:
    first = copy_extract(built_warehouse.extract.path, tmp_path / "batch-0001")
    late = tmp_path / "batch-0002"
    moved = withhold_purchase_events(first, late, orders=5)
    assert len(moved) == 5

    incremental = settings_under(tmp_path / "incremental")
    ingest_all(incremental, [first])
    build(incremental, tmp_path / "target-incremental", RUN)
    in_list = ", ".join(f"'{order}'" for order in sorted(moved))
    channels_before = query(
        incremental.duckdb_path,
        f"select distinct channel from gold.fct_sales where order_number in ({in_list})",
    )
    assert channels_before == [("Store",)]

    ingest_all(incremental, [late])
    build(incremental, tmp_path / "target-incremental", RUN)

    full = settings_under(tmp_path / "full")
    ingest_all(full, [first, late])
    build(full, tmp_path / "target-full", RUN)

    assert gold_checksums(incremental.duckdb_path) == gold_checksums(full.duckdb_path)
    truth = built_warehouse.extract.manifest["truth"]
    assert truth_figures(incremental.duckdb_path)["online_orders"] == truth["online_orders"]
